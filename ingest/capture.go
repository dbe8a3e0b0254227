package ingest

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// Capture reads command outputs the responders saved while following the
// playbook, into the captures table, one row per value set:
//
//	nvidia-smi                       default table: one row per GPU (memory used/total, GPU-Util,
//	                                 temperature, power) and per process of its Processes table
//	nvidia-smi --query-gpu=... --format=csv [-l N]   one row per GPU and sample, each with its own time
//	df -h (also -hT, -H, -k, -P, -i) one row per mounted filesystem
//	free -h (also -m, -g, -b, -w)    one row for memory, one for swap
//	docker-compose ps (v1 and v2), docker ps   one row per container with its state
//	docker stats --no-stream         one row per container: CPU %, memory used and limit, I/O
//
// A file may hold several outputs one after another, with `date` lines,
// `watch` headers and echoed commands ($ df -h) between them. The time of
// each output is its own (nvidia-smi's header, the CSV timestamp column),
// else the last `date` line above it, else the stamp in the file name
// (nvidia-smi-20261120T140512Z.txt); zone-less times are read in --tz.
// Table headers and borders are folded into the first row of their table.
// A table cut in the middle keeps the rows it has; the lines of a GPU
// block or process line cut short, and any line that belongs to no
// recognised output, are rejected with the reason.
type Capture struct{}

var _ Reader = Capture{}

// Kind implements Reader.
func (Capture) Kind() string { return "capture" }

// Sniff implements Reader: the sample is read as captures, and claimed when
// it yields rows and few rejects.
func (Capture) Sniff(s *Sample) int {
	if len(s.Lines) == 0 {
		return 0
	}
	text := bytes.Join(s.Lines, []byte("\n"))
	var cs countSink
	in := &Input{Path: s.Path, R: bytes.NewReader(text), TZ: time.UTC, Sink: &cs}
	if err := (Capture{}).Read(context.Background(), in); err != nil || in.Stats.Rows == 0 {
		return 0
	}
	switch st := in.Stats; {
	case st.Rejects*10 <= st.Lines:
		return 90
	case st.Rejects*2 <= st.Lines:
		return 50
	}
	return 0
}

// countSink counts what a reader emits (for sniffing by reading).
type countSink struct{ rows, rejects int }

func (c *countSink) Log(*forensics.LogRecord) error    { c.rows++; return nil }
func (c *countSink) HTTP(*forensics.HTTPRequest) error { c.rows++; return nil }
func (c *countSink) Note(*forensics.Note) error        { c.rows++; return nil }
func (c *countSink) Emit(forensics.Record) error       { c.rows++; return nil }
func (c *countSink) Reject(int64, string, []byte) error {
	c.rejects++
	return nil
}

// Read implements Reader.
func (Capture) Read(ctx context.Context, in *Input) error {
	sp := newSplitter(in, capEnv{}, "")
	if t, ok := nameTime(in.Path, in.TZ); ok {
		sp.base = capEnv{ts: t, tsSource: "file_name"}
	}
	if _, host, _ := historyWho(in.Path); host != "" {
		sp.base.host = host
	}
	sp.env = sp.base
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := lr.Line()
		if bytes.IndexByte(l.Text, 0x1b) >= 0 || bytes.IndexByte(l.Text, '\r') >= 0 {
			c := *l
			c.Text = cleanTerminal(l.Text)
			l = &c
		}
		if err := sp.line(l); err != nil {
			return err
		}
	}
	if err := sp.end(); err != nil {
		return err
	}
	return lr.Err()
}

// capEnv is what is known about an output where it starts.
type capEnv struct {
	ts       time.Time
	tsSource string // output, date_line, file_name, session
	host     string
	command  string // the command that printed it, when known
}

// outParser parses one command output, line by line.
type outParser interface {
	// take keeps l as part of this output, or reports false when the
	// output ended before l.
	take(l *Line) bool
	// done emits the rows and rejects of what was taken.
	done() error
}

// splitter finds the command outputs in a stream of lines and hands each
// to its parser. Lines between outputs (blank lines, date lines, watch
// headers, echoed commands) are context: folded into the next output's
// first row. Other lines go to other: a reject in a capture file, part of
// the command's output in a session log.
type splitter struct {
	in     *Input
	base   capEnv // what holds for the whole file (name stamp, host)
	env    capEnv // base plus what the lines so far told
	hint   string // the command whose output this is (session logs); "" in a capture file
	ctx    []Line // context lines waiting for the next output
	ctxWhy []string
	cur    outParser
	other  func(l *Line) error // nil: reject
	outs   int                 // outputs parsed
	latest time.Time           // the latest time the lines told (date lines, nvidia-smi's own)
	first  time.Time           // the first time the lines told
}

// saw notes a time the output printed.
func (sp *splitter) saw(t time.Time) {
	if t.After(sp.latest) {
		sp.latest = t
	}
	if sp.first.IsZero() {
		sp.first = t
	}
}

func newSplitter(in *Input, env capEnv, hint string) *splitter {
	return &splitter{in: in, base: env, env: env, hint: hint}
}

var (
	watchHeader = regexp.MustCompile(`^Every [0-9.]+s: (.+?)\s{2,}(?:(\S+): )?([A-Z][a-z]{2} .+[0-9])\s*$`)
	echoPrompt  = regexp.MustCompile(`^(?:\[?([A-Za-z0-9_.\-]+)@([A-Za-z0-9_.\-]+)[: ][^$#%]*[\]]?\s*[$#%] |[$%] |\+ |> )(.+)$`)
)

func capCopyLine(l *Line) Line {
	c := *l
	c.Text = append([]byte(nil), l.Text...)
	return c
}

// line takes the next line.
func (sp *splitter) line(l *Line) error {
	if sp.cur != nil {
		if sp.cur.take(l) {
			return nil
		}
		if err := sp.finish(); err != nil {
			return err
		}
	}
	t := l.Text
	if isBlank(t) {
		return sp.context(l, "blank line", capEnv{}, false)
	}
	if p := sp.start(l); p != nil {
		sp.cur = p
		return nil
	}
	if ts, ok := parseDateLine(t, sp.in.TZ); ok {
		return sp.context(l, "date line with no command output below it", capEnv{ts: ts, tsSource: "date_line"}, true)
	}
	if m := watchHeader.FindSubmatch(t); m != nil {
		ts, ok := parseDateLine(m[3], sp.in.TZ)
		if ok {
			e := capEnv{ts: ts, tsSource: "date_line", host: string(m[2]), command: strings.TrimSpace(string(m[1]))}
			return sp.context(l, "watch header with no command output below it", e, true)
		}
	}
	if sp.hint == "" {
		if m := echoPrompt.FindSubmatch(t); m != nil && looksLikeCommand(m[3]) {
			e := capEnv{host: string(m[2]), command: strings.TrimSpace(string(m[3]))}
			return sp.context(l, "command line with no output below it", e, true)
		}
	}
	if sp.other != nil {
		if err := sp.flushContext(); err != nil {
			return err
		}
		return sp.other(l)
	}
	return sp.in.Reject(l, "not part of a recognised command output (nvidia-smi, df, free, docker-compose ps, docker stats)")
}

// context keeps a line between outputs; e says what it tells (set marks
// that it tells something).
func (sp *splitter) context(l *Line, why string, e capEnv, set bool) error {
	if len(sp.ctx) > 64 {
		// a long run of context: what is far above cannot be folded
		if err := sp.flushContext(); err != nil {
			return err
		}
	}
	sp.ctx = append(sp.ctx, capCopyLine(l))
	sp.ctxWhy = append(sp.ctxWhy, why)
	if set {
		if !e.ts.IsZero() {
			sp.env.ts, sp.env.tsSource = e.ts, e.tsSource
			sp.saw(e.ts)
		}
		if e.host != "" {
			sp.env.host = e.host
		}
		if e.command != "" {
			sp.env.command = e.command
		}
	}
	return nil
}

// flushContext gives context lines that no output follows to other, or
// rejects them.
func (sp *splitter) flushContext() error {
	for i := range sp.ctx {
		var err error
		if sp.other != nil {
			err = sp.other(&sp.ctx[i])
		} else {
			err = sp.in.Reject(&sp.ctx[i], sp.ctxWhy[i])
		}
		if err != nil {
			return err
		}
	}
	sp.ctx, sp.ctxWhy = sp.ctx[:0], sp.ctxWhy[:0]
	return nil
}

// start returns the parser of an output that starts at l, or nil.
func (sp *splitter) start(l *Line) outParser {
	hint := sp.env.command
	if sp.hint != "" {
		hint = sp.hint
	}
	tools := hintTools(hint)
	allowed := func(tool string) bool { return sp.hint == "" || tools[tool] || tools["*"] }
	t := l.Text
	e := sp.env
	e.command = hint
	var p outParser
	switch {
	case allowed("nvidia-smi") && nvidiaTableStart(t):
		p = newNvidiaTable(sp, e)
	case allowed("nvidia-smi") && (smiCSVHeader(t) != nil || smiCSVBare(t)):
		p = newSmiCSV(sp, e)
	case allowed("df") && dfHeader.Match(t):
		p = newDF(sp, e)
	case allowed("free") && freeHeader.Match(t):
		p = newFree(sp, e)
	case allowed("docker-compose-ps") && (composePSv1.Match(t) || composePSv2.Match(t) || dockerPS.Match(t)):
		p = newPS(sp, e)
	case allowed("docker-stats") && dockerStats.Match(t):
		p = newStats(sp, e)
	}
	if p == nil {
		return nil
	}
	sp.outs++
	if !p.take(l) {
		return nil
	}
	return p
}

var (
	dfWord   = regexp.MustCompile(`(^|[\s;|&(])df(\s|$)`)
	freeWord = regexp.MustCompile(`(^|[\s;|&(])free(\s|$)`)
)

// hintTools tells which outputs a command can print: the capture tools in
// it, or any ("*") for cat, less, tail and the like.
func hintTools(cmd string) map[string]bool {
	out := map[string]bool{}
	if cmd == "" {
		out["*"] = true
		return out
	}
	c := strings.ToLower(cmd)
	has := func(s string) bool { return strings.Contains(c, s) }
	if has("nvidia-smi") {
		out["nvidia-smi"] = true
	}
	if dfWord.MatchString(c) {
		out["df"] = true
	}
	if freeWord.MatchString(c) {
		out["free"] = true
	}
	if has(" ps") && (has("docker") || has("compose") || has("podman")) {
		out["docker-compose-ps"] = true
	}
	if has("stats") && has("docker") {
		out["docker-stats"] = true
	}
	first := ""
	if f := strings.Fields(c); len(f) > 0 {
		first = filepath.Base(f[0])
		if first == "sudo" && len(f) > 1 {
			first = filepath.Base(f[1])
		}
	}
	switch first {
	case "cat", "less", "more", "tail", "head", "bat", "zcat", "column":
		out["*"] = true
	}
	return out
}

// finish ends the current output.
func (sp *splitter) finish() error {
	p := sp.cur
	sp.cur = nil
	if p == nil {
		return nil
	}
	sp.env.command = ""
	return p.done()
}

// end finishes the stream.
func (sp *splitter) end() error {
	if err := sp.finish(); err != nil {
		return err
	}
	return sp.flushContext()
}

// takeContext hands the waiting context lines to a starting output.
func (sp *splitter) takeContext() []Line {
	c := append([]Line(nil), sp.ctx...)
	sp.ctx, sp.ctxWhy = sp.ctx[:0], sp.ctxWhy[:0]
	return c
}

// block collects the lines of a buffered output and which row each
// belongs to, and emits rows and rejects in line order.
type capBlock struct {
	sp     *splitter
	env    capEnv
	tool   string
	lines  []Line
	prefix int   // context lines at the start, folded into the first row
	owner  []int // row index, or -1 (rejected, see why), or -2 (not yet assigned)
	why    []string
	rows   []*forensics.Capture
	max    int // lines kept before the block is cut
}

func newCapBlock(sp *splitter, env capEnv, tool string) *capBlock {
	b := &capBlock{sp: sp, env: env, tool: tool, max: 20000}
	for _, c := range sp.takeContext() {
		b.lines = append(b.lines, c)
		b.owner = append(b.owner, -2)
		b.why = append(b.why, "")
		b.prefix++
	}
	return b
}

func (b *capBlock) keep(l *Line) int {
	b.lines = append(b.lines, capCopyLine(l))
	b.owner = append(b.owner, -2)
	b.why = append(b.why, "")
	return len(b.lines) - 1
}

func (b *capBlock) full() bool { return len(b.lines) >= b.max }

// row adds a row; its numbers start unknown.
func (b *capBlock) row() *forensics.Capture {
	c := forensics.NoCapture()
	c.Tool = b.tool
	b.rows = append(b.rows, &c)
	return &c
}

func (b *capBlock) own(i int, row int) { b.owner[i] = row }

func (b *capBlock) reject(i int, why string) { b.owner[i], b.why[i] = -1, why }

// emit sends the rows and rejects. Unassigned lines join the row above
// them (the first row for lines above it); with no row at all they are
// rejected with noRows.
func (b *capBlock) emit(noRows string) error {
	in := b.sp.in
	if len(b.rows) == 0 {
		for i := range b.lines {
			why := noRows
			if b.owner[i] == -1 {
				why = b.why[i]
			}
			if err := in.Reject(&b.lines[i], why); err != nil {
				return err
			}
		}
		return nil
	}
	// unassigned lines: to the row above, else the first row
	lastWord := -1
	for i := range b.owner {
		if b.owner[i] >= 0 {
			lastWord = b.owner[i]
			continue
		}
		if b.owner[i] == -2 && lastWord >= 0 {
			b.owner[i] = lastWord
		}
	}
	first := -1
	for i := range b.owner {
		if b.owner[i] >= 0 {
			first = b.owner[i]
			break
		}
	}
	for i := range b.owner {
		if b.owner[i] == -2 {
			b.owner[i] = first
		}
	}
	count := make([]int, len(b.rows))
	for _, o := range b.owner {
		if o >= 0 {
			count[o]++
		}
	}
	done := make([]bool, len(b.rows))
	for i := range b.lines {
		o := b.owner[i]
		if o < 0 {
			if err := in.Reject(&b.lines[i], b.why[i]); err != nil {
				return err
			}
			continue
		}
		if done[o] {
			continue
		}
		done[o] = true
		c := b.rows[o]
		c.LineNo = b.lines[i].No
		c.Lines = count[o]
		b.fill(c)
		if err := in.Emit(c, c.TS, count[o], b.lines[i].Offset); err != nil {
			return err
		}
	}
	return nil
}

// fill sets what the environment knows on a row.
func (b *capBlock) fill(c *forensics.Capture) {
	if c.TS.IsZero() && !b.env.ts.IsZero() {
		c.TS, c.TSSource = b.env.ts, b.env.tsSource
	}
	if c.Host == "" {
		c.Host = b.env.host
	}
	if b.env.command != "" {
		c.Attrs = withAttr(c.Attrs, "command", b.env.command)
	}
}

// cells splits a table row on runs of two or more spaces.
var capTwoSpaces = regexp.MustCompile(`\s{2,}`)

func capCells(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return capTwoSpaces.Split(s, -1)
}

// columns finds the start (in runes) of each header label.
func capColumns(header string, labels []string) []int {
	var pos []int
	r := []rune(header)
	h := string(r)
	from := 0
	for _, lab := range labels {
		i := strings.Index(h[from:], lab)
		if i < 0 {
			return nil
		}
		pos = append(pos, len([]rune(h[:from+i])))
		from += i + len(lab)
	}
	return pos
}

// slice cuts a row at the header's column starts (in runes).
func capSlice(row string, pos []int) []string {
	r := []rune(row)
	out := make([]string, len(pos))
	for i, p := range pos {
		if p >= len(r) {
			continue
		}
		end := len(r)
		if i+1 < len(pos) && pos[i+1] < end {
			end = pos[i+1]
		}
		out[i] = strings.TrimSpace(string(r[p:end]))
	}
	return out
}

// rowCells splits a row of an aligned table with n columns: on runs of
// two or more spaces when that gives n cells, else at the header's
// column starts.
func capRowCells(row string, pos []int) []string {
	c := capCells(row)
	if len(c) == len(pos) || pos == nil {
		return c
	}
	return capSlice(row, pos)
}

// errShort is the reason for a row with fewer cells than its header.
func capShort(tool string, got, want int) string {
	return fmt.Sprintf("%s row has %d columns, the header %d (cut off or not this layout)", tool, got, want)
}

var termEscape = regexp.MustCompile("\x1b(\\[[0-9;?]*[ -/]*[@-~]|\\][^\x07\x1b]*(\x07|\x1b\\\\)|[()][0-9A-Za-z]|[=>78cDEHMNOZ])")

// cleanTerminal removes what a terminal interprets rather than shows:
// escape sequences (colours, cursor moves, window titles, bracketed
// paste), text overwritten after a carriage return, backspaced
// characters, and bells.
func cleanTerminal(b []byte) []byte {
	if bytes.IndexByte(b, 0x1b) >= 0 {
		b = termEscape.ReplaceAll(b, nil)
	}
	if i := bytes.LastIndexByte(b, '\r'); i >= 0 {
		if i == len(b)-1 {
			b = b[:i]
			if j := bytes.LastIndexByte(b, '\r'); j >= 0 {
				b = b[j+1:]
			}
		} else {
			// what follows the last \r overwrote the start of the line
			tail := b[i+1:]
			head := b[:i]
			if j := bytes.LastIndexByte(head, '\r'); j >= 0 {
				head = head[j+1:]
			}
			if len(tail) >= len(head) {
				b = tail
			} else {
				b = append(append([]byte(nil), tail...), head[len(tail):]...)
			}
		}
	}
	if bytes.IndexByte(b, '\b') >= 0 || bytes.IndexByte(b, 0x07) >= 0 || bytes.IndexByte(b, 0x7f) >= 0 {
		out := make([]byte, 0, len(b))
		for _, c := range b {
			switch c {
			case '\b', 0x7f:
				if len(out) > 0 {
					out = out[:len(out)-1]
				}
			case 0x07:
			default:
				out = append(out, c)
			}
		}
		b = out
	}
	return b
}
