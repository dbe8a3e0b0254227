package detectors

import (
	"fmt"
	"regexp/syntax"
	"strings"
)

// relaxed returns pattern with every bounded repetition made unbounded
// (x{0,80} becomes x{0,}, x{2,5} becomes x{2,}). It matches every text
// that pattern matches, and more; but RE2 runs it several times faster,
// because the counted repetitions of the patterns (`[^\n]{0,80}`) are
// what makes their automaton large. Classifying text records runs the
// relaxed alternation first and the exact one only on the records that
// pass, so what matches is exactly what the patterns match.
func relaxed(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("pattern %q: %w", pattern, err)
	}
	unbound(re)
	return re.String(), nil
}

func unbound(re *syntax.Regexp) {
	for _, s := range re.Sub {
		unbound(s)
	}
	if re.Op == syntax.OpRepeat && re.Max > re.Min {
		re.Max = -1
	}
}

// alternation joins patterns into one RE2 pattern matching what any of
// them matches.
func alternation(patterns []string) string {
	alts := make([]string, len(patterns))
	for i, p := range patterns {
		alts[i] = "(?:" + p + ")"
	}
	return strings.Join(alts, "|")
}

// matchAnySQL is a SQL condition true when the text expression col
// matches any of patterns: the relaxed alternation, then the exact one.
func matchAnySQL(col string, patterns []string) (string, error) {
	rel := make([]string, len(patterns))
	for i, p := range patterns {
		r, err := relaxed(p)
		if err != nil {
			return "", err
		}
		rel[i] = r
	}
	// CASE, not AND: the exact pattern runs only where the relaxed one matched
	return "(CASE WHEN regexp_matches(" + col + ", " + sqlString(alternation(rel)) + ") THEN regexp_matches(" + col + ", " + sqlString(alternation(patterns)) + ") ELSE false END)", nil
}
