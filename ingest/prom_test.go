package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/vidbench/forensics"
	"github.com/vidbench/forensics/internal/promtest"
)

// promData writes a TSDB with the tsdb package once per test binary and
// returns a fresh copy of it for each caller.
func promData(t testing.TB) (string, promtest.Facts) {
	t.Helper()
	promOnce.Do(func() {
		dir, err := os.MkdirTemp("", "forensics-promdata-")
		if err != nil {
			promErr = err
			return
		}
		promDir = dir
		promFacts, promErr = promtest.Write(dir, promtest.Layout{})
	})
	if promErr != nil {
		t.Fatal(promErr)
	}
	dst := filepath.Join(t.TempDir(), "prometheus")
	if err := copyTree(context.Background(), promDir, dst); err != nil {
		t.Fatal(err)
	}
	return dst, promFacts
}

var (
	promOnce  sync.Once
	promDir   string
	promFacts promtest.Facts
	promErr   error
)

// readProm runs the Prometheus reader over dir into a memSink.
func readProm(t testing.TB, dir string, w forensics.TimeRange) (*memSink, DirReport, Stats) {
	t.Helper()
	m := &memSink{}
	in := &Input{Path: dir, TZ: time.UTC, Sink: m}
	if !w.IsZero() {
		in.Keep = func(ts time.Time, _ int64) bool { return w.Contains(ts) }
	}
	rep, err := Prometheus{TempDir: t.TempDir()}.ReadDir(context.Background(), in, w)
	if err != nil {
		t.Fatalf("read %s: %v (problems %v)", dir, err, rep.Problems)
	}
	if !in.Stats.Balanced() {
		t.Errorf("rows not accounted for: %+v", in.Stats)
	}
	return m, rep, in.Stats
}

// key renders a sample for comparison; NaN payloads are compared by bits.
func key(metric, lbls string, t int64, v float64) string {
	return fmt.Sprintf("%s%s %d %x", metric, lbls, t, math.Float64bits(v))
}

// stored lists the float and histogram samples a sink got.
func stored(m *memSink) (floats []string, hists []string) {
	for _, r := range m.rows {
		switch x := r.(type) {
		case *forensics.PromSample:
			floats = append(floats, key(x.Series.Metric, x.Series.Labels, x.T, x.V))
			if x.Stale != value.IsStaleNaN(x.V) {
				floats = append(floats, "bad stale flag")
			}
		case *forensics.PromHistogram:
			hists = append(hists, fmt.Sprintf("%s%s %d %g %g", x.Series.Metric, x.Series.Labels, x.T, x.Count, x.Sum))
		}
	}
	sort.Strings(floats)
	sort.Strings(hists)
	return
}

// oracle reads dir through tsdb's own read-only querier.
func oracle(t testing.TB, dir string, mint, maxt int64) (floats []string, hists []string) {
	t.Helper()
	db, err := tsdb.OpenDBReadOnly(dir, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := db.Querier(mint, maxt)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".*"))
	var sb strings.Builder
	var it chunkenc.Iterator
	for ss.Next() {
		s := ss.At()
		metric, lbls := seriesLabels(s.Labels(), &sb)
		it = s.Iterator(it)
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			if vt == chunkenc.ValFloat {
				tt, v := it.At()
				floats = append(floats, key(metric, lbls, tt, v))
			} else {
				tt, h := it.AtFloatHistogram(nil)
				hists = append(hists, fmt.Sprintf("%s%s %d %g %g", metric, lbls, tt, h.Count, h.Sum))
			}
		}
	}
	if err := ss.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(floats)
	sort.Strings(hists)
	return
}

func TestPrometheusEverySampleAsTSDBReadsIt(t *testing.T) {
	dir, facts := promData(t)
	if facts.BlockMaxTime.IsZero() || !facts.BlockMaxTime.Before(facts.End.Add(-time.Hour)) {
		t.Fatalf("test data should leave hours in the head only: blocks end %v, data %v", facts.BlockMaxTime, facts.End)
	}
	before := dirManifest(t, dir)
	m, rep, stats := readProm(t, dir, forensics.TimeRange{})
	if after := dirManifest(t, dir); after != before {
		t.Fatalf("the evidence changed:\nbefore\n%s\nafter\n%s", before, after)
	}
	if len(rep.Problems) > 0 {
		t.Errorf("problems on clean data: %v", rep.Problems)
	}
	gotF, gotH := stored(m)
	wantF, wantH := oracle(t, dir, math.MinInt64, math.MaxInt64)
	if len(gotF) != len(wantF) || len(gotH) != len(wantH) {
		t.Fatalf("stored %d floats %d histograms, tsdb reads %d and %d", len(gotF), len(gotH), len(wantF), len(wantH))
	}
	for i := range wantF {
		if gotF[i] != wantF[i] {
			t.Fatalf("float sample %d: stored %s, tsdb %s", i, gotF[i], wantF[i])
		}
	}
	for i := range wantH {
		if gotH[i] != wantH[i] {
			t.Fatalf("histogram sample %d: stored %s, tsdb %s", i, gotH[i], wantH[i])
		}
	}
	// the head-only hours, the stale markers and the native histograms are there
	var afterBlocks, stale int
	for _, r := range m.rows {
		if s, ok := r.(*forensics.PromSample); ok {
			if s.T > facts.BlockMaxTime.UnixMilli() {
				afterBlocks++
			}
			if s.Stale {
				stale++
			}
		}
	}
	if afterBlocks == 0 || stale != 3 || len(gotH) == 0 {
		t.Errorf("head-only samples %d, staleness markers %d (want 3), histograms %d", afterBlocks, stale, len(gotH))
	}
	if !strings.Contains(rep.Note, "native histogram samples") {
		t.Errorf("note %q", rep.Note)
	}
	if stats.Rows == 0 {
		t.Error("no rows")
	}
}

func TestPrometheusWindow(t *testing.T) {
	dir, facts := promData(t)
	w := forensics.TimeRange{Since: facts.Start.Add(2 * time.Hour), Until: facts.End.Add(-time.Hour)}
	m, _, stats := readProm(t, dir, w)
	gotF, _ := stored(m)
	wantF, _ := oracle(t, dir, w.Since.UnixMilli(), w.Until.UnixMilli()-1)
	if len(gotF) != len(wantF) || len(gotF) == 0 {
		t.Fatalf("window: stored %d float samples, tsdb reads %d", len(gotF), len(wantF))
	}
	for _, r := range m.rows {
		if s, ok := r.(*forensics.PromSample); ok && !w.Contains(time.UnixMilli(s.T)) {
			t.Fatalf("sample at %v outside %v", time.UnixMilli(s.T).UTC(), w)
		}
	}
	if stats.Rows == 0 {
		t.Error("no rows")
	}
}

func TestPrometheusSniffDir(t *testing.T) {
	dir, _ := promData(t)
	ents, _ := os.ReadDir(dir)
	var block string
	for _, e := range ents {
		if len(e.Name()) == 26 {
			block = filepath.Join(dir, e.Name())
		}
	}
	empty := t.TempDir()
	tests := []struct {
		name string
		path string
		want bool
	}{
		{"data dir", dir, true},
		{"block", block, true},
		{"wal", filepath.Join(dir, "wal"), false},
		{"empty", empty, false},
		{"parent", filepath.Dir(dir), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Prometheus{}).SniffDir(tc.path) > 0; got != tc.want {
				t.Errorf("SniffDir(%s) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}

// TestPrometheusHostile damages copies of the data and checks that the
// damage is named (with the block's ULID) and the rest is read.
func TestPrometheusHostile(t *testing.T) {
	blocksOf := func(dir string) []string {
		ents, _ := os.ReadDir(dir)
		var out []string
		for _, e := range ents {
			if e.IsDir() && len(e.Name()) == 26 {
				out = append(out, e.Name())
			}
		}
		sort.Strings(out)
		return out
	}
	type hostile struct {
		name     string
		damage   func(t *testing.T, dir string) string // returns the damaged block's ULID, or ""
		wantProb string
		headRead bool
	}
	tests := []hostile{
		{"truncated chunk file", func(t *testing.T, dir string) string {
			b := blocksOf(dir)[0]
			p := filepath.Join(dir, b, "chunks", "000001")
			fi, _ := os.Stat(p)
			if err := os.Truncate(p, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
			return b
		}, "not read", true},
		{"corrupted index", func(t *testing.T, dir string) string {
			b := blocksOf(dir)[1]
			p := filepath.Join(dir, b, "index")
			buf, _ := os.ReadFile(p)
			for i := len(buf) / 3; i < len(buf)/3+512 && i < len(buf); i++ {
				buf[i] ^= 0xff
			}
			os.WriteFile(p, buf, 0o644)
			return b
		}, "not read", true},
		{"bad meta.json", func(t *testing.T, dir string) string {
			b := blocksOf(dir)[0]
			os.WriteFile(filepath.Join(dir, b, "meta.json"), []byte(`{"ulid": "nope", "version": 1`), 0o644)
			return b
		}, "meta", true},
		{"empty wal", func(t *testing.T, dir string) string {
			os.RemoveAll(filepath.Join(dir, "wal"))
			os.RemoveAll(filepath.Join(dir, "chunks_head"))
			os.Mkdir(filepath.Join(dir, "wal"), 0o755)
			return ""
		}, "", false},
		{"no blocks", func(t *testing.T, dir string) string {
			for _, b := range blocksOf(dir) {
				os.RemoveAll(filepath.Join(dir, b))
			}
			return ""
		}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, facts := promData(t)
			bad := tc.damage(t, dir)
			m, rep, _ := readProm(t, dir, forensics.TimeRange{})
			if bad != "" {
				found := false
				for _, p := range rep.Problems {
					found = found || (strings.Contains(p.String(), bad) && strings.Contains(p.String(), tc.wantProb) && p.Severity == "error")
				}
				if !found {
					t.Fatalf("no problem naming block %s: %v", bad, rep.Problems)
				}
			} else if len(rep.Problems) > 0 {
				t.Errorf("problems: %v", rep.Problems)
			}
			var head, total int
			for _, r := range m.rows {
				if s, ok := r.(*forensics.PromSample); ok {
					total++
					if s.T > facts.BlockMaxTime.UnixMilli() {
						head++
					}
				}
			}
			if total == 0 {
				t.Fatal("nothing read")
			}
			if tc.headRead != (head > 0) {
				t.Errorf("samples from the head: %d (want some: %v)", head, tc.headRead)
			}
		})
	}
}

// dirManifest lists every file under root with mode, size, mtime and sha256.
func dirManifest(t testing.TB, root string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		line := fmt.Sprintf("%s %v %d %d", p, info.Mode(), info.Size(), info.ModTime().UnixNano())
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			h := sha256.Sum256(b)
			line += " " + hex.EncodeToString(h[:])
		}
		lines = append(lines, line)
		return nil
	})
	return strings.Join(lines, "\n")
}
