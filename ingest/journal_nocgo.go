//go:build !cgo

package ingest

import (
	"bytes"
	"context"
)

// Journal reads binary journald files through libsystemd, which needs cgo.
// This build has none: binary journal files are recognised and reported
// as skipped with the reason; dumps are still read (JournalJSON,
// JournalExport).
type Journal struct {
	// Lib is the libsystemd shared object to load ("" is libsystemd.so.0).
	Lib string
}

var (
	_ BinaryReader = Journal{}
	_ WholeReader  = Journal{}
)

var journalMagic = []byte("LPKSHHRH")

// Kind implements Reader.
func (Journal) Kind() string { return "journal" }

// ReadsBinary implements BinaryReader.
func (Journal) ReadsBinary() {}

// ReadsWhole implements WholeReader: a journal file is not appended to
// byte by byte, and a dump that grew may have been cut inside an entry.
func (Journal) ReadsWhole() {}

// Sniff implements Reader: the journal file signature.
func (Journal) Sniff(s *Sample) int {
	if bytes.HasPrefix(s.Head, journalMagic) {
		return 100
	}
	return 0
}

// Read implements Reader.
func (Journal) Read(ctx context.Context, in *Input) error {
	return &SkipError{
		Reason: "binary journal file not read: this forensics was built without cgo, which reading journals through libsystemd needs",
		Hint:   "use a build made with CGO_ENABLED=1 and libsystemd-dev, or ingest a 'journalctl -o export' dump of the journal",
	}
}
