package templates

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// numbers
		{"took 12 steps", "took <*> steps"},
		{"value -3.25 and +7", "value <*> and <*>"},
		{"offset 0x1f3a at 8f3a21", "offset <*> at <*>"},
		{"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha<*> <*>"},
		{"Benchmark run 8f3a21 failed on model svd-xt after 12.5s", "Benchmark run <*> failed on model svd-xt after <*>"},
		// ids and addresses
		{"request 3f1c2d4e-5a6b-7c8d-9e0f-1a2b3c4d5e6f done", "request <*> done"},
		{"from 10.0.0.5 port 22", "from <*> port <*>"},
		{"peer 10.0.0.5:8080 closed", "peer <*> closed"},
		{"listening on [fe80::1ff:fe23:4567:890a]:443", "listening on [<*>"},
		{"bound to ::1 and fe80::1", "bound to <*> and <*>"},
		{"mac 5c:50:15:4c:18:13 seen", "mac <*> seen"},
		{"Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106", "Receiving block blk_-<*> src: <*>"},
		{"api.github.com:443 open through proxy", "<*> open through proxy"},
		// paths and urls
		{"open /var/lib/data/file.db failed", "open <*> failed"},
		{`Loaded C:\Windows\System32\drivers\x.sys`, "Loaded <*>"},
		{"fetch https://example.com/a?b=1 ok", "fetch <*> ok"},
		{"see ./run.sh and ~/bin/tool", "see <*> and <*>"},
		{"mail from alice@example.com", "mail from <*>"},
		// durations and sizes
		{"waited 1000.123 ms for lock", "waited <*> for lock"},
		{"lifetime <1 sec", "lifetime <*>"},
		{"done in 3 seconds.", "done in <*>."},
		{"timeout 300s, retry 1.5ms", "timeout <*>, retry <*>"},
		{"allocated 2.00 GiB of 512MB", "allocated <*> GiB of <*>"},
		// key=value and key:value
		{"uid=0 euid=0 user=root tty=ssh", "uid=<*> euid=<*> user=root tty=ssh"},
		{"ready=true,policy=3,mode=false", "ready=true, policy=<*>, mode=false"},
		{"logname= uid=0", "logname= uid=<*>"},
		{"onExtend:1514038530000 14 0 4", "onExtend:<*> <*>"},
		{"tag=\"View Lock\", name=x", "tag=\"<*>\", name=x"},
		// quotes and brackets
		{"KeyError: 'fps'", "KeyError: '<*>'"},
		{`relation "runs_tmp" does not exist`, `relation "<*>" does not exist`},
		{"connection from 1.2.3.4 () at", "connection from <*> (<*>) at"},
		{"(HWID=1973) [Thunderbird_A8]", "(HWID=<*>) [<*>]"},
		// words with numbers
		{"generating core.2275", "generating core.<*>"},
		{"interface eth0 up", "interface eth<*> up"},
		{"alignment...............0", "alignment...............<*>"},
		{"IO80211Peer::setMode done", "<*>::setMode done"},
		// dates inside messages
		{"at Fri Jun 17 07:07:00 2005", "at <*>"},
		{"May I help", "May I help"},
		// runs of variables collapse, constant words stay
		{"name bn1 bn2 bn3 bn4", "name bn<*>"},
		{"REPORT : 7007 5002 150089 240", "REPORT : <*>"},
		{"Accepted password for root from 1.2.3.4 port 22 ssh2", "Accepted password for root from <*> port <*> ssh<*>"},
		// whitespace, control characters and invalid UTF-8
		{"  a\tb\x00c  ", "a b c"},
		{"bad \xff\xfe token", "bad <*> token"},
		{"héllo wörld 42", "héllo wörld <*>"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

type labelled struct {
	system, group, msg string
}

func readLabelled(t *testing.T, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	system := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			system = strings.TrimSpace(line[3:])
			continue
		case strings.HasPrefix(line, "#"), strings.TrimSpace(line) == "":
			continue
		}
		g, msg, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: line without tab: %q", path, line)
		}
		out = append(out, labelled{system, system + "/" + g, msg})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGrouping mines hand-labelled messages of many kinds of systems, all
// through one miner, and checks that messages are grouped as labelled.
func TestGrouping(t *testing.T) {
	data := readLabelled(t, "testdata/grouping.txt")
	m := NewMiner(Options{})
	pred := make([]uint32, len(data))
	truth := make([]string, len(data))
	for i, d := range data {
		pred[i] = m.Add(d.msg)
		truth[i] = d.group
	}
	acc := groupingAccuracy(pred, truth)
	if acc < 1 {
		for _, p := range misgrouped(pred, truth) {
			t.Logf("misgrouped %s: %q -> #%d %q", data[p].group, data[p].msg, pred[p], m.Template(pred[p]))
		}
	}
	t.Logf("grouping accuracy %.4f on %d messages, %d templates", acc, len(data), len(m.Templates()))
	if acc < 0.97 {
		t.Errorf("grouping accuracy %.4f, want >= 0.97", acc)
	}
	// The same result when every system is mined separately.
	bySystem := map[string][]int{}
	for i, d := range data {
		bySystem[d.system] = append(bySystem[d.system], i)
	}
	for sys, idx := range bySystem {
		m := NewMiner(Options{})
		p := make([]uint32, len(idx))
		tr := make([]string, len(idx))
		for j, i := range idx {
			p[j] = m.Add(data[i].msg)
			tr[j] = data[i].group
		}
		if a := groupingAccuracy(p, tr); a < 0.95 {
			t.Errorf("%s: grouping accuracy %.4f, want >= 0.95", sys, a)
		}
	}
}

// misgrouped returns the indexes of messages whose predicted group is not
// exactly their true group.
func misgrouped(pred []uint32, truth []string) []int {
	members := map[uint32][]int{}
	size := map[string]int{}
	for i, p := range pred {
		members[p] = append(members[p], i)
		size[truth[i]]++
	}
	var bad []int
	for _, idx := range members {
		ok := size[truth[idx[0]]] == len(idx)
		for _, i := range idx {
			if truth[i] != truth[idx[0]] {
				ok = false
			}
		}
		if !ok {
			bad = append(bad, idx...)
		}
	}
	return bad
}

func TestTemplateTexts(t *testing.T) {
	m := NewMiner(Options{})
	a := m.Add("Invalid user webmaster from 173.234.31.186")
	b := m.Add("Invalid user chen from 202.100.179.208")
	if a != b {
		t.Fatalf("ids %d and %d, want one template", a, b)
	}
	if got, want := m.Template(a), "Invalid user <*> from <*>"; got != want {
		t.Errorf("Template = %q, want %q", got, want)
	}
	// Different token counts, same event: one id, aligned text.
	c := m.Add("proxy.example.com:5070 close, 0 bytes sent, 0 bytes received, lifetime <1 sec")
	d := m.Add("proxy.example.com:5070 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02")
	if c != d {
		t.Errorf("optional detail split the event: %d %q and %d %q", c, m.Template(c), d, m.Template(d))
	}
	if got := m.Template(c); !strings.Contains(got, "close,") || !strings.Contains(got, "received,") {
		t.Errorf("merged text %q", got)
	}
	// Enumeration constants keep events apart.
	e := m.Add("attempt_01 TaskAttempt Transitioned from NEW to UNASSIGNED")
	f := m.Add("attempt_02 TaskAttempt Transitioned from RUNNING to SUCCEEDED")
	if e == f {
		t.Errorf("state transitions merged into %q", m.Template(e))
	}
	if m.Template(0) != "" || m.Template(9999) != "" {
		t.Errorf("unknown ids must have no text")
	}
}

func TestIDsStable(t *testing.T) {
	msgs := []string{
		"Benchmark run 8f3a21 failed on model svd-xt after 12.5s",
		"worker 3 started",
		"Benchmark run 0c77e9 failed on model ltx-video after 301.2s",
		"queue depth 12 exceeds soft limit 10 for tenant alice",
		"worker 7 started",
		"Benchmark run 1d2e3f failed on model svd-xt after 0.9s",
	}
	m := NewMiner(Options{})
	first := map[string]uint32{}
	var ids []uint32
	for round := 0; round < 3; round++ {
		for _, s := range msgs {
			id := m.Add(s)
			if id == 0 {
				t.Fatalf("id 0 for %q", s)
			}
			if prev, ok := first[s]; ok && prev != id {
				t.Fatalf("id of %q changed from %d to %d", s, prev, id)
			}
			first[s] = id
			if round == 0 {
				ids = append(ids, id)
			}
		}
	}
	// ids start at 1 and are dense in creation order
	if ids[0] != 1 || ids[1] != 2 || ids[3] != 3 {
		t.Errorf("ids %v", ids)
	}
	ts := m.Templates()
	if len(ts) != 3 {
		t.Fatalf("templates %v", ts)
	}
	var total int64
	for i, tp := range ts {
		if i > 0 && ts[i-1].ID >= tp.ID {
			t.Errorf("Templates not sorted: %v", ts)
		}
		total += tp.Count
	}
	if total != int64(3*len(msgs)) {
		t.Errorf("counts add up to %d, want %d", total, 3*len(msgs))
	}
}

func TestRestore(t *testing.T) {
	day1 := []string{
		"Benchmark run 8f3a21 failed on model svd-xt after 12.5s",
		"Benchmark run 0c77e9 failed on model ltx-video after 301.2s",
		"vid-bench.service: Scheduled restart job, restart counter is at 3.",
		"process 20916 still waiting for AccessShareLock on relation 16412 of database 16384 after 1000.123 ms",
		"proxy.example.com:5070 close, 0 bytes sent, 0 bytes received, lifetime <1 sec",
		"proxy.example.com:5070 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02",
	}
	m1 := NewMiner(Options{})
	want := map[int]uint32{}
	for i, s := range day1 {
		want[i] = m1.Add(s)
	}
	saved := m1.Templates()

	m2 := NewMiner(Options{})
	m2.Restore(saved)
	if got := m2.Templates(); len(got) != len(saved) {
		t.Fatalf("restored %d templates, want %d", len(got), len(saved))
	}
	day2 := []string{
		"Benchmark run 77aa01 failed on model sdxl-turbo after 3.0s",
		"vid-bench.service: Scheduled restart job, restart counter is at 11.",
		"process 311 still waiting for AccessShareLock on relation 2604 of database 16384 after 1001.870 ms",
		"cdn.example.org:443 close, 87 bytes sent, 4369 bytes (4.26 KB) received, lifetime 00:40",
	}
	wantIdx := []int{0, 2, 3, 4}
	for i, s := range day2 {
		if got := m2.Add(s); got != want[wantIdx[i]] {
			t.Errorf("after Restore, %q got id %d (%q), want %d (%q)", s, got, m2.Template(got), want[wantIdx[i]], m2.Template(want[wantIdx[i]]))
		}
	}
	// New events get new ids above the restored ones.
	var max uint32
	for _, tp := range saved {
		if tp.ID > max {
			max = tp.ID
		}
	}
	if id := m2.Add("a completely new kind of message"); id <= max {
		t.Errorf("new id %d not above restored max %d", id, max)
	}
	// Counts carry over.
	for _, tp := range m2.Templates() {
		if tp.ID == want[0] && tp.Count != 3 {
			t.Errorf("count of %q = %d, want 3", tp.Text, tp.Count)
		}
	}
	// Restoring an id twice or id 0 is ignored.
	m2.Restore([]Template{{ID: want[0], Text: "something else"}, {ID: 0, Text: "zero"}})
	if got := m2.Template(want[0]); got != m1.Template(want[0]) {
		t.Errorf("restore overwrote template %d: %q", want[0], got)
	}
}

func TestHostileInput(t *testing.T) {
	m := NewMiner(Options{})
	inputs := []string{
		"",
		" ",
		"\x00\x00\x00",
		"\xff\xfe\xfd",
		strings.Repeat("a", 5<<20),
		strings.Repeat("x1 ", 200000),
		strings.Repeat("é", 100000) + "\xe2\x82",
		strings.Repeat("key=\"", 1000),
		strings.Repeat("(", 10000),
		strings.Repeat("<*>", 1000),
		"a=b=c=d=e=f=g=1",
		"....1....2....",
		"::::::",
	}
	for _, in := range inputs {
		id := m.Add(in)
		if id == 0 {
			t.Errorf("id 0 for input of %d bytes", len(in))
		}
		txt := m.Template(id)
		if txt == "" || !utf8.ValidString(txt) {
			t.Errorf("bad template %q for input of %d bytes", txt[:min(len(txt), 80)], len(in))
		}
		if len(txt) > maxMessageBytes+len(Wildcard)+16 {
			t.Errorf("template of %d bytes for input of %d bytes", len(txt), len(in))
		}
		if m := Mask(in); !utf8.ValidString(m) {
			t.Errorf("Mask produced invalid UTF-8")
		}
	}
}

// FuzzAdd checks that Add never panics, returns a valid id and that the id
// has a non-empty, valid UTF-8 template.
func FuzzAdd(f *testing.F) {
	seeds := []string{
		"Benchmark run 8f3a21 failed on model svd-xt after 12.5s",
		"proxy.cse.cuhk.edu.hk:5070 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02",
		"tag=\"View Lock\", name=com.android.systemui, uid=10037",
		"connection from 24.54.76.216 () at Fri Jun 17 07:07:00 2005",
		"force load/store alignment...............0",
		"\xff\x00 \t key='", "", "<*> <*>", "a=b=c",
	}
	for _, s := range seeds {
		f.Add(s, "second "+s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		m := NewMiner(Options{})
		for _, s := range []string{a, b, a} {
			id := m.Add(s)
			if id == 0 {
				t.Fatalf("id 0 for %q", s)
			}
			txt := m.Template(id)
			if txt == "" {
				t.Fatalf("empty template for %q", s)
			}
			if !utf8.ValidString(txt) {
				t.Fatalf("invalid UTF-8 template %q for %q", txt, s)
			}
		}
		if m.Add(a) != m.Add(a) {
			t.Fatalf("same message, different ids: %q", a)
		}
		if !utf8.ValidString(Mask(b)) {
			t.Fatalf("Mask(%q) is not valid UTF-8", b)
		}
	})
}

func TestMaskerThenAddMaskedEqualsAdd(t *testing.T) {
	msgs := []string{
		"Benchmark run 8f3a21 failed on model svd-xt",
		"Benchmark run 9c0d11 failed on model cogvideox-5b",
		"", "   ", "Queue depth: 12 (running=3, gpus=4)",
		"process 20916 still waiting for AccessShareLock on relation 16412 of database 16384 after 1000.123 ms",
	}
	a, b := NewMiner(Options{}), NewMiner(Options{})
	var mk Masker
	for _, msg := range msgs {
		ida := a.Add(msg)
		idb := b.AddMasked(mk.Append(nil, msg))
		if ida != idb || a.Template(ida) != b.Template(idb) {
			t.Errorf("%q: Add %d %q, AddMasked %d %q", msg, ida, a.Template(ida), idb, b.Template(idb))
		}
	}
}
