package detectors

import (
	"regexp"

	"github.com/vidbench/forensics"
)

// More of the vocabulary of a full disk and of a model that does not load,
// as other software words it. They are in textPatterns, so the case's one
// scan (Case.classify) matches them: it runs the patterns with their
// counted repetitions unbounded first (relax.go), and that costs the same
// with these three as without (0.28 against 0.26 to 0.29 CPU-s on the
// 1M-line benchmark case), where a scan of their own cost 0.17 each.

const (
	// patDiskMore: sqlite's "database or disk is full" is patDisk's;
	// numpy's "Not enough free space to write N bytes", EDQUOT, torch's
	// "PytorchStreamWriter failed writing file ...: file write failed", a
	// monitor's "0 B free".
	patDiskMore = `(?i)(not enough (free )?(disk )?space|insufficient (disk|storage) space|disk quota exceeded|file write failed| 0 (B|bytes) (free|available|left))`
	// patModelMore: a download that is not what the hub announced
	// (huggingface_hub's "Consistency check failed: file should be of size
	// N but has size M"), safetensors' header errors, hashes that differ.
	patModelMore = `(?i)(consistency check failed|should be of size [0-9]+ but has size|SafetensorError|error while deserializing header|differs? from the (manifest|expected)|(sha256|sha1|md5|hash|digest|checksum|etag) (does not match|doesn't match|did not match|differs))`
	// patLoadFail is the wider vocabulary of something failing to load,
	// download or initialize; it counts as a model load failure only when
	// the record names a model of the case or a model file (see ModelLoad).
	patLoadFail = `(?i)((could not|couldn't|cannot|can't|unable to|failed to) (load|download|fetch|initiali[sz]e|prepare)|(pipeline|model|weights|checkpoint)( [^ ]+)?( is| are)? (unavailable|not available|not ready)|(initiali[sz]ing|initiali[sz]ation|loading|downloading|fetching|download|fetch) (timed out|timeout)|(timed out|timeout) (while |after [0-9]+ ?s )?(initiali[sz]ing|loading|downloading|fetching)|not ready after [0-9]+ ?s|[ (][45][0-9][0-9]:? (Client Error|Server Error|Service Unavailable|Bad Gateway|Gateway Time-?out|Not Found|Forbidden|Too Many Requests)|status[ :=]+[45][0-9][0-9]|HTTP [45][0-9][0-9])`
)

// union merges two time-ordered lists of records, each record once.
func union(a, b []forensics.Evidence) []forensics.Evidence {
	seen := map[string]bool{}
	out := make([]forensics.Evidence, 0, len(a)+len(b))
	for _, e := range append(append([]forensics.Evidence(nil), a...), b...) {
		if !seen[e.Ref] {
			seen[e.Ref] = true
			out = append(out, e)
		}
	}
	sortEvidence(out)
	return out
}

// goPattern compiles one of the patterns for matching in Go (RE2 both).
func goPattern(p string) *regexp.Regexp { return regexp.MustCompile(p) }

var (
	reModelMore = goPattern(patModelMore)
	reLoadFail  = goPattern(patLoadFail)
)
