package detectors

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/vidbench/forensics"
)

// More of the vocabulary of a full disk and of a model that does not load,
// as other software words it. These patterns are not in textPatterns: the
// case's one scan (Case.classify) matches every record against all of
// textPatterns combined into one automaton, whose size grows faster than
// its parts, so each detector that needs these runs its own scan with just
// its own words (see scan).

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

// scan returns the text records of the case (as Case.textSQL lists them)
// that match pattern, in time order.
func (c *Case) scan(ctx context.Context, pattern string) ([]forensics.Evidence, error) {
	rows, err := c.DB.QueryContext(ctx, `WITH txt AS (`+c.textSQL(ctx)+`)
SELECT ts, ref, text FROM txt WHERE regexp_matches(text, ?) ORDER BY ts, ref`, pattern)
	if err != nil {
		return nil, fmt.Errorf("scan text records: %w", err)
	}
	defer rows.Close()
	var out []forensics.Evidence
	for rows.Next() {
		var e forensics.Evidence
		var ts sql.NullTime
		if err := rows.Scan(&ts, &e.Ref, &e.Text); err != nil {
			return nil, err
		}
		e.TS = ts.Time.UTC()
		if i := strings.IndexByte(e.Ref, ':'); i > 0 {
			e.Source = e.Ref[:i]
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

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
