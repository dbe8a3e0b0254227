package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vidbench/forensics"
)

// JournalJSON reads `journalctl -o json` dumps (and `-o json-seq`): one
// JSON object per line, every value a string, null, or an array.
// __REALTIME_TIMESTAMP and __MONOTONIC_TIMESTAMP are microseconds written
// as strings; a value that is not printable UTF-8 is an array of byte
// values ([104,105]); a field repeated in the entry is an array of such
// values; a value journalctl left out (over 4096 bytes, without --all) is
// null and kept as a null. Each entry becomes a row of the journal table
// (see forensics.JournalEntry). A line that is not such an object is a
// reject with its reason; blank lines are counted with the entry above.
type JournalJSON struct{}

var (
	_ BinaryReader = JournalJSON{}
	_ WholeReader  = JournalJSON{}
)

// Kind implements Reader.
func (JournalJSON) Kind() string { return "journal-json" }

// ReadsBinary implements BinaryReader: a dump is text, but a damaged one
// may hold enough control bytes to look binary; the sniff below is strict.
func (JournalJSON) ReadsBinary() {}

// ReadsWhole implements WholeReader: a journal file is not appended to
// byte by byte, and a dump that grew may have been cut inside an entry.
func (JournalJSON) ReadsWhole() {}

// Sniff implements Reader: the first non-blank line is a JSON object with
// journald's address fields (95), or another sampled line is (60: a dump
// with damage at its start).
func (JournalJSON) Sniff(s *Sample) int {
	head := bytes.TrimPrefix(s.Head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n\x1e")
	if len(head) == 0 {
		return 0
	}
	first := head
	if i := bytes.IndexByte(head, '\n'); i > 0 {
		first = head[:i]
	}
	if journalJSONLine(first) {
		return 95
	}
	for _, l := range s.Lines {
		if journalJSONLine(bytes.TrimLeft(l, " \t\x1e")) {
			return 60
		}
	}
	return 0
}

// journalJSONLine reports whether a line looks like journalctl -o json's.
func journalJSONLine(l []byte) bool {
	return len(l) > 0 && l[0] == '{' &&
		(bytes.Contains(l, []byte(`"__REALTIME_TIMESTAMP"`)) || bytes.Contains(l, []byte(`"__CURSOR"`)))
}

// Read implements Reader.
func (JournalJSON) Read(ctx context.Context, in *Input) error {
	lr := NewLineReader(in.R, in.StartLine, in.StartOffset)
	var b entryBuilder
	var pend *forensics.JournalEntry
	var pendLines int
	var pendOff int64
	var blanks []Line // blank lines not yet counted with an entry
	flush := func() error {
		if pend == nil {
			return nil
		}
		err := in.Emit(pend, pend.TS, pendLines, pendOff)
		pend = nil
		return err
	}
	for lr.Next() {
		if lr.LineNo()&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := lr.Line()
		text := l.Text
		if l.Offset == 0 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
		}
		if len(text) > 0 && text[0] == 0x1e { // json-seq record separator
			text = text[1:]
		}
		if isBlank(text) {
			if pend != nil {
				pendLines++
			} else {
				blanks = append(blanks, Line{No: l.No, Offset: l.Offset})
			}
			continue
		}
		if l.Cut > 0 {
			if err := in.Reject(l, fmt.Sprintf("line longer than %d MiB: cannot be read as one JSON object", maxLine>>20)); err != nil {
				return err
			}
			continue
		}
		b.reset()
		if err := parseJournalJSON(text, &b); err != nil {
			if err := in.Reject(l, err.Error()); err != nil {
				return err
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		pend, pendLines, pendOff = b.finish(l.No), 1+len(blanks), l.Offset
		blanks = blanks[:0]
	}
	if err := flush(); err != nil {
		return err
	}
	for i := range blanks {
		if err := in.Reject(&blanks[i], "blank line, and no journal entry after it"); err != nil {
			return err
		}
	}
	return lr.Err()
}

// jsonLine is a small parser of the JSON that journalctl writes.
type jsonLine struct {
	s []byte
	i int
}

func (p *jsonLine) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonLine) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *jsonLine) eat(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

func (p *jsonLine) errf(format string, args ...any) error {
	return fmt.Errorf("byte %d: "+format, append([]any{p.i + 1}, args...)...)
}

// parseJournalJSON parses one line of `journalctl -o json` into b.
func parseJournalJSON(line []byte, b *entryBuilder) error {
	p := &jsonLine{s: line}
	p.ws()
	if !p.eat('{') {
		return errors.New("not a JSON object (journalctl -o json writes one object per line)")
	}
	p.ws()
	if !p.eat('}') {
		for {
			p.ws()
			if p.peek() != '"' {
				return p.errf("expected a field name in double quotes")
			}
			name, err := p.str()
			if err != nil {
				return err
			}
			p.ws()
			if !p.eat(':') {
				return p.errf("expected ':' after field name %q", name)
			}
			p.ws()
			if err := p.value(name, b); err != nil {
				return fmt.Errorf("field %s: %w", name, err)
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat('}') {
				break
			}
			if p.i >= len(p.s) {
				return p.errf("the object is cut short (no closing '}')")
			}
			return p.errf("expected ',' or '}'")
		}
	}
	p.ws()
	if p.i < len(p.s) {
		return p.errf("unexpected text after the object")
	}
	for i := range b.fields {
		switch b.fields[i].Name {
		case "__REALTIME_TIMESTAMP", "__CURSOR", "MESSAGE":
			return nil
		}
	}
	return errors.New("a JSON object without __REALTIME_TIMESTAMP, __CURSOR or MESSAGE is not a journal entry")
}

// value reads the value of field name: a string, null, a byte array, or
// an array of those (a repeated field). Numbers, booleans and objects,
// which journalctl never writes, are kept as their JSON text.
func (p *jsonLine) value(name string, b *entryBuilder) error {
	switch c := p.peek(); {
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		b.add(name, s, false)
	case c == 'n':
		if !bytes.HasPrefix(p.s[p.i:], []byte("null")) {
			return p.errf("invalid value")
		}
		p.i += 4
		b.add(name, "", true)
	case c == '[':
		p.i++
		p.ws()
		if p.eat(']') {
			b.add(name, "", false) // an empty byte array
			return nil
		}
		if c := p.peek(); c == '-' || c >= '0' && c <= '9' {
			v, err := p.byteArray()
			if err != nil {
				return err
			}
			b.add(name, v, false)
			return nil
		}
		for {
			p.ws()
			switch c := p.peek(); c {
			case '"':
				s, err := p.str()
				if err != nil {
					return err
				}
				b.add(name, s, false)
			case 'n':
				if !bytes.HasPrefix(p.s[p.i:], []byte("null")) {
					return p.errf("invalid value")
				}
				p.i += 4
				b.add(name, "", true)
			case '[':
				p.i++
				p.ws()
				if p.eat(']') {
					b.add(name, "", false)
					break
				}
				v, err := p.byteArray()
				if err != nil {
					return err
				}
				b.add(name, v, false)
			default:
				start := p.i
				if err := p.skip(0); err != nil {
					return err
				}
				b.add(name, string(p.s[start:p.i]), false)
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat(']') {
				return nil
			}
			return p.errf("expected ',' or ']'")
		}
	default:
		start := p.i
		if err := p.skip(0); err != nil {
			return err
		}
		b.add(name, string(p.s[start:p.i]), false)
	}
	return nil
}

// byteArray reads the rest of an array of byte values, after '['.
func (p *jsonLine) byteArray() (string, error) {
	var out []byte
	for {
		p.ws()
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.Atoi(string(p.s[start:p.i]))
		if err != nil || n > 255 || p.i-start > 3 {
			return "", p.errf("expected a byte value 0..255 in a byte array")
		}
		out = append(out, byte(n))
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			return string(out), nil
		}
		return "", p.errf("expected ',' or ']' in a byte array")
	}
}

// str reads a JSON string. Bytes that are not valid UTF-8 are kept as they
// are (journalctl writes such values as byte arrays, but a hand-made dump
// may not).
func (p *jsonLine) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := string(p.s[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		p.i++
	}
	out := append([]byte(nil), p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			break
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// a pair makes one rune; a lone half is U+FFFD, as in encoding/json
				save := p.i
				d := utf8.RuneError
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					p.i += 2
					if r2, ok := p.hex4(); ok {
						d = utf16.DecodeRune(r, r2)
					}
				}
				if d == utf8.RuneError {
					p.i = save
				}
				r = d
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", p.errf("invalid escape \\%c", e)
		}
	}
	return "", p.errf("string not closed")
}

func (p *jsonLine) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

// skip passes over any JSON value, nested at most 64 deep.
func (p *jsonLine) skip(depth int) error {
	if depth > 64 {
		return p.errf("nested too deep")
	}
	p.ws()
	switch c := p.peek(); {
	case c == '"':
		_, err := p.str()
		return err
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		p.i++
		p.ws()
		if p.eat(end) {
			return nil
		}
		for {
			p.ws()
			if c == '{' {
				if p.peek() != '"' {
					return p.errf("expected a key")
				}
				if _, err := p.str(); err != nil {
					return err
				}
				p.ws()
				if !p.eat(':') {
					return p.errf("expected ':'")
				}
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat(end) {
				return nil
			}
			return p.errf("expected ',' or '%c'", end)
		}
	default:
		start := p.i
		for p.i < len(p.s) {
			c := p.s[p.i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				break
			}
			p.i++
		}
		lit := string(p.s[start:p.i])
		if lit == "true" || lit == "false" || lit == "null" {
			return nil
		}
		if _, err := strconv.ParseFloat(lit, 64); err != nil || lit == "" {
			p.i = start
			return p.errf("invalid value")
		}
		return nil
	}
}
