package templates

import (
	"bufio"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests in this file check that the masker produces exactly the bytes
// of the frozen reference implementation in mask_ref_test.go, for every
// message: masking speed-ups must not move a single template.

// refAppendMasked is appendMasked (miner.go) on top of the reference masker.
func (sc *refScratch) refAppendMasked(dst []byte, message string) []byte {
	if len(message) > maxMessageBytes {
		message = message[:maxMessageBytes]
	}
	start := len(dst)
	dst = sc.refAppendMask(dst, message)
	if len(dst) == start {
		dst = append(dst, refWildcard...)
	}
	return dst
}

// maskDiff compares the masker with the reference on one message, with an
// empty and a non-empty destination (appendMask must not look before the
// start of its own output) and through Masker.Append. The scratch values
// are reused across calls, as in the miner.
type maskDiff struct {
	sc  scratch
	ref refScratch
	mk  Masker
	a   []byte
	b   []byte
}

func (d *maskDiff) check(t testing.TB, msg string) {
	t.Helper()
	d.a = d.sc.appendMask(d.a[:0], msg)
	d.b = d.ref.refAppendMask(d.b[:0], msg)
	if string(d.a) != string(d.b) {
		t.Fatalf("appendMask(%q)\n got %q\nwant %q", clip(msg), d.a, d.b)
	}
	const prefix = "x <*> "
	d.a = d.sc.appendMask(append(d.a[:0], prefix...), msg)
	d.b = d.ref.refAppendMask(append(d.b[:0], prefix...), msg)
	if string(d.a) != string(d.b) {
		t.Fatalf("appendMask(%q, %q)\n got %q\nwant %q", prefix, clip(msg), d.a, d.b)
	}
	d.a = d.mk.Append(d.a[:0], msg)
	d.b = d.ref.refAppendMasked(d.b[:0], msg)
	if string(d.a) != string(d.b) {
		t.Fatalf("Masker.Append(%q)\n got %q\nwant %q", clip(msg), d.a, d.b)
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// corpusMessages returns the messages of the package's test data, the
// benchmark generators, and, when LOGHUB_DIR is set, the Content column of
// the LogHub structured files and the lines of LOGHUB_DIR/raw/*.txt.
func corpusMessages(t *testing.T) []string {
	var msgs []string
	for _, l := range readLabelled(t, "testdata/grouping.txt") {
		msgs = append(msgs, l.msg)
	}
	msgs = append(msgs, maskSeeds...)
	msgs = append(msgs, benchMessages(4096)...)
	msgs = append(msgs, appLogMessages(4096)...)
	dir := os.Getenv("LOGHUB_DIR")
	if dir == "" {
		return msgs
	}
	for _, sys := range loghubSystems {
		if p := findStructured(dir, sys); p != "" {
			contents, _, err := loadStructured(p)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, contents...)
		}
	}
	raws, _ := filepath.Glob(filepath.Join(dir, "raw", "*.txt"))
	for _, p := range raws {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			msgs = append(msgs, sc.Text())
		}
		f.Close()
	}
	return msgs
}

// maskSeeds are hand-picked inputs for the edge cases of the rules.
var maskSeeds = []string{
	"", " ", "\x00\x00", "\xff\xfe\xfd", "<*>", "<*> <*>", "a=b=c=d=e=f=g=1",
	"....1....2....", "::::::", "()", "[]", "''", `""`, "( )", "x=\"", "x='a b c' d",
	`tag="View Lock", name=x`, `msg="a b c d e f g h i j k" done`, `k="v"`, `k="v w"x`,
	"took 12 steps", "value -3.25 and +7", "lifetime <1 sec", "done in 3 seconds.",
	"waited 1000.123 ms for lock", "~20 min", "1.5. ms", "12 Sec, 13 HOURS",
	"at Fri Jun 17 07:07:00 2005", "May I help", "Jun 17", "on Mon, 17 Jun 2024",
	"Sept 5", "2024 December", "Tuesday Jan 5", "MAY 5", "Mayday 5",
	"IO80211Peer::setMode done", "a::b1::c2", "alignment...............0",
	"generating core.2275", "eth0", "blk_-1608999687919862906", "node-3", "ab#:1",
	"ready=true,policy=3,mode=false", "a,b,c", "a,1,b", "x,'y'", "x,_y", ",a",
	"onExtend:1514038530000 14 0 4", "key:value", "key::value", "key:/path", `key:\x`,
	"C:\\Windows\\x", "\\\\server\\share", "a\\b\\c", "/a/b", "//a/b", "/a", "~/x", "./x", "../x",
	"https://example.com/a?b=1", "git+ssh://h/x", "a_b://x", "alice@example.com", "a@b.c", "@a.bc",
	"0x1f3a", "0X1F", "ee0", "add1", "bad0", "deadbeef", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"10.0.0.5:8080", "[fe80::1ff:fe23:4567:890a]:443", "5c:50:15:4c:18:13", "3f1c2d4e-5a6b-7c8d-9e0f-1a2b3c4d5e6f",
	"héllo wörld 42", "µs 5 µs", "5 µs", "日本語 1 テスト", "bad \xff\xfe token", "\xe2\x82 1", "a\xc3",
	strings.Repeat("x1 ", 600), strings.Repeat("a ", 513), strings.Repeat("a ", 512), strings.Repeat("9", 10000),
	strings.Repeat("key=\"", 1000), strings.Repeat("(", 10000), strings.Repeat("<*>", 1000),
	strings.Repeat("é", 5000) + "\xe2\x82", strings.Repeat("ab", 5000) + " 1",
}

// TestMaskMatchesReferenceCorpus checks every message of the test corpora.
func TestMaskMatchesReferenceCorpus(t *testing.T) {
	var d maskDiff
	msgs := corpusMessages(t)
	for _, m := range msgs {
		d.check(t, m)
	}
	t.Logf("%d corpus messages identical", len(msgs))
}

// mutator builds random messages from the tokens of the corpora and from
// bytes that the masking rules treat specially.
type mutator struct {
	r    *rand.Rand
	toks []string
}

// specialPieces are the bytes the rules look at, plus multi-byte and invalid
// UTF-8 pieces.
var specialPieces = []string{
	"0", "1", "7", "9", "a", "f", "x", "X", "Z", "_", "-", "+", "~", ".", "...", ",", ";", ":", "::",
	"!", "?", "=", "'", `"`, "`", "(", ")", "[", "]", "{", "}", "<", ">", "<*>", "/", "//", "\\", "@",
	"#", "$", "*", "%", "&", "|", " ", "  ", "\t", "\x00", "\x7f", "\n", "é", "µ", "日", "\xff",
	"\x80", "\xe2\x82", "\xc3", "://", "0x", "ms", "sec", "Jun", "Mon", "May", "Sept", "key=",
}

func newMutator(seed int64, corpus []string) *mutator {
	m := &mutator{r: rand.New(rand.NewSource(seed))}
	seen := map[string]bool{}
	for _, msg := range corpus {
		for _, tok := range strings.Fields(msg) {
			if len(tok) <= 200 && !seen[tok] {
				seen[tok] = true
				m.toks = append(m.toks, tok)
			}
		}
	}
	m.toks = append(m.toks, specialPieces...)
	return m
}

func (m *mutator) piece() string {
	r := m.r
	switch r.Intn(10) {
	case 0, 1:
		return specialPieces[r.Intn(len(specialPieces))]
	case 2:
		// a number of some shape
		var b []byte
		if r.Intn(4) == 0 {
			b = append(b, "<>~+-"[r.Intn(5)])
		}
		for k := 1 + r.Intn(6); k > 0; k-- {
			b = append(b, byte('0'+r.Intn(10)))
		}
		if r.Intn(2) == 0 {
			b = append(b, '.')
			for k := r.Intn(4); k > 0; k-- {
				b = append(b, byte('0'+r.Intn(10)))
			}
		}
		return string(b)
	case 3:
		// random bytes
		b := make([]byte, 1+r.Intn(8))
		for i := range b {
			b[i] = byte(r.Intn(256))
		}
		return string(b)
	default:
		return m.toks[r.Intn(len(m.toks))]
	}
}

// message returns a random splice of tokens and pieces, then mutated.
func (m *mutator) message() string {
	r := m.r
	var b []byte
	n := 1 + r.Intn(16)
	if r.Intn(200) == 0 {
		n = 400 + r.Intn(300) // around maxRawTokens
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			switch r.Intn(8) {
			case 0: // glue tokens together
			case 1:
				b = append(b, specialPieces[r.Intn(len(specialPieces))]...)
			default:
				b = append(b, ' ')
			}
		}
		b = append(b, m.piece()...)
	}
	// point mutations
	for k := r.Intn(4); k > 0 && len(b) > 0; k-- {
		p := r.Intn(len(b))
		switch r.Intn(4) {
		case 0:
			b = append(b[:p], b[p+1:]...)
		case 1:
			b = append(b[:p], append([]byte(specialPieces[r.Intn(len(specialPieces))]), b[p:]...)...)
		case 2:
			b[p] ^= 0x20 // case flip (or punctuation change)
		case 3:
			b[p] = byte('0' + r.Intn(10))
		}
	}
	if r.Intn(500) == 0 {
		// a very long token
		tok := m.piece()
		b = append(b, ' ')
		for k := 2000 + r.Intn(8000); k > 0; k -= len(tok) + 1 {
			b = append(b, tok...)
		}
	}
	return string(b)
}

// TestMaskMatchesReferenceGenerated checks generated messages: random
// splices of corpus tokens, numbers, punctuation, quotes, unicode and
// invalid UTF-8, with random point mutations.
func TestMaskMatchesReferenceGenerated(t *testing.T) {
	n := 400000
	if testing.Short() {
		n = 20000
	}
	mu := newMutator(1, corpusMessages(t))
	var d maskDiff
	for i := 0; i < n; i++ {
		d.check(t, mu.message())
	}
}

// FuzzMaskMatchesReference checks the masker against the reference on
// arbitrary input.
func FuzzMaskMatchesReference(f *testing.F) {
	for _, s := range maskSeeds {
		f.Add(s)
	}
	for _, s := range appLogMessages(64) {
		f.Add(s)
	}
	var d maskDiff
	f.Fuzz(func(t *testing.T, msg string) {
		d.check(t, msg)
	})
}
