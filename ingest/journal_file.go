//go:build cgo

package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/coreos/go-systemd/v22/sdjournal"
)

// Journal reads binary journald files (*.journal, and *.journal~ that an
// unclean shutdown leaves) through libsystemd, never by parsing the file
// format by hand: go-systemd's sdjournal opens the file with the data
// threshold off, and the entries are enumerated field by field (see
// journal_sd.go), so a field repeated in an entry keeps every value and a
// long one every byte. A journal directory (a copy of
// /var/log/journal/<machine-id>/) is read file by file: each file is a
// source of its own, so rotated files, several boots and a damaged file
// among good ones are all handled per file. Each entry becomes a row of
// the journal table (see forensics.JournalEntry).
//
// libsystemd is loaded at run time; where it is missing, binary journals
// are reported as skipped with the reason and everything else is
// ingested. A damaged file keeps the entries libsystemd can read and is
// reported as partial: a file cut short is read from a temporary copy
// extended to the size its header states (libsystemd refuses it as it
// is), and a file with fewer readable entries than its header lists is
// named with both counts, since libsystemd skips damaged parts silently.
type Journal struct {
	// Lib is the libsystemd shared object to load: "" is libsystemd.so.0.
	Lib string
}

var (
	_ BinaryReader = Journal{}
	_ WholeReader  = Journal{}
)

// journalMagic starts every journal file.
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
func (jr Journal) Read(ctx context.Context, in *Input) error {
	api, err := loadSD(jr.Lib)
	if err != nil {
		return &SkipError{
			Reason: fmt.Sprintf("binary journal file not read: libsystemd cannot be loaded (%v)", err),
			Hint:   "install libsystemd0 (Debian and Ubuntu: apt-get install libsystemd0) and ingest again, or ingest a 'journalctl -o export' dump of the journal instead",
		}
	}
	path, cleanup, cut, err := journalPath(in)
	if err != nil {
		return err
	}
	defer cleanup()
	j, err := sdjournal.NewJournalFromFiles(path)
	if err != nil {
		if strings.Contains(err.Error(), "unable to open a handle to the library") {
			return &SkipError{Reason: "binary journal file not read: libsystemd cannot be loaded", Hint: "install libsystemd0 and ingest again"}
		}
		if cut != "" {
			return fmt.Errorf("%s, and libsystemd cannot open it: %w", cut, openError(err))
		}
		return fmt.Errorf("open journal file: %w", openError(err))
	}
	defer j.Close()
	if err := j.SetDataThreshold(0); err != nil {
		return fmt.Errorf("journal file: %w", err)
	}
	r, err := newSDReader(api, j)
	if err != nil {
		return err
	}
	defer r.close()

	var b entryBuilder
	var boot bootHex
	var e sdEntry
	var no int64
	off := in.StartOffset // a binary file has no lines: every entry stands at the start of what is read
	for r.fill() {
		if err := ctx.Err(); err != nil {
			return err
		}
		for r.next(&e) {
			no++
			if e.err != nil || len(e.data) == 0 {
				why := "it has no fields (the file is damaged or cut there)"
				if e.err != nil {
					why = fmt.Sprintf("libsystemd could not read its fields: %v", e.err)
				}
				l := Line{No: no, Offset: off, Text: []byte(e.cursor)}
				if err := in.Reject(&l, fmt.Sprintf("journal entry %d: %s", no, why)); err != nil {
					return err
				}
				continue
			}
			b.reset()
			b.ts, b.mono = e.realtime, e.mono
			if e.cursor != "" {
				b.cursor, b.hasCursor = e.cursor, true
			}
			if e.hasBoot {
				b.bootID = boot.format(e.boot)
			}
			bad := ""
			for _, d := range e.data {
				i := strings.IndexByte(d, '=')
				if i <= 0 {
					bad = d
					break
				}
				b.add(d[:i], d[i+1:], false)
			}
			if bad != "" {
				l := Line{No: no, Offset: off, Text: []byte(bad)}
				if err := in.Reject(&l, fmt.Sprintf("journal entry %d: a field without a name", no)); err != nil {
					return err
				}
				continue
			}
			row := b.finish(no)
			if err := in.Emit(row, row.TS, 1, off); err != nil {
				return err
			}
		}
	}
	if r.err != nil {
		return fmt.Errorf("after entry %d: %w (the file is damaged there)", no, r.err)
	}
	h, ok := headerOf(path)
	if cut != "" && (!ok || uint64(no) < h.nEntries) {
		return fmt.Errorf("%s; the %d entries before the cut were read", cut, no)
	}
	if ok && uint64(no) < h.nEntries {
		// libsystemd gives no error here: on damage it quietly drops the file
		// (or the entries) from the iteration
		return fmt.Errorf("libsystemd could read only %d of the %d entries the file's header lists: the file is damaged (entries in damaged parts are skipped)", no, h.nEntries)
	}
	// The file was read by path: when a progress bar counts the stream's
	// bytes, pass over it so the bar moves on.
	if _, ok := in.R.(progressReader); ok {
		_, err = io.Copy(io.Discard, in.R)
	}
	return err
}

// journalPath returns a path libsystemd can open for the input: the file
// itself, or a temporary copy outside the evidence (removed by cleanup)
// when the file was compressed (a .journal.gz) or is truncated. libsystemd
// refuses a file shorter than its header states (a copy cut short); the
// copy is extended with zeros to that size, so the entries before the cut
// can be read. cut then says how much of the file is missing.
func journalPath(in *Input) (path string, cleanup func(), cut string, err error) {
	nop := func() {}
	f, err := os.Open(in.Path)
	if err != nil {
		return "", nop, "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", nop, "", err
	}
	var src io.Reader = f
	size := info.Size()
	h, ok := readHeader(f)
	if !ok {
		src = in.R // compressed: the decompressed stream
	}
	if ok && (h.size <= size || h.size-size > maxJournalPad) {
		return in.Path, nop, "", nil
	}
	tmp, err := os.CreateTemp("", "forensics-*.journal")
	if err != nil {
		return "", nop, "", fmt.Errorf("copy journal file: %w", err)
	}
	cleanup = func() { tmp.Close(); os.Remove(tmp.Name()) }
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return "", nop, "", err
	}
	n, err := io.Copy(tmp, src)
	if err != nil {
		cleanup()
		return "", nop, "", fmt.Errorf("copy journal file: %w", err)
	}
	if !ok {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			cleanup()
			return "", nop, "", err
		}
		h, ok = readHeader(tmp)
	}
	if ok && h.size > n && h.size-n <= maxJournalPad {
		if err := tmp.Truncate(h.size); err != nil { // a sparse extension: no zeros are written
			cleanup()
			return "", nop, "", fmt.Errorf("copy journal file: %w", err)
		}
		cut = fmt.Sprintf("the file is truncated: %d of the %d bytes its header states", n, h.size)
	}
	return tmp.Name(), cleanup, cut, nil
}

// maxJournalPad bounds how far a truncated copy is extended (journald's
// files are at most a few GiB; a larger claim is a damaged header).
const maxJournalPad = 16 << 30

// journalHeader holds the few header fields read to check a file against
// what libsystemd reads: its size and number of entries.
type journalHeader struct {
	size     int64  // header_size + arena_size: the bytes the file should have
	nEntries uint64 // n_entries
}

// readHeader reads the journal file header's sizes (header_size at byte 88,
// arena_size at 96) and n_entries (at 152), little-endian, as every journal
// file format has them. ok is false when r is no journal file.
func readHeader(r io.Reader) (journalHeader, bool) {
	var b [160]byte
	if _, err := io.ReadFull(r, b[:]); err != nil || !bytes.Equal(b[:8], journalMagic) {
		return journalHeader{}, false
	}
	le := binary.LittleEndian
	hs, arena := le.Uint64(b[88:]), le.Uint64(b[96:])
	if hs < 160 || hs > 1<<20 || arena > 1<<40 {
		return journalHeader{}, false
	}
	return journalHeader{size: int64(hs + arena), nEntries: le.Uint64(b[152:])}, true
}

// headerOf reads the header of the journal file at path.
func headerOf(path string) (journalHeader, bool) {
	f, err := os.Open(path)
	if err != nil {
		return journalHeader{}, false
	}
	defer f.Close()
	return readHeader(f)
}

// openError says what libsystemd's errno means for a journal file
// (sdjournal's own message names the path it was given, which may be a
// temporary copy).
func openError(err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch errno {
	case syscall.ENODATA:
		return fmt.Errorf("%w (the file is shorter than its header states: truncated)", errno)
	case syscall.EPROTONOSUPPORT, syscall.EPROTO:
		return fmt.Errorf("%w (the header is damaged, or the file comes from a newer systemd with features this libsystemd lacks)", errno)
	case syscall.EBADMSG:
		return fmt.Errorf("%w (the file is damaged)", errno)
	}
	return errno
}
