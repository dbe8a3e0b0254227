package templates

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// loghubSystems are the 16 LogHub 2k corpora used in the log parsing
// literature.
var loghubSystems = []string{
	"HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird", "Windows",
	"Linux", "Android", "HealthApp", "Apache", "Proxifier", "OpenSSH", "OpenStack", "Mac",
}

// loadStructured reads the Content and EventId columns of a LogHub
// *_structured.csv file.
func loadStructured(path string) (contents, events []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, err
	}
	ci, ei := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "Content":
			ci = i
		case "EventId":
			ei = i
		}
	}
	if ci < 0 || ei < 0 {
		return nil, nil, fmt.Errorf("%s: no Content/EventId columns in %v", path, header)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if ci >= len(rec) || ei >= len(rec) {
			continue
		}
		contents = append(contents, rec[ci])
		events = append(events, rec[ei])
	}
	return contents, events, nil
}

// groupingAccuracy is the metric of the log parsing benchmarks: a message is
// parsed correctly when the set of messages that share its predicted
// template is exactly the set of messages that share its true event.
func groupingAccuracy(pred []uint32, truth []string) float64 {
	if len(pred) == 0 {
		return 0
	}
	truthSize := map[string]int{}
	for _, t := range truth {
		truthSize[t]++
	}
	members := map[uint32][]int{}
	for i, p := range pred {
		members[p] = append(members[p], i)
	}
	correct := 0
	for _, idx := range members {
		ev := truth[idx[0]]
		same := true
		for _, i := range idx[1:] {
			if truth[i] != ev {
				same = false
				break
			}
		}
		if same && truthSize[ev] == len(idx) {
			correct += len(idx)
		}
	}
	return float64(correct) / float64(len(pred))
}

func findStructured(dir, sys string) string {
	for _, p := range []string{
		filepath.Join(dir, sys, sys+"_2k.log_structured.csv"),
		filepath.Join(dir, sys+"_2k.log_structured.csv"),
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// TestLogHubAccuracy measures grouping accuracy on the LogHub 2k corpora.
// It runs only when LOGHUB_DIR names a folder holding them, either as
// DIR/<System>/<System>_2k.log_structured.csv (the layout of the loghub
// repository) or as DIR/<System>_2k.log_structured.csv. Set
// LOGHUB_VERBOSE=1 to list the events that are split or merged.
func TestLogHubAccuracy(t *testing.T) {
	dir := os.Getenv("LOGHUB_DIR")
	if dir == "" {
		t.Skip("LOGHUB_DIR not set")
	}
	var sum float64
	var n int
	var table strings.Builder
	fmt.Fprintf(&table, "%-12s %6s %9s %9s\n", "system", "lines", "accuracy", "templates")
	for _, sys := range loghubSystems {
		path := findStructured(dir, sys)
		if path == "" {
			continue
		}
		contents, events, err := loadStructured(path)
		if err != nil {
			t.Fatal(err)
		}
		m := NewMiner(loghubOptions())
		pred := make([]uint32, len(contents))
		for i, c := range contents {
			pred[i] = m.Add(c)
		}
		acc := groupingAccuracy(pred, events)
		sum += acc
		n++
		fmt.Fprintf(&table, "%-12s %6d %9.4f %9d\n", sys, len(contents), acc, len(m.Templates()))
		if os.Getenv("LOGHUB_VERBOSE") != "" {
			reportErrors(t, sys, m, contents, events, pred)
		}
	}
	if n == 0 {
		t.Skip("no LogHub files under LOGHUB_DIR")
	}
	fmt.Fprintf(&table, "%-12s %6s %9.4f\n", "average", "", sum/float64(n))
	t.Logf("grouping accuracy (%d systems):\n%s", n, table.String())
}

// loghubOptions reads optional LOGHUB_SIM and LOGHUB_DEPTH overrides, for
// experiments; by default the miner's defaults are measured.
func loghubOptions() Options {
	var o Options
	if v := os.Getenv("LOGHUB_SIM"); v != "" {
		fmt.Sscan(v, &o.SimThreshold)
	}
	if v := os.Getenv("LOGHUB_DEPTH"); v != "" {
		fmt.Sscan(v, &o.Depth)
	}
	return o
}

// reportErrors logs, for every true event that is not parsed exactly, the
// predicted templates of its messages.
func reportErrors(t *testing.T, sys string, m *Miner, contents, events []string, pred []uint32) {
	byEvent := map[string]map[uint32]int{}
	byPred := map[uint32]map[string]int{}
	example := map[string]string{}
	for i := range pred {
		e, p := events[i], pred[i]
		if byEvent[e] == nil {
			byEvent[e] = map[uint32]int{}
		}
		byEvent[e][p]++
		if byPred[p] == nil {
			byPred[p] = map[string]int{}
		}
		byPred[p][e]++
		if _, ok := example[e]; !ok {
			example[e] = contents[i]
		}
	}
	var evs []string
	for e := range byEvent {
		evs = append(evs, e)
	}
	sort.Strings(evs)
	for _, e := range evs {
		ps := byEvent[e]
		bad := len(ps) > 1
		for p := range ps {
			if len(byPred[p]) > 1 {
				bad = true
			}
		}
		if !bad {
			continue
		}
		total := 0
		for _, c := range ps {
			total += c
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s (%d msgs) e.g. %q\n", sys, e, total, example[e])
		for p, c := range ps {
			others := []string{}
			for e2, c2 := range byPred[p] {
				if e2 != e {
					others = append(others, fmt.Sprintf("%s:%d", e2, c2))
				}
			}
			fmt.Fprintf(&b, "    %4d -> #%d %q also %v\n", c, p, m.Template(p), others)
		}
		t.Log(b.String())
	}
}
