package ingest

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vidbench/forensics"
)

// Reader reads one kind of evidence file. Sniff looks at a sample of the
// decompressed content (never only the name) and says how sure it is that
// the file is its kind: 0 is "not mine", 100 is certain. Read streams the
// file's rows into the Input's sink.
type Reader interface {
	Kind() string
	Sniff(s *Sample) int
	Read(ctx context.Context, in *Input) error
}

// BinaryReader is a Reader of a binary format (binary journal files, or a
// dump format that may carry binary data): only readers that implement it
// are offered content that does not look like text.
type BinaryReader interface {
	Reader
	ReadsBinary()
}

// WholeReader is a Reader whose files are always read whole: a file that
// starts with the content of a file already ingested (a journal file or a
// dump that grew, or a complete copy of one cut short) is read as a new
// source, not from where the old content ended, which may be inside a
// record or, for a binary journal file, mean nothing at all. The records
// seen before are then marked as duplicates.
type WholeReader interface {
	Reader
	ReadsWhole()
}

// DirReader is a Reader that claims a whole directory (a Prometheus data
// directory or a single block), whose files mean nothing one by one.
// SniffDir scores a directory as Sniff scores a file: 0 is "not mine".
// A claimed directory is one source: its files are not offered to other
// readers, its content hash covers every file in it (hashDir), and ReadDir
// reads it with in.Path the directory and in.R nil, emitting rows through
// in (which applies in.Keep and counts). window is the run's --since/--until,
// for readers that can skip data outside it; in.Keep still decides each row.
// Parts that could not be read (a damaged block among good ones) are
// returned as problems, with the rest read.
type DirReader interface {
	Reader
	SniffDir(path string) int
	ReadDir(ctx context.Context, in *Input, window forensics.TimeRange) (DirReport, error)
}

// DirReport is what a DirReader tells about the directory it read.
type DirReport struct {
	Note     string    // a one-line summary for the ingest report
	Problems []Problem // parts not read (severity error) or read in part (warning)
}

// pickDir returns the DirReader most sure that dir is its kind, or nil.
func pickDir(rs []Reader, dir string) DirReader {
	var best DirReader
	score := 0
	for _, r := range rs {
		if dr, ok := r.(DirReader); ok {
			if sc := dr.SniffDir(dir); sc > score {
				best, score = dr, sc
			}
		}
	}
	return best
}

// readsWhole reports whether any of the readers of these kinds is a
// WholeReader.
func readsWhole(rs []Reader, kinds ...string) bool {
	for _, r := range rs {
		if _, ok := r.(WholeReader); ok {
			for _, k := range kinds {
				if r.Kind() == k {
					return true
				}
			}
		}
	}
	return false
}

// Sample is the start of a decompressed file, as readers sniff it.
type Sample struct {
	Path  string   // path of the file (names are hints only)
	Head  []byte   // first bytes, up to sampleBytes
	Lines [][]byte // Head split into lines (the last, possibly partial, dropped when Head is full)
}

const sampleBytes = 64 << 10

func newSample(path string, head []byte, full bool) *Sample {
	s := &Sample{Path: path, Head: head}
	lines := bytes.Split(head, []byte("\n"))
	if !full && len(lines) > 1 {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	if len(lines) > 200 {
		lines = lines[:200]
	}
	s.Lines = lines
	return s
}

// Readers returns every file reader, in one explicit list sorted by kind.
func Readers() []Reader {
	return []Reader{
		Access{},
		AppLog{},
		Capture{},
		Compose{},
		History{},
		Journal{},
		JournalExport{},
		JournalJSON{},
		Note{},
		PGCSV{},
		PGJSON{},
		PSQL{},
		Prometheus{},
		Script{},
		Text{},
	}
}

// checkRegistry reports duplicate kinds in a list of readers.
func checkRegistry(rs []Reader) error {
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.Kind()] {
			return fmt.Errorf("reader kind %q registered twice", r.Kind())
		}
		seen[r.Kind()] = true
	}
	return nil
}

// pick returns the reader most sure of the sample, or nil with the reason
// none claims it.
func pick(rs []Reader, s *Sample) (Reader, string) {
	binary := binaryReason(s.Head)
	type scored struct {
		r     Reader
		score int
	}
	var best []scored
	for _, r := range rs {
		if _, ok := r.(BinaryReader); binary != "" && !ok {
			continue
		}
		if sc := r.Sniff(s); sc > 0 {
			best = append(best, scored{r, sc})
		}
	}
	if len(best) == 0 && binary != "" {
		return nil, binary
	}
	if len(best) == 0 {
		return nil, "no reader recognises the content"
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].score > best[j].score })
	return best[0].r, ""
}

// binaryReason says why a sample is not text, or "" when it is text.
// Invalid UTF-8 and a few NUL bytes are tolerated (a damaged log is still
// a log); a high share of control bytes is not.
func binaryReason(head []byte) string {
	if len(head) == 0 {
		return ""
	}
	bad := 0
	for _, c := range head {
		if c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b) {
			bad++
		}
	}
	if bad*100 > len(head)*10 {
		return fmt.Sprintf("binary content (%d%% control bytes in the first %d bytes); no reader claims it", bad*100/len(head), len(head))
	}
	return ""
}

// serviceFromPath guesses the service a log file belongs to from its
// folder (logs/vid-bench/benchmark.log → vid-bench). It is a label only;
// which reader handles the file is decided by content.
func serviceFromPath(path string) string {
	dir := filepath.Base(filepath.Dir(path))
	switch strings.ToLower(dir) {
	case "logs", "log", ".", "/", "", "var":
		base := filepath.Base(path)
		for _, suf := range []string{".gz", ".log", ".txt", ".json", ".jsonl"} {
			base = strings.TrimSuffix(base, suf)
		}
		if i := strings.IndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		return base
	}
	return dir
}
