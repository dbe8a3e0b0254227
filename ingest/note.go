package ingest

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/vidbench/forensics"
)

// Note keeps responders' free-text notes (notes.md and the like) whole, as
// one row of kind note: they are read by people, not parsed for events.
type Note struct{}

var _ Reader = Note{}

// Kind implements Reader.
func (Note) Kind() string { return "note" }

// maxNote bounds the text kept of one note.
const maxNote = 16 << 20

// Sniff implements Reader: a prose or Markdown document (a heading or a
// notes-like name) in which few lines start with a time stamp.
func (Note) Sniff(s *Sample) int {
	ext := strings.ToLower(filepath.Ext(s.Path))
	base := strings.ToLower(filepath.Base(s.Path))
	named := ext == ".md" || ext == ".markdown" || ext == ".rst" || ext == ".org" ||
		strings.HasPrefix(base, "notes") || strings.HasPrefix(base, "readme")
	heading := false
	timed, n := 0, 0
	var h head
	for _, l := range s.Lines {
		if isBlank(l) {
			continue
		}
		n++
		if bytes.HasPrefix(l, []byte("# ")) || bytes.HasPrefix(l, []byte("## ")) {
			heading = true
		}
		if parseTextHead(l, time.UTC, time.Time{}, &h) {
			timed++
		}
	}
	if timed*5 > n {
		return 0
	}
	if named || heading {
		return 85
	}
	return 0
}

// Read implements Reader.
func (Note) Read(ctx context.Context, in *Input) error {
	b, err := io.ReadAll(io.LimitReader(in.R, maxNote))
	if err != nil {
		return err
	}
	lines := bytes.Count(b, []byte("\n"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		lines++
	}
	if lines == 0 {
		return nil
	}
	return in.Note(&forensics.Note{Lines: lines, Text: str(b)})
}
