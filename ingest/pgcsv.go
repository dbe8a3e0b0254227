package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// PGCSV reads snapshots of pg_stat_activity, pg_stat_statements, pg_locks
// and pg_settings saved as CSV with a header, as
//
//	\copy (SELECT now() AS snapshot_ts, * FROM pg_stat_activity) TO 'f.csv' CSV HEADER
//
// writes them and as `forensics collect pg` writes them. Many snapshots may
// be appended to one file, with the header repeated before each or written
// once; which view a header names is decided from its columns. Quoted
// fields may hold commas, quotes and newlines (a row then spans several
// lines); an unquoted empty field is NULL. The same reader takes psql's
// unaligned output (psql -A: '|' between fields, a "(N rows)" footer) and
// COPY's text format with a header (tabs, \N for NULL, backslash escapes).
// A row with more or fewer fields than its header, or a value that is not
// of its column's type, is a counted reject; the rest is ingested.
type PGCSV struct{}

var _ Reader = PGCSV{}

// Kind implements Reader.
func (PGCSV) Kind() string { return "pg-csv" }

// Sniff implements Reader: one of the first lines is a header whose
// columns are a statistics view's.
func (PGCSV) Sniff(s *Sample) int {
	for i, l := range s.Lines {
		if i >= 10 {
			break
		}
		if isBlank(l) {
			continue
		}
		if _, ok := pgTitleTime(l, time.UTC); ok {
			continue
		}
		delim := csvDelimiter(l)
		if delim == 0 {
			return 0
		}
		fields := splitDelimited(l, delim, nil)
		names := make([]string, len(fields))
		for i, f := range fields {
			if delim == '|' && len(bytes.TrimSpace(f.Text)) != len(f.Text) {
				return 0 // padded names: psql's aligned output, not -A
			}
			names[i] = normalizeColName(string(f.Text))
		}
		if vi, score := classifyPG(names); vi >= 0 && score >= 3 {
			return 96
		}
		return 0
	}
	return 0
}

// csvDelimiter guesses the field separator of a header line: the one of
// ',', '\t', ';' and '|' that appears most.
func csvDelimiter(l []byte) byte {
	best, n := byte(0), 0
	for _, d := range []byte{',', '\t', ';', '|'} {
		if c := bytes.Count(l, []byte{d}); c > n {
			best, n = d, c
		}
	}
	return best
}

// Read implements Reader.
func (PGCSV) Read(ctx context.Context, in *Input) error {
	r := &csvParser{f: newPGFile(in, "csv"), in: in}
	if in.StartOffset > 0 {
		// reading only what was appended since the last ingest: the
		// header is in the part read before
		if err := r.recoverHeader(ctx); err != nil {
			return err
		}
	}
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := r.line(lr.Line()); err != nil {
			return err
		}
	}
	if err := r.end(); err != nil {
		return err
	}
	return lr.Err()
}

// recoverHeader finds the last header line before in.StartOffset, for a
// file that grew since it was last ingested (collect pg appends to its
// files while it runs).
func (p *csvParser) recoverHeader(ctx context.Context) error {
	rc, _, err := open(p.in.Path)
	if err != nil {
		return fmt.Errorf("reopen %s for its header: %w", p.in.Path, err)
	}
	defer rc.Close()
	lr := NewLineReader(io.LimitReader(rc, p.in.StartOffset), 0, 0)
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if h, delim := p.header(lr.Line().Text); h != nil {
			p.hdr, p.delim = h, delim
		}
	}
	if p.hdr != nil {
		// the rows that follow belong to a frame of their own
		p.frame = pgFrame{hasTable: true}
		p.fresh = true
	}
	return lr.Err()
}

// maxCSVRecord bounds a record spread over several lines by a quoted
// newline: a stray quote must not swallow the rest of the file.
const (
	maxCSVRecordBytes = 16 << 20
	maxCSVRecordLines = 10000
)

type csvParser struct {
	f       *pgFile
	in      *Input
	delim   byte
	hdr     *pgHeader
	hdrLine []byte
	frame   pgFrame // the header line and the lines around it
	// a record spread over several lines
	rec      []byte
	recLines []Line // its physical lines (text cut to 1 KiB), for rejects
	inQuote  bool
	fresh    bool // the next row is the first under its header
	fields   []pgCell
	early    int
	earlyL   Line
}

// line handles one physical line.
func (p *csvParser) line(l *Line) error {
	if p.inQuote {
		p.rec = append(p.rec, '\n')
		p.rec = append(p.rec, l.Text...)
		p.recLines = append(p.recLines, copyLine(l))
		if quoteCount(l.Text)%2 == 1 {
			p.inQuote = false
			first := p.recLines[0]
			return p.record(&first, p.rec, len(p.recLines))
		}
		if len(p.rec) > maxCSVRecordBytes || len(p.recLines) > maxCSVRecordLines {
			p.inQuote = false
			return p.rejectRec("a quoted field never ends (a stray quote?): the record grew past 16 MiB or 10,000 lines")
		}
		return nil
	}
	if p.delim != '|' && p.delim != '\t' && quoteCount(l.Text)%2 == 1 {
		p.inQuote = true
		p.rec = append(p.rec[:0], l.Text...)
		p.recLines = append(p.recLines[:0], copyLine(l))
		return nil
	}
	return p.record(l, l.Text, 1)
}

func quoteCount(b []byte) int { return bytes.Count(b, []byte{'"'}) }

func (p *csvParser) rejectRec(reason string) error {
	for i := range p.recLines {
		r := reason
		if i > 0 {
			r = fmt.Sprintf("line %d of a record starting at line %d: %s", i+1, p.recLines[0].No, reason)
		}
		if err := p.in.Reject(&p.recLines[i], r); err != nil {
			return err
		}
	}
	p.recLines = p.recLines[:0]
	return nil
}

// structural counts a line that holds no row into the current frame.
func (p *csvParser) structural(l *Line) {
	if !p.frame.open {
		if p.early == 0 {
			p.earlyL = copyLine(l)
		}
		p.early++
		return
	}
	p.frame.snap.Lines++
}

// record handles one whole record (lines physical lines from first).
func (p *csvParser) record(first *Line, rec []byte, lines int) error {
	if lines == 1 && (len(rec) == 0 || rec[0] == '(' || rec[0] == ' ' || p.delim == 0 || bytes.IndexByte(rec, p.delim) < 0) {
		switch {
		case isBlank(rec):
			p.structural(first)
			return nil
		case psqlFooterRE.Match(rec):
			n, _ := strconv.ParseInt(string(psqlFooterRE.FindSubmatch(rec)[1]), 10, 64)
			if p.frame.open {
				p.frame.snap.Footer = n
				if got := int64(p.frame.snap.Rows + p.frame.snap.Rejected); got != n {
					p.frame.snap.Note = joinNote(p.frame.snap.Note, fmt.Sprintf("the footer says %d rows, %d were read", n, got))
				}
			}
			p.structural(first)
			return nil
		}
		if ts, ok := pgTitleTime(rec, p.in.TZ); ok {
			if err := p.openFrame(first); err != nil {
				return err
			}
			p.frame.titleTS = ts
			p.frame.snap.Title = strings.TrimSpace(str(rec))
			p.frame.snap.Lines++
			return nil
		}
	}
	if h, delim := p.header(rec); h != nil {
		if !p.frame.open || p.frame.hasTable {
			if err := p.openFrame(first); err != nil {
				return err
			}
		}
		p.delim = delim
		p.hdr = h
		p.fresh = true
		fr := &p.frame
		fr.hasTable = true
		fr.snap.View = h.spec.View
		fr.snap.Columns = h.names
		fr.snap.Unknown = h.unknown
		fr.snap.Layout = h.layout
		fr.snap.Lines += lines
		return nil
	}
	if p.hdr == nil {
		if lines > 1 {
			return p.rejectRec("CSV record before any header line naming the columns of pg_stat_activity, pg_stat_statements, pg_locks or pg_settings")
		}
		return p.in.Reject(first, "CSV line before any header line naming the columns of pg_stat_activity, pg_stat_statements, pg_locks or pg_settings")
	}
	p.fields = splitDelimited(rec, p.delim, p.fields[:0])
	reject := func(reason string) error {
		p.frame.snap.Rejected++
		if lines > 1 {
			return p.rejectRec(reason)
		}
		return p.in.Reject(first, reason)
	}
	if len(p.fields) != len(p.hdr.names) {
		return reject(fmt.Sprintf("ragged row: %d fields, the header has %d", len(p.fields), len(p.hdr.names)))
	}
	row := new(forensics.PGRow)
	rowTS, reason := p.f.rows.make(p.hdr, p.fields, row)
	if reason != "" {
		return reject(reason)
	}
	ts := rowTS
	if ts.IsZero() {
		ts = p.frame.titleTS
	}
	row.SnapshotNo = p.f.nextSnapshot(row.View, ts, p.fresh)
	if p.fresh {
		p.frame.snap.SnapshotNo = row.SnapshotNo
	}
	p.fresh = false
	p.frame.snap.Rows++
	if err := p.f.emitRow(row, rowTS, p.frame.titleTS, first, lines); err != nil {
		return err
	}
	if p.frame.snap.SnapshotTS.IsZero() {
		p.frame.snap.SnapshotTS, p.frame.snap.TSSource = row.SnapshotTS, row.TSSource
	}
	return nil
}

// header reads rec as a header line: the view its columns name, and the
// delimiter. Data rows are told apart cheaply: their first field is no
// column name.
func (p *csvParser) header(rec []byte) (*pgHeader, byte) {
	if bytes.IndexByte(rec, '\n') >= 0 {
		return nil, 0
	}
	if p.hdr != nil && bytes.Equal(rec, p.hdrLine) {
		return p.hdr, p.delim
	}
	delim := csvDelimiter(rec)
	if delim == 0 {
		return nil, 0
	}
	first := rec
	if i := bytes.IndexByte(rec, delim); i >= 0 {
		first = rec[:i]
	}
	if !isPGColumnName(normalizeColName(string(first))) {
		return nil, 0
	}
	fields := splitDelimited(rec, delim, nil)
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = string(f.Text)
	}
	h := newPGHeader(names)
	if h == nil {
		return nil, 0
	}
	p.hdrLine = append(p.hdrLine[:0], rec...)
	return h, delim
}

func (p *csvParser) openFrame(l *Line) error {
	if err := p.closeFrame(); err != nil {
		return err
	}
	p.frame = pgFrame{open: true, first: copyLine(l)}
	p.frame.snap = forensics.PGSnapshot{Form: "csv", Footer: -1, LineNo: l.No}
	if p.early > 0 {
		p.frame.first = p.earlyL
		p.frame.snap.LineNo = p.earlyL.No
		p.frame.snap.Lines = p.early
		p.early = 0
	}
	return nil
}

func (p *csvParser) closeFrame() error {
	if !p.frame.open {
		return nil
	}
	fr := &p.frame
	fr.open = false
	s := fr.snap
	if !fr.hasTable {
		s.Note = joinNote(s.Note, "no CSV header under this line")
	}
	if s.SnapshotTS.IsZero() && !fr.titleTS.IsZero() {
		s.SnapshotTS, s.TSSource = fr.titleTS, tsTitle
	}
	s.Lines = max(s.Lines, 1)
	// a header (repeated before each appended snapshot) and the blank
	// lines near it are structure: its rows are the data
	return p.in.Structure(&s, s.SnapshotTS, s.Lines, fr.first.Offset)
}

func (p *csvParser) end() error {
	if p.inQuote {
		p.inQuote = false
		if err := p.rejectRec("the file ends inside a quoted field (was it cut off?)"); err != nil {
			return err
		}
	}
	if err := p.closeFrame(); err != nil {
		return err
	}
	if p.early > 0 {
		first := p.earlyL
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

// splitDelimited splits one record into fields. With ',' or ';' fields
// may be quoted as CSV quotes them ("" is a quote inside); an unquoted
// empty field is NULL. With '\t' the record is in COPY's text format (\N
// is NULL, backslash escapes); with '|' (psql -A) nothing is quoted.
func splitDelimited(rec []byte, delim byte, out []pgCell) []pgCell {
	switch delim {
	case '\t':
		for _, f := range bytes.Split(rec, []byte{'\t'}) {
			if string(f) == `\N` {
				out = append(out, pgCell{Null: true})
				continue
			}
			out = append(out, pgCell{Text: unescapeCopyText(f)})
		}
		return out
	case '|':
		for _, f := range bytes.Split(rec, []byte{'|'}) {
			out = append(out, pgCell{Text: f, Null: len(f) == 0})
		}
		return out
	}
	i := 0
	for {
		if i < len(rec) && rec[i] == '"' {
			// quoted field
			var buf []byte
			j := i + 1
			closed := false
			for j < len(rec) {
				c := rec[j]
				if c == '"' {
					if j+1 < len(rec) && rec[j+1] == '"' {
						buf = append(buf, '"')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				buf = append(buf, c)
				j++
			}
			if buf == nil {
				buf = []byte{}
			}
			// anything after the closing quote up to the delimiter is kept
			k := j
			for k < len(rec) && rec[k] != delim {
				k++
			}
			if closed && k > j {
				buf = append(buf, rec[j:k]...)
			} else if !closed {
				buf = append(buf, rec[j:k]...)
			}
			out = append(out, pgCell{Text: buf})
			if k >= len(rec) {
				return out
			}
			i = k + 1
			continue
		}
		k := bytes.IndexByte(rec[i:], delim)
		if k < 0 {
			f := rec[i:]
			out = append(out, pgCell{Text: f, Null: len(f) == 0})
			return out
		}
		f := rec[i : i+k]
		out = append(out, pgCell{Text: f, Null: len(f) == 0})
		i += k + 1
	}
}

// unescapeCopyText undoes COPY's text-format escapes.
func unescapeCopyText(f []byte) []byte {
	if bytes.IndexByte(f, '\\') < 0 {
		return f
	}
	out := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '\\' || i+1 == len(f) {
			out = append(out, c)
			continue
		}
		i++
		switch f[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'v':
			out = append(out, '\v')
		default:
			out = append(out, f[i])
		}
	}
	return out
}
