package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/vidbench/forensics"
)

// JournalExport reads `journalctl -o export` dumps, journald's binary-safe
// serialization: each entry is a run of fields, a text field as one line
// KEY=value, a binary field (a value with a newline or other bytes that
// are not text) as a line KEY, then its length as a 64-bit little-endian
// number, the bytes, and a newline; an empty line ends the entry. The dump
// is streamed: only the entry being read is held in memory, at most
// maxExportEntry bytes of it. Each entry becomes a row of the journal table
// (see forensics.JournalEntry); an entry the dump cuts short (in the middle
// of a binary field) or that cannot be framed is rejected line by line
// with the reason, and reading goes on at the next entry.
type JournalExport struct{}

var (
	_ BinaryReader = JournalExport{}
	_ WholeReader  = JournalExport{}
)

// maxExportEntry bounds the bytes kept of one entry of an export dump.
const maxExportEntry = maxLine

// Kind implements Reader.
func (JournalExport) Kind() string { return "journal-export" }

// ReadsBinary implements BinaryReader: binary fields carry raw bytes and
// their lengths, so an export dump may not look like text.
func (JournalExport) ReadsBinary() {}

// ReadsWhole implements WholeReader: a journal file is not appended to
// byte by byte, and a dump that grew may have been cut inside an entry.
func (JournalExport) ReadsWhole() {}

// Sniff implements Reader: the dump starts with journalctl's address
// fields (95), or is a run of KEY=value journal fields with a MESSAGE and
// an address or trusted field (80), as a hand-made export stream for
// systemd-journal-remote is.
func (JournalExport) Sniff(s *Sample) int {
	head := bytes.TrimLeft(s.Head, "\n")
	if bytes.HasPrefix(head, []byte("__CURSOR=")) || bytes.HasPrefix(head, []byte("__REALTIME_TIMESTAMP=")) {
		return 95
	}
	fields, message, trusted := 0, false, false
	for _, l := range bytes.Split(head, []byte("\n")) {
		if len(l) == 0 {
			if fields > 0 {
				break // end of the first entry
			}
			continue
		}
		i := bytes.IndexByte(l, '=')
		if i < 0 {
			if validFieldName(l) {
				break // a binary field: the bytes after it are not lines
			}
			return 0
		}
		if !validFieldName(l[:i]) {
			return 0
		}
		fields++
		name := string(l[:i])
		message = message || name == "MESSAGE"
		trusted = trusted || name[0] == '_'
	}
	if fields >= 2 && message && trusted {
		return 80
	}
	return 0
}

// Read implements Reader.
func (JournalExport) Read(ctx context.Context, in *Input) error {
	x := &exportParser{in: in, r: bufio.NewReaderSize(in.R, 256<<10), no: in.StartLine, off: in.StartOffset}
	return x.run(ctx)
}

// exportParser reads one export dump.
type exportParser struct {
	in  *Input
	r   *bufio.Reader
	no  int64 // lines begun so far (the number of the line being read)
	col int64 // bytes read of the current line
	off int64 // bytes read
	b   entryBuilder

	// the entry being read
	started  bool
	span     []byte // its bytes, up to maxExportEntry
	cut      bool   // span is missing bytes beyond maxExportEntry
	fields   []exportField
	startNo  int64
	startOff int64
	bad      []Line // lines that are no field, with reason in badWhy
	badWhy   []string
	fatal    string // the entry as a whole cannot be read

	// the entry read last, emitted once the blank lines after it are counted
	pend      *forensics.JournalEntry
	pendLines int
	pendOff   int64
	blanks    []Line // blank lines before the next entry, when none is pending
}

// exportField locates one field in span: name span[n0:n1], value span[v0:v1].
type exportField struct{ n0, n1, v0, v1 int }

// consume accounts for bytes read and keeps them in span.
func (x *exportParser) consume(p []byte) {
	x.off += int64(len(p))
	if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
		x.no += int64(bytes.Count(p, []byte("\n")))
		x.col = int64(len(p) - i - 1)
	} else {
		x.col += int64(len(p))
	}
	if len(x.span)+len(p) > maxExportEntry {
		x.cut = true
		p = p[:max(maxExportEntry-len(x.span), 0)]
	}
	x.span = append(x.span, p...)
}

// lineNo is the number of the line the next byte belongs to.
func (x *exportParser) lineNo() int64 { return x.no + 1 }

// readLine reads up to and including the next newline, keeping the bytes
// in span from start (unless the entry is too large, see cut). n counts
// the bytes read, newline included; eof reports a line the input ended
// before any newline.
func (x *exportParser) readLine() (start, n int, eof bool, err error) {
	start = len(x.span)
	for {
		frag, err := x.r.ReadSlice('\n')
		n += len(frag)
		x.consume(frag)
		if err == nil {
			return start, n, false, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			return start, n, true, nil
		}
		return start, n, false, err
	}
}

// readFull reads n bytes into span; it returns how many there were.
func (x *exportParser) readFull(n uint64) (uint64, error) {
	var got uint64
	var buf [32 << 10]byte
	for got < n {
		want := min(n-got, uint64(len(buf)))
		k, err := io.ReadFull(x.r, buf[:want])
		x.consume(buf[:k])
		got += uint64(k)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

func (x *exportParser) run(ctx context.Context) error {
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		lineNo, lineOff := x.lineNo(), x.off
		start, size, eof, err := x.readLine()
		if err != nil {
			return err
		}
		if size == 0 { // the end
			break
		}
		switch {
		case size == 1 && !eof && !x.started: // a blank line between entries
			x.span = x.span[:start]
			if x.pend != nil {
				x.pendLines++
			} else {
				x.blanks = append(x.blanks, Line{No: lineNo, Offset: lineOff})
			}
		case size == 1 && !eof: // the blank line that ends an entry
			if err := x.endEntry(); err != nil {
				return err
			}
		default:
			if !x.started {
				x.started, x.startNo, x.startOff = true, lineNo, lineOff
			}
			var line []byte // nil when the entry outgrew maxExportEntry
			if !x.cut {
				line = x.span[start:]
				if !eof {
					line = line[:len(line)-1]
				}
			}
			if err := x.field(line, start, lineNo, lineOff, eof); err != nil {
				return err
			}
		}
		if eof {
			break
		}
	}
	if x.col > 0 { // a last line without a newline
		x.no++
		x.col = 0
	}
	if x.started {
		if err := x.endEntry(); err != nil {
			return err
		}
	}
	if err := x.flush(); err != nil {
		return err
	}
	for i := range x.blanks {
		if err := x.in.Reject(&x.blanks[i], "blank line, and no journal entry after it"); err != nil {
			return err
		}
	}
	return nil
}

// field reads one field of the entry, whose first line is line, kept in
// span from start.
func (x *exportParser) field(line []byte, start int, lineNo, lineOff int64, eof bool) error {
	if x.fatal != "" {
		return nil // skipping to the end of a broken entry
	}
	if line == nil {
		x.fatal = fmt.Sprintf("entry larger than %d MiB", maxExportEntry>>20)
		return nil
	}
	if i := bytes.IndexByte(line, '='); i >= 0 {
		if i == 0 {
			x.badLine(lineNo, lineOff, line, "a field line with no name before '='")
			return nil
		}
		x.fields = append(x.fields, exportField{start, start + i, start + i + 1, start + len(line)})
		return nil
	}
	if !validFieldName(line) {
		x.badLine(lineNo, lineOff, line, "neither KEY=value nor the name of a binary field")
		return nil
	}
	name := string(line)
	if eof {
		x.fatal = fmt.Sprintf("the dump ends after the name of binary field %s", name)
		return nil
	}
	got, err := x.readFull(8)
	if err != nil {
		return err
	}
	if got < 8 {
		x.fatal = fmt.Sprintf("the dump ends inside the length of binary field %s", name)
		return nil
	}
	if x.cut {
		x.fatal = fmt.Sprintf("entry larger than %d MiB", maxExportEntry>>20)
		return nil
	}
	n := binary.LittleEndian.Uint64(x.span[len(x.span)-8:])
	v0 := len(x.span)
	got, err = x.readFull(n)
	if err != nil {
		return err
	}
	if got < n {
		x.fatal = fmt.Sprintf("the dump ends inside binary field %s (%d of %d bytes)", name, got, n)
		return nil
	}
	v1 := len(x.span)
	c, err := x.r.ReadByte()
	switch {
	case err == io.EOF:
	case err != nil:
		return err
	case c == '\n':
		x.consume([]byte{c})
	default:
		x.r.UnreadByte()
		x.fatal = fmt.Sprintf("binary field %s: no newline after its %d bytes (a wrong length, or a damaged dump)", name, n)
		return nil
	}
	if x.cut {
		x.fatal = fmt.Sprintf("binary field %s is %d bytes; an entry larger than %d MiB is not kept", name, n, maxExportEntry>>20)
		return nil
	}
	x.fields = append(x.fields, exportField{start, start + len(name), v0, v1})
	return nil
}

func (x *exportParser) badLine(no, off int64, text []byte, why string) {
	x.bad = append(x.bad, Line{No: no, Offset: off, Text: append([]byte(nil), text[:min(len(text), maxRejectText)]...)})
	x.badWhy = append(x.badWhy, why)
}

// maxRejectText bounds the text kept of a rejected line here (the store
// keeps 1 KiB).
const maxRejectText = 1 << 10

// endEntry makes the row of the entry read, or rejects its lines.
func (x *exportParser) endEntry() error {
	lines := int(x.no - x.startNo + 1)
	defer func() {
		x.started, x.cut, x.fatal = false, false, ""
		x.span, x.fields, x.bad, x.badWhy = x.span[:0], x.fields[:0], x.bad[:0], x.badWhy[:0]
	}()
	reason := x.fatal
	if reason == "" && len(x.fields) == 0 {
		reason = "no journal field in this part of the dump"
	}
	var s string
	if reason == "" {
		s = string(x.span)
		x.b.reset()
		known := false
		for _, f := range x.fields {
			name := s[f.n0:f.n1]
			x.b.add(name, s[f.v0:f.v1], false)
			known = known || name == "__REALTIME_TIMESTAMP" || name == "__CURSOR" || name == "MESSAGE"
		}
		if !known {
			reason = "not a journal entry (no __REALTIME_TIMESTAMP, __CURSOR or MESSAGE field)"
		}
	}
	if reason != "" {
		return x.rejectSpan(lines, reason)
	}
	for i := range x.bad {
		if err := x.in.Reject(&x.bad[i], x.badWhy[i]); err != nil {
			return err
		}
	}
	if err := x.flush(); err != nil {
		return err
	}
	x.pend = x.b.finish(x.startNo)
	x.pendLines = lines - len(x.bad) + len(x.blanks)
	x.pendOff = x.startOff
	x.blanks = x.blanks[:0]
	return nil
}

// rejectSpan rejects every line of the entry, with reason.
func (x *exportParser) rejectSpan(lines int, reason string) error {
	rest := x.span
	off := x.startOff
	for i := 0; i < lines; i++ {
		var text []byte
		if len(rest) > 0 {
			j := bytes.IndexByte(rest, '\n')
			if j < 0 {
				j = len(rest)
			}
			text = rest[:j]
			rest = rest[min(j+1, len(rest)):]
		}
		l := Line{No: x.startNo + int64(i), Offset: off, Text: append([]byte(nil), text[:min(len(text), maxRejectText)]...)}
		off += int64(len(text)) + 1
		if err := x.in.Reject(&l, "journal export entry from line "+fmt.Sprint(x.startNo)+": "+reason); err != nil {
			return err
		}
	}
	return nil
}

func (x *exportParser) flush() error {
	if x.pend == nil {
		return nil
	}
	err := x.in.Emit(x.pend, x.pend.TS, x.pendLines, x.pendOff)
	x.pend = nil
	return err
}
