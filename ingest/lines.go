package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLine bounds the bytes kept of one physical line. Longer lines are kept
// up to this size and the rest is counted in Line.Cut, so a runaway line
// (a base64 blob, a minified JSON dump) costs bounded memory.
const maxLine = 64 << 20

// Line is one physical line of a text file, without its line ending.
type Line struct {
	No     int64  // 1-based line number in the decompressed file
	Offset int64  // byte offset of the line's first byte
	Text   []byte // valid until the next call to Next
	Cut    int64  // bytes dropped beyond maxLine
}

// LineReader splits a stream into lines, accepting LF and CRLF endings, a
// missing final newline, NUL bytes and invalid UTF-8 (bytes are passed on
// as they are; the store makes them valid). It never mutates its input.
type LineReader struct {
	r      *bufio.Reader
	buf    []byte
	line   Line
	no     int64
	offset int64
	err    error
}

// NewLineReader reads lines from r, numbering them from startLine+1 and
// counting offsets from startOffset (for a file read from the middle).
func NewLineReader(r io.Reader, startLine, startOffset int64) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 256<<10), no: startLine, offset: startOffset}
}

// Next advances to the next line. It returns false at the end of the input
// or on a read error (see Err).
func (lr *LineReader) Next() bool {
	if lr.err != nil {
		return false
	}
	lr.buf = lr.buf[:0]
	var cut int64
	var total int64
	for {
		frag, err := lr.r.ReadSlice('\n')
		total += int64(len(frag))
		if len(lr.buf)+len(frag) <= maxLine {
			if err == nil && len(lr.buf) == 0 {
				// Fast path: the whole line is in the reader's buffer.
				lr.buf = frag
			} else {
				lr.buf = append(lr.buf, frag...)
			}
		} else {
			room := maxLine - len(lr.buf)
			if room > 0 {
				lr.buf = append(lr.buf, frag[:room]...)
			}
			cut += int64(len(frag) - max(room, 0))
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			// Detach from the reader's buffer before the next ReadSlice.
			if len(lr.buf) > 0 && &lr.buf[0] == &frag[0] {
				lr.buf = append([]byte(nil), lr.buf...)
			}
			continue
		}
		if err == io.EOF {
			lr.err = io.EOF
			if total == 0 {
				return false
			}
			break
		}
		lr.err = err
		if total == 0 {
			return false
		}
		break
	}
	text := lr.buf
	if n := len(text); n > 0 && text[n-1] == '\n' {
		text = text[:n-1]
	} else if cut > 0 && cut >= 1 {
		// the newline was in the dropped part
	}
	if n := len(text); n > 0 && text[n-1] == '\r' {
		text = text[:n-1]
	}
	lr.no++
	lr.line = Line{No: lr.no, Offset: lr.offset, Text: text, Cut: cut}
	lr.offset += total
	return true
}

// Line returns the current line.
func (lr *LineReader) Line() *Line { return &lr.line }

// Err returns the first read error other than io.EOF (a truncated gzip
// stream, an I/O error).
func (lr *LineReader) Err() error {
	if lr.err == io.EOF {
		return nil
	}
	return lr.err
}

// Offset is the byte offset just past the last line returned.
func (lr *LineReader) Offset() int64 { return lr.offset }

// LineNo is the number of the last line returned.
func (lr *LineReader) LineNo() int64 { return lr.no }

// isBlank reports whether b holds only spaces and tabs.
func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }
