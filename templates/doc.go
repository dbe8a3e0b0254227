// Package templates mines log templates: it gives every log message the id
// of a template, a text in which the variable parts of the message are
// replaced by the wildcard <*>, so that "Benchmark run 8f3a21 failed on model
// svd-xt after 12.5s" and "Benchmark run 0c77e9 failed on model ltx-video
// after 301.2s" both get the template "Benchmark run <*> failed on model <*>
// after <*>".
//
// The miner is of the Drain class (He et al., "Drain: An Online Log Parsing
// Approach with Fixed Depth Tree", ICWS 2017): it works online, one message
// at a time, routes a message through a fixed depth tree keyed by its token
// count and its leading tokens, and joins it to the most similar template of
// the leaf or starts a new one; joining replaces the positions that differ by
// <*>. On top of Drain it adds
//
//   - a generic masking step, Mask, that replaces numbers, ids, addresses,
//     paths, URLs, durations, quoted and key=value values, dates and the like
//     by <*> before clustering, and collapses runs of variables;
//   - similarity that treats a variable on either side, and two values of the
//     same key, as agreeing, while upper case enumeration constants (states,
//     HTTP methods, modes) and boolean flags that differ keep messages apart;
//   - grouping of messages of one event whose token counts differ, by the
//     sequence of their constant tokens;
//   - an exact-match cache in front of the tree, so that a message whose
//     masked form was seen before costs one map lookup.
//
// Template texts show every variable as <*> (no typed masks). Template ids
// start at 1 and never change for the life of a Miner; a template's text may
// become more general over time. Templates and Restore let a later run reuse
// the ids of an earlier one.
//
// Only the first 8 KiB of a message are looked at, so memory per message is
// bounded; invalid UTF-8 and control characters are tolerated (the texts
// produced are always valid UTF-8).
//
// Grouping accuracy on the LogHub 2k corpora can be measured with
// TestLogHubAccuracy (see loghub_test.go), which runs when LOGHUB_DIR points
// at a copy of them.
package templates
