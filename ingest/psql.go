package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vidbench/forensics"
)

// PSQL reads snapshots of pg_stat_activity, pg_stat_statements, pg_locks
// and pg_settings saved as psql prints them by default (the aligned
// format), exactly as the playbook's `psql -c "SELECT * FROM ..."`
// commands leave them, including many tables in one file from `\watch 5`:
//
//	                      Fri Nov 20 14:05:00 2026 (every 5s)
//
//	  pid  | state  |          query
//	-------+--------+------------------------------
//	 20916 | active | UPDATE jobs SET state = $1  +
//	       |        | WHERE id = $2
//	 20917 |        |
//	(2 rows)
//
// Columns are found from the rule line (border 1, psql's default, or 2)
// and cells are cut at the rule's display positions, so a '|' inside a
// query does not split it and wide characters keep their place. A cell
// ending in '+' continues on the next line after a newline (a '.' marks
// a line wrapped by \pset format wrapped); an empty cell is NULL. Which
// view a table holds is decided from its column names; a table of no
// known view (a count(*), a SELECT of other tables) is kept whole in
// pg_snapshots. Title lines (the \watch time in the client's locale, or a
// `date` line), blank lines, headers, rules, "(N rows)" footers and psql's
// own messages are the frame of a table: they go with its pg_snapshots
// row. Anything else outside a table (echoed commands, ERROR lines) is a
// counted reject.
type PSQL struct{}

var _ Reader = PSQL{}

// Kind implements Reader.
func (PSQL) Kind() string { return "pg-psql" }

// Sniff implements Reader: the sample holds an aligned table whose columns
// are those of a statistics view. Files that are mostly tables score above
// every log reader; a table inside other text (a terminal session, a
// regression output) scores low, so a more specific reader wins.
func (PSQL) Sniff(s *Sample) int {
	known, tableLines, other := 0, 0, 0
	inTable := false
	var prev []byte
	for _, l := range s.Lines {
		switch {
		case inTable:
			if len(l) == 0 || psqlFooterRE.Match(l) {
				inTable = false
			}
			tableLines++
			continue
		case len(l) == 0:
			tableLines++
			continue
		}
		if lay, ok := parseRule(l); ok && prev != nil {
			var t psqlTable
			t.layout = lay
			if names, ok := t.headerNames(prev); ok {
				if newPGHeader(names) != nil {
					known++
				}
				inTable = true
				tableLines += 2
				other-- // prev was counted as other
				prev = nil
				continue
			}
		}
		if _, ok := pgTitleTime(l, time.UTC); ok || psqlChatter(l) {
			tableLines++
		} else {
			other++
		}
		prev = l
	}
	if known == 0 {
		return 0
	}
	if other*4 <= tableLines {
		return 96
	}
	return 40
}

// Read implements Reader.
func (PSQL) Read(ctx context.Context, in *Input) error {
	p := newPSQLParser(in)
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := p.line(lr.Line()); err != nil {
			return err
		}
	}
	if err := p.end(); err != nil {
		return err
	}
	return lr.Err()
}

// psqlLayout is the column layout of one aligned table, read from its
// rule line: the display columns [start, end) of each column's run of
// dashes.
type psqlLayout struct {
	segs   [][2]int
	border int // 1 or 2
	width  int
}

// parseRule reads a rule line: "----+-----" (border 1) or "+----+----+"
// (border 2).
func parseRule(b []byte) (psqlLayout, bool) {
	var lay psqlLayout
	if len(b) < 3 {
		return lay, false
	}
	lay.border = 1
	i := 0
	if b[0] == '+' {
		lay.border = 2
		i = 1
	}
	for i < len(b) {
		j := i
		for j < len(b) && b[j] == '-' {
			j++
		}
		if j-i < 2 {
			return lay, false
		}
		lay.segs = append(lay.segs, [2]int{i, j})
		if j == len(b) {
			break
		}
		if b[j] != '+' {
			return lay, false
		}
		i = j + 1
		if i == len(b) {
			if lay.border != 2 {
				return lay, false
			}
			break
		}
	}
	if lay.border == 2 && b[len(b)-1] != '+' {
		return lay, false
	}
	if len(lay.segs) == 1 && lay.segs[0][1]-lay.segs[0][0] < 3 {
		return lay, false // "--": an SQL comment, not a one-column rule
	}
	lay.width = len(b)
	return lay, true
}

// psqlTable is the table being read.
type psqlTable struct {
	layout   psqlLayout
	hdr      *pgHeader // nil: a table of no known view
	trimLeft []bool    // per column: right-aligned (numbers) or unknown
	rows     int
	rejected int

	// per line, reused
	line  []byte     // the line the spans are of
	spans []cellSpan // the cells of line
	end   []byte     // marker at each cell's end: ' ', '+' (newline), '.' (wrapped)
	cells []pgCell   // the cells as slices, made by split for headers
	pos   []int      // display column → byte offset, for lines with wide characters
}

// splitResult says how a line fits the table's columns.
type splitResult int

const (
	splitFits  splitResult = iota
	splitShort             // the separators seen match, but the line ends early (a cut row)
	splitNoFit             // not a row of this table
)

// split cuts line into the table's cells as slices (t.cells, t.end), for
// the few lines (headers) read that way. n is the number of columns found.
func (t *psqlTable) split(line []byte) (n int, res splitResult) {
	n, res = t.splitSpans(line)
	nc := len(t.spans)
	if cap(t.cells) < nc {
		t.cells = make([]pgCell, nc)
	}
	t.cells = t.cells[:nc]
	if res == splitFits {
		for k, sp := range t.spans {
			t.cells[k] = pgCell{Text: t.line[sp.a:sp.b]}
		}
	}
	return n, res
}

// splitSpans cuts line into the table's cells (t.line, t.spans, t.end).
// n is the number of columns found; the spans are all set only when the
// line fits.
func (t *psqlTable) splitSpans(line []byte) (n int, res splitResult) {
	segs := t.layout.segs
	nc := len(segs)
	if cap(t.spans) < nc {
		t.spans = make([]cellSpan, nc)
		t.end = make([]byte, nc)
	}
	t.spans, t.end = t.spans[:nc], t.end[:nc]
	if t.layout.border != 2 && nc > 1 && len(line) == segs[nc-1][0] && line[len(line)-1] == '|' {
		// the last column is empty (NULL) and the space psql writes after
		// its separator was stripped, as editors and "trim trailing
		// whitespace" do: put it back rather than call the row cut short
		line = append(append(make([]byte, 0, len(line)+1), line...), ' ')
	}
	t.line = line
	ascii := isASCII(line)
	if ascii && t.layout.border == 1 {
		if n, ok := t.splitFast(line); ok {
			return n, splitFits
		}
	}
	// display position → byte offset
	width := len(line)
	var pos []int
	if !ascii {
		pos = t.displayPositions(line)
		width = len(pos) - 1
	}
	at := func(d int) int { // byte offset of display column d, or -1
		if pos == nil {
			return d
		}
		if d < 0 || d >= len(pos) {
			return -1
		}
		return pos[d]
	}
	charAt := func(d int) byte {
		o := at(d)
		if o < 0 || o >= len(line) {
			return 0
		}
		return line[o]
	}
	border2 := t.layout.border == 2
	for k, seg := range segs {
		a, b := seg[0], seg[1]
		last := k == nc-1
		if border2 && charAt(a-1) != '|' {
			if width <= a-1 {
				return k, splitShort
			}
			return k, splitNoFit
		}
		if width <= a {
			if k == 0 {
				return 0, splitNoFit
			}
			return k, splitShort
		}
		cs, ce := a+1, b-1
		var endMark byte = ' '
		if last && !border2 {
			if width > b {
				return k, splitNoFit
			}
			if width == b {
				endMark = charAt(b - 1)
			}
			ce = min(ce, width)
		} else {
			if width < b {
				return k, splitShort
			}
			endMark = charAt(b - 1)
			if !last || border2 {
				if width == b {
					return k + 1, splitShort
				}
				if charAt(b) != '|' {
					return k, splitNoFit
				}
			}
		}
		bs, be := at(cs), at(ce)
		if cs > width {
			bs = len(line)
		}
		if ce >= width {
			be = len(line)
		}
		if bs < 0 || be < 0 || be < bs {
			return k, splitNoFit
		}
		t.spans[k] = cellSpan{bs, be}
		t.end[k] = endMark
	}
	if border2 && width != t.layout.width {
		return nc, splitNoFit
	}
	return nc, splitFits
}

// splitFast splits an ASCII line of a border-1 table that fits the
// columns exactly (nearly every line); ok is false for anything else,
// which the general path then handles.
func (t *psqlTable) splitFast(line []byte) (int, bool) {
	segs := t.layout.segs
	nc := len(segs)
	w := len(line)
	for k := 0; k < nc-1; k++ {
		a, b := segs[k][0], segs[k][1]
		if w <= b || line[b] != '|' {
			return 0, false
		}
		t.spans[k] = cellSpan{a + 1, b - 1}
		t.end[k] = line[b-1]
	}
	a, b := segs[nc-1][0], segs[nc-1][1]
	if w <= a || w > b {
		return 0, false
	}
	ce := min(b-1, w)
	if a+1 > ce {
		ce = a + 1
	}
	if ce > w {
		return 0, false
	}
	t.spans[nc-1] = cellSpan{a + 1, ce}
	t.end[nc-1] = ' '
	if w == b {
		t.end[nc-1] = line[b-1]
	}
	return nc, true
}

// isASCII reports whether b holds only ASCII bytes. Rows of wide tables
// run to kilobytes, so it tests 32 bytes a step (one branch for four
// words), then eight.
func isASCII(b []byte) bool {
	const high = 0x8080808080808080
	for len(b) >= 32 {
		w := binary.LittleEndian.Uint64(b) | binary.LittleEndian.Uint64(b[8:]) |
			binary.LittleEndian.Uint64(b[16:]) | binary.LittleEndian.Uint64(b[24:])
		if w&high != 0 {
			return false
		}
		b = b[32:]
	}
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&high != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// displayPositions maps each display column of line to the byte offset of
// the character that starts there (-1 inside a wide character), with one
// extra entry for the end of the line. Widths follow psql: East Asian wide
// characters take two columns, combining marks none.
func (t *psqlTable) displayPositions(line []byte) []int {
	pos := t.pos[:0]
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRune(line[i:])
		w := runeWidth(r)
		if r == utf8.RuneError && size <= 1 {
			w = 1
		}
		if w > 0 {
			pos = append(pos, i)
			for k := 1; k < w; k++ {
				pos = append(pos, -1)
			}
		}
		i += size
	}
	pos = append(pos, len(line))
	t.pos = pos
	return pos
}

// runeWidth is the display width psql gives a character.
func runeWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == 0x200B:
		return 0
	case r >= 0x1100 && (r <= 0x115f || r == 0x2329 || r == 0x232a ||
		(r >= 0x2e80 && r <= 0xa4cf && r != 0x303f) ||
		(r >= 0xac00 && r <= 0xd7a3) ||
		(r >= 0xf900 && r <= 0xfaff) ||
		(r >= 0xfe10 && r <= 0xfe19) ||
		(r >= 0xfe30 && r <= 0xfe6f) ||
		(r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) ||
		(r >= 0x1f300 && r <= 0x1f64f) ||
		(r >= 0x1f900 && r <= 0x1f9ff) ||
		(r >= 0x20000 && r <= 0x2fffd) ||
		(r >= 0x30000 && r <= 0x3fffd)):
		return 2
	}
	return 1
}

// headerNames reads the column names from a header line.
func (t *psqlTable) headerNames(line []byte) ([]string, bool) {
	n, res := t.split(line)
	if res != splitFits || n != len(t.layout.segs) {
		return nil, false
	}
	names := make([]string, n)
	any := false
	for i := 0; i < n; i++ {
		names[i] = strings.TrimSpace(str(t.cells[i].Text))
		any = any || names[i] != ""
	}
	return names, any
}

var psqlFooterRE = regexp.MustCompile(`^\((\d+) [^\s()0-9]+\)$`)

// psqlFooter reads a "(N rows)" footer. Every row line of a table is
// tested, so lines that cannot be one (not starting with '(') skip the
// regular expression.
func psqlFooter(l []byte) (int64, bool) {
	if len(l) == 0 || l[0] != '(' {
		return 0, false
	}
	m := psqlFooterRE.FindSubmatch(l)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n, true
}

// psqlChatter reports psql's own messages, which belong to no table
// (\timing, \pset).
func psqlChatter(l []byte) bool {
	for _, p := range psqlMessages {
		if bytes.HasPrefix(l, []byte(p)) {
			return true
		}
	}
	return false
}

var psqlMessages = []string{"Time: ", "Timing is ", "Output format is ", "Border style is ", "Expanded display is ",
	"Null display is ", "Pager usage is ", "Pager is ", "Title is ", "Field separator is ", "Record separator is ",
	"Tuples only is ", "Target width is ", "Default footer is ", "Line style is ", "Unicode border ", "Unicode column ",
	"Unicode header ", "Locale-adjusted numeric output is ", "Pager won't be used "}

// pgFrame is the pg_snapshots row being built: the lines around and
// above one table (psql), or a CSV header line and the blank lines near it.
type pgFrame struct {
	snap     forensics.PGSnapshot
	open     bool
	hasTable bool
	titleTS  time.Time
	text     []byte
	first    Line
}

// psqlPending is a row whose cells continue on the next lines.
type psqlPending struct {
	cells  [][]byte
	cont   []byte // per cell: the end marker of the last line ('+', '.', ' ')
	buf    []byte // the cells joined, when the row is complete
	lines  int
	raws   []Line // the physical lines, kept for rejects (cut to 1 KiB); raws[0] is the first
	active bool
}

// psqlParser is the state of one file being read.
type psqlParser struct {
	f       *pgFile
	in      *Input
	frame   pgFrame
	table   *psqlTable
	cand    []byte // a line that may be a header, with its position
	candL   Line
	hasCand bool
	pend    psqlPending
	// structural lines seen before any frame: they go to the first one
	early      int
	earlyFirst Line
}

func newPSQLParser(in *Input) *psqlParser {
	return &psqlParser{f: newPGFile(in, "psql"), in: in}
}

const maxFrameText = 64 << 10

// frameLine counts a structural line into the current frame.
func (p *psqlParser) frameLine(l *Line) {
	if !p.frame.open {
		if p.early == 0 {
			p.earlyFirst = copyLine(l)
		}
		p.early++
		return
	}
	p.frame.snap.Lines++
	if p.frame.snap.View == "" && p.frame.hasTable && len(p.frame.text) < maxFrameText {
		p.frame.text = append(p.frame.text, l.Text[:min(len(l.Text), maxFrameText-len(p.frame.text))]...)
		p.frame.text = append(p.frame.text, '\n')
	}
}

func copyLine(l *Line) Line {
	c := *l
	c.Text = append([]byte(nil), l.Text[:min(len(l.Text), maxRaw)]...)
	return c
}

const maxRaw = 1 << 10

// keep appends a copy of l (cut to maxRaw) to the row's lines. The copy
// goes into the buffer an earlier row's line left at that place: the
// lines are only read while this row is emitted or rejected, and a reject
// is passed on as the line reader's own lines are, valid for the call.
func (pd *psqlPending) keep(l *Line) {
	if len(pd.raws) < cap(pd.raws) {
		pd.raws = pd.raws[:len(pd.raws)+1]
	} else {
		pd.raws = append(pd.raws, Line{})
	}
	r := &pd.raws[len(pd.raws)-1]
	buf := r.Text[:0]
	*r = *l
	r.Text = append(buf, l.Text[:min(len(l.Text), maxRaw)]...)
}

// openFrame starts a new frame at line l, emitting the previous one.
func (p *psqlParser) openFrame(l *Line) error {
	if err := p.closeFrame(); err != nil {
		return err
	}
	p.frame = pgFrame{open: true, first: copyLine(l)}
	p.frame.snap = forensics.PGSnapshot{Form: "psql", Footer: -1, LineNo: l.No}
	if p.early > 0 {
		p.frame.first = p.earlyFirst
		p.frame.snap.LineNo = p.earlyFirst.No
		p.frame.snap.Lines = p.early
		p.early = 0
	}
	return nil
}

// closeFrame emits the current frame as a pg_snapshots row.
func (p *psqlParser) closeFrame() error {
	if !p.frame.open {
		return nil
	}
	fr := &p.frame
	s := fr.snap
	fr.open = false
	switch {
	case !fr.hasTable && s.Title != "":
		s.Note = joinNote(s.Note, "no table under this title (the capture may have been cut off)")
	case !fr.hasTable:
		s.Note = joinNote(s.Note, "blank lines and psql messages only, no table")
	}
	if s.View == "" && len(fr.text) > 0 {
		s.Text = str(fr.text)
	}
	if s.SnapshotTS.IsZero() && !fr.titleTS.IsZero() {
		s.SnapshotTS, s.TSSource = fr.titleTS, tsTitle
	}
	if s.SnapshotTS.IsZero() && s.View != "" {
		if p.f.fileOK {
			s.SnapshotTS, s.TSSource = p.f.fileTS, tsFileName
		} else if !p.in.Ref.IsZero() {
			s.SnapshotTS, s.TSSource = p.in.Ref.UTC(), tsMTime
		}
	}
	s.Lines = max(s.Lines, 1)
	if s.View == "" && fr.hasTable {
		// a table of no known view: the frame keeps its text, the only
		// record of it, so it is a row
		return p.in.Emit(&s, s.SnapshotTS, s.Lines, fr.first.Offset)
	}
	// title, header, rule, footer and blank lines of a snapshot whose
	// rows are the data, or blank lines and psql messages alone
	return p.in.Structure(&s, s.SnapshotTS, s.Lines, fr.first.Offset)
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// line handles one line of the file.
func (p *psqlParser) line(l *Line) error {
	if p.table != nil {
		done, err := p.tableLine(l)
		if done || err != nil {
			return err
		}
	}
	return p.outsideLine(l)
}

// outsideLine handles a line outside any table.
func (p *psqlParser) outsideLine(l *Line) error {
	if p.hasCand {
		if lay, ok := parseRule(l.Text); ok {
			t := &psqlTable{layout: lay}
			if names, ok := t.headerNames(p.cand); ok {
				cand := p.candL
				cand.Text = p.cand
				p.hasCand = false
				return p.startTable(t, names, &cand, l)
			}
		}
		if err := p.rejectCand(); err != nil {
			return err
		}
	}
	switch {
	case isBlank(l.Text):
		p.frameLine(l)
		return nil
	case psqlChatter(l.Text):
		p.frameLine(l)
		return nil
	}
	if lay, ok := parseRule(l.Text); ok && lay.border == 2 {
		// the top rule of a border-2 table: the header follows
		p.frameLine(l)
		return nil
	}
	if ts, ok := pgTitleTime(l.Text, p.in.TZ); ok {
		if err := p.openFrame(l); err != nil {
			return err
		}
		p.frame.titleTS = ts
		p.frame.snap.Title = strings.TrimSpace(str(l.Text))
		p.frame.snap.Lines++
		return nil
	}
	p.cand = append(p.cand[:0], l.Text...)
	p.candL = *l
	p.candL.Text = nil
	p.hasCand = true
	return nil
}

// rejectCand rejects the held line: it was no header.
func (p *psqlParser) rejectCand() error {
	p.hasCand = false
	l := p.candL
	l.Text = p.cand
	return p.in.Reject(&l, "not part of a psql table: no header and rule line above it (an echoed command, a message, output saved with psql -t, or a damaged table)")
}

// startTable begins a table whose header is hdr and rule is rule.
func (p *psqlParser) startTable(t *psqlTable, names []string, hdr, rule *Line) error {
	if !p.frame.open || p.frame.hasTable {
		if err := p.openFrame(hdr); err != nil {
			return err
		}
	}
	fr := &p.frame
	fr.hasTable = true
	fr.snap.Columns = names
	t.hdr = newPGHeader(names)
	t.trimLeft = make([]bool, len(names))
	for i := range names {
		t.trimLeft[i] = true
		if t.hdr != nil {
			if ci := t.hdr.target[i]; ci >= 0 && t.hdr.spec.Columns[ci].Type == forensics.PGText {
				t.trimLeft[i] = false
			}
		}
	}
	if t.hdr != nil {
		fr.snap.View = t.hdr.spec.View
		fr.snap.Unknown = t.hdr.unknown
		fr.snap.Layout = t.hdr.layout
		fr.snap.SnapshotNo = p.f.nextSnapshot(fr.snap.View, fr.titleTS, true)
	} else {
		fr.snap.SnapshotNo = p.f.nextSnapshot("", fr.titleTS, true)
	}
	p.table = t
	fr.snap.Lines++
	if t.hdr == nil {
		fr.text = append(fr.text, hdr.Text...)
		fr.text = append(fr.text, '\n')
	}
	p.frameLine(rule)
	return nil
}

// tableLine handles a line inside a table. done is false when the table
// ended without a footer and the line must be read as outside one.
func (p *psqlParser) tableLine(l *Line) (done bool, err error) {
	t := p.table
	if len(l.Text) == 0 {
		return true, p.endTable(l, -1)
	}
	if n, ok := psqlFooter(l.Text); ok {
		return true, p.endTable(l, n)
	}
	if t.layout.border == 2 && !p.pend.active {
		if lay, ok := parseRule(l.Text); ok && lay.width == t.layout.width {
			p.frameLine(l) // the bottom rule
			return true, nil
		}
	}
	n, res := t.splitSpans(l.Text)
	switch res {
	case splitNoFit:
		if p.pend.active {
			if err := p.rejectPending("row cut off: a wrapped cell continues, but the next line does not fit the table's columns"); err != nil {
				return true, err
			}
		}
		if err := p.endTable(nil, -1); err != nil {
			return true, err
		}
		return false, nil
	case splitShort:
		if p.pend.active {
			p.pend.keep(l)
			p.pend.lines++
			return true, p.rejectPending(fmt.Sprintf("row cut short: the line ends after %d of %d columns (was the file truncated?)", n, len(t.layout.segs)))
		}
		t.rejected++
		return true, p.in.Reject(l, fmt.Sprintf("row cut short: the line ends after %d of %d columns (was the file truncated?)", n, len(t.layout.segs)))
	}
	if t.hdr == nil {
		p.frameLine(l)
		return true, nil
	}
	return true, p.rowLine(l)
}

// rowLine takes one line of a data row.
func (p *psqlParser) rowLine(l *Line) error {
	t := p.table
	cont := bytes.IndexByte(t.end, '+') >= 0 || bytes.IndexByte(t.end, '.') >= 0
	if !p.pend.active {
		if !cont {
			p.trim()
			return p.emit(l, 1, t.line, t.spans)
		}
		// the first line of a multi-line row
		pd := &p.pend
		pd.active = true
		pd.lines = 1
		pd.raws = pd.raws[:0]
		pd.keep(l)
		if cap(pd.cells) < len(t.spans) {
			pd.cells = make([][]byte, len(t.spans))
			pd.cont = make([]byte, len(t.spans))
		}
		pd.cells, pd.cont = pd.cells[:len(t.spans)], pd.cont[:len(t.spans)]
		for i, sp := range t.spans {
			pd.cells[i] = append(pd.cells[i][:0], trimCell(t.line[sp.a:sp.b], t.trimLeft[i] && t.end[i] == ' ')...)
			pd.cont[i] = t.end[i]
		}
		return nil
	}
	pd := &p.pend
	pd.lines++
	pd.keep(l)
	for i, sp := range t.spans {
		switch pd.cont[i] {
		case '+':
			pd.cells[i] = append(pd.cells[i], '\n')
			pd.cells[i] = append(pd.cells[i], trimCell(t.line[sp.a:sp.b], false)...)
		case '.':
			pd.cells[i] = append(pd.cells[i], trimCell(t.line[sp.a:sp.b], false)...)
		}
		if pd.cont[i] == '+' || pd.cont[i] == '.' {
			pd.cont[i] = t.end[i]
		} else {
			pd.cont[i] = ' '
		}
	}
	if cont {
		return nil
	}
	return p.flushPending()
}

// trimCell drops the padding of a cell: trailing spaces always, leading
// ones for right-aligned (number) columns.
func trimCell(b []byte, left bool) []byte {
	b = b[:textEnd(b)]
	if left {
		b = b[textStart(b):]
	}
	return b
}

// spaces is eight spaces read as a little-endian word.
const spaces = 0x2020202020202020

// textEnd is the length of b without its trailing spaces. Text cells are
// padded to the widest value of their column (hundreds of bytes for a
// query), so runs of 32 spaces go in one step; in the last word that is
// not all spaces the highest non-space byte marks the end.
func textEnd(b []byte) int {
	e := len(b)
	for e >= 32 && binary.LittleEndian.Uint64(b[e-8:]) == spaces && binary.LittleEndian.Uint64(b[e-16:]) == spaces &&
		binary.LittleEndian.Uint64(b[e-24:]) == spaces && binary.LittleEndian.Uint64(b[e-32:]) == spaces {
		e -= 32
	}
	for e >= 8 {
		if x := binary.LittleEndian.Uint64(b[e-8:]) ^ spaces; x != 0 {
			return e - bits.LeadingZeros64(x)/8
		}
		e -= 8
	}
	for e > 0 && b[e-1] == ' ' {
		e--
	}
	return e
}

// textStart is the number of leading spaces of b, found a word at a time
// (the lowest non-space byte of a word ends them).
func textStart(b []byte) int {
	s := 0
	for s+8 <= len(b) {
		if x := binary.LittleEndian.Uint64(b[s:]) ^ spaces; x != 0 {
			return s + bits.TrailingZeros64(x)/8
		}
		s += 8
	}
	for s < len(b) && b[s] == ' ' {
		s++
	}
	return s
}

// trim trims the cells of the current line in place, as trimCell does.
// A right-aligned value ends at its cell's last byte, so only cells that
// end in a space (left-aligned text, NULL) are scanned for the end.
func (p *psqlParser) trim() {
	t := p.table
	line := t.line
	for i, sp := range t.spans {
		a, e := sp.a, sp.b
		if e > a && line[e-1] == ' ' {
			e = a + textEnd(line[a:e])
		}
		if t.trimLeft[i] {
			a += textStart(line[a:e])
		}
		t.spans[i] = cellSpan{a, e}
	}
}

// flushPending emits the pending multi-line row, its cells joined in
// one buffer.
func (p *psqlParser) flushPending() error {
	pd := &p.pend
	pd.active = false
	t := p.table
	pd.buf = pd.buf[:0]
	for i := range t.spans {
		b := pd.cells[i]
		if t.trimLeft[i] {
			b = bytes.TrimSpace(b)
		}
		a := len(pd.buf)
		pd.buf = append(pd.buf, b...)
		t.spans[i] = cellSpan{a, len(pd.buf)}
	}
	return p.emit(&pd.raws[0], pd.lines, pd.buf, t.spans)
}

// emit makes and emits one data row, of the cells spans of buf.
func (p *psqlParser) emit(first *Line, lines int, buf []byte, spans []cellSpan) error {
	t := p.table
	row := new(forensics.PGRow)
	rowTS, reason := p.f.rows.makeSpans(t.hdr, buf, spans, row)
	if reason != "" {
		t.rejected++
		p.frame.snap.Rejected++
		if lines == 1 {
			return p.in.Reject(first, reason)
		}
		return p.rejectLines(p.pend.raws, reason)
	}
	t.rows++
	p.frame.snap.Rows++
	row.SnapshotNo = p.frame.snap.SnapshotNo
	if err := p.f.emitRow(row, rowTS, p.frame.titleTS, first, lines); err != nil {
		return err
	}
	if p.frame.snap.SnapshotTS.IsZero() {
		// the frame takes the time of its first row
		p.frame.snap.SnapshotTS, p.frame.snap.TSSource = row.SnapshotTS, row.TSSource
	}
	return nil
}

// rejectPending rejects every line of the pending multi-line row.
func (p *psqlParser) rejectPending(reason string) error {
	p.pend.active = false
	p.table.rejected++
	p.frame.snap.Rejected++
	return p.rejectLines(p.pend.raws, reason)
}

func (p *psqlParser) rejectLines(raws []Line, reason string) error {
	for i := range raws {
		r := reason
		if i > 0 {
			r = fmt.Sprintf("line %d of a row starting at line %d: %s", i+1, raws[0].No, reason)
		}
		if err := p.in.Reject(&raws[i], r); err != nil {
			return err
		}
	}
	return nil
}

// endTable ends the current table, at its footer line l (n rows announced)
// or without a footer (l nil, or a blank line with n < 0).
func (p *psqlParser) endTable(l *Line, n int64) error {
	t := p.table
	if p.pend.active {
		if err := p.rejectPending("row cut off: a wrapped cell continues past the end of the table"); err != nil {
			return err
		}
	}
	fr := &p.frame
	switch {
	case n >= 0:
		fr.snap.Footer = n
		if got := int64(t.rows + t.rejected); got != n && t.hdr != nil {
			fr.snap.Note = joinNote(fr.snap.Note, fmt.Sprintf("the footer says %d rows, %d were read (%d rejected)", n, got, t.rejected))
		}
	default:
		fr.snap.Note = joinNote(fr.snap.Note, "no \"(N rows)\" footer: the table may be cut off")
	}
	p.table = nil
	if l != nil {
		p.frameLine(l)
	}
	return nil
}

// end finishes the file.
func (p *psqlParser) end() error {
	if p.table != nil {
		if p.pend.active {
			if err := p.rejectPending("row cut off at the end of the file: a wrapped cell continues"); err != nil {
				return err
			}
		}
		if err := p.endTable(nil, -1); err != nil {
			return err
		}
	}
	if p.hasCand {
		if err := p.rejectCand(); err != nil {
			return err
		}
	}
	if err := p.closeFrame(); err != nil {
		return err
	}
	if p.early > 0 {
		// blank lines and psql messages, and no table in the whole file:
		// one frame holds them
		first := p.earlyFirst
		if err := p.openFrame(&first); err != nil {
			return err
		}
		if err := p.closeFrame(); err != nil {
			return err
		}
	}
	p.f.finish()
	return nil
}
