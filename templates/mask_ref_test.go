package templates

// Code frozen from mask.go at commit c01d843 (before the masking speed-up),
// with every identifier prefixed "ref". It is the reference the differential
// tests compare the optimised masker with: do not edit it to follow
// intended changes of Mask's output; change the tests instead.

import (
	"unicode/utf8"
)

// refWildcard is the token that stands for a variable part of a message, both
// in the output of refMask and in template texts.
const refWildcard = "<*>"

// refMaxRawTokens bounds the number of whitespace separated tokens that the
// masker looks at in one message; the rest of the message is summarised by a
// single trailing refWildcard.
const refMaxRawTokens = 512

// refMaxRecursion bounds the nesting of key=value handling (a=b=c=...).
const refMaxRecursion = 3

// refMask returns the preprocessed form of message that the miner clusters on:
// the message split into tokens separated by single spaces, in which the
// parts that look variable are replaced by the wildcard <*>.
//
// Replaced are (generically, not per log source):
//   - any token containing a digit: integers, floats, negative numbers, hex
//     (0x1f, 8f3a21, sha digests), IPv4/IPv6 addresses with or without a
//     port, MAC addresses, UUIDs, dates and times, block ids (blk_-123),
//     host:port pairs, versions;
//   - a word directly followed by a number keeps the word and masks the
//     number ("core.2275" -> "core.<*>", "eth0" -> "eth<*>");
//   - a number followed by a time unit ("1000.123 ms", "<1 sec", "3 seconds")
//     becomes a single <*>; "300s" and "1.5ms" are single tokens anyway;
//   - the value of key=value and key:value pairs ("uid=0" -> "uid=<*>"),
//     values that are plain words are kept ("user=root");
//   - paths (/a/b, ./x, ~/x, C:\x), URLs (scheme://...), e-mail like ids;
//   - single-token quoted values ('x', "x") and empty brackets "()";
//   - month and weekday names next to numbers (dates inside messages).
//
// Consecutive identical variable tokens are collapsed into one, so that lists
// of ids of varying length ("bn1 bn2 bn3") map to the same template. Tokens
// with invalid UTF-8 become <*>, so the result is always valid UTF-8; control
// characters (including NUL) act as separators.
func refMask(message string) string {
	var s refScratch
	return string(s.refAppendMask(nil, message))
}

// refScratch holds the reusable buffers of the masker.
type refScratch struct {
	spans [][2]int
}

// refAppendMask appends the masked form of msg to dst and returns it.
func (sc *refScratch) refAppendMask(dst []byte, msg string) []byte {
	spans := sc.spans[:0]
	n := 0
	truncated := false
	i := 0
	for i < len(msg) {
		for i < len(msg) && refIsSpace(msg[i]) {
			i++
		}
		if i >= len(msg) {
			break
		}
		if n == refMaxRawTokens {
			truncated = true
			break
		}
		start := i
		for i < len(msg) && !refIsSpace(msg[i]) {
			i++
		}
		spans = append(spans, [2]int{start, i})
		n++
	}
	sc.spans = spans
	base := len(dst)
	for k := 0; k < n; k++ {
		tok := msg[spans[k][0]:spans[k][1]]
		if refIsPlainWord(tok) && !refIsDateName(tok) {
			// Fast path: a word without digits or special characters.
			if len(dst) > base {
				dst = append(dst, ' ')
			}
			dst = append(dst, tok...)
			continue
		}
		// number + time unit -> one variable.
		if k+1 < n && refIsNumberish(tok) {
			next := msg[spans[k+1][0]:spans[k+1][1]]
			core, suffix := refTrimTrailingPunct(next)
			if refIsTimeUnit(core) {
				dst = refAppendToken(dst, base, refWildcard, suffix)
				k++
				continue
			}
		}
		// month / weekday names adjacent to date numbers.
		if refIsDateName(tok) {
			prevNum := k > 0 && refIsDateNumber(msg[spans[k-1][0]:spans[k-1][1]])
			nextNum := false
			if k+1 < n {
				nx := msg[spans[k+1][0]:spans[k+1][1]]
				nextNum = refIsDateNumber(nx) || (refIsDateName(nx) && k+2 < n && refIsDateNumber(msg[spans[k+2][0]:spans[k+2][1]]))
			}
			if prevNum || nextNum {
				_, suffix := refTrimTrailingPunct(tok)
				dst = refAppendToken(dst, base, refWildcard, suffix)
				continue
			}
		}
		// key="a value with spaces" -> key="<*>"
		if q := refQuotedValueStart(tok); q > 0 {
			if j, p := refFindClosingQuote(msg, spans[:n], k, tok[q]); j > k {
				closeTok := msg[spans[j][0]:spans[j][1]]
				mark := len(dst)
				if len(dst) > base {
					dst = append(dst, ' ')
				}
				start := len(dst)
				dst = append(dst, tok[:q+1]...)
				dst = append(dst, refWildcard...)
				dst = append(dst, tok[q])
				rest := closeTok[p+1:]
				if refOnlyPunct(rest) {
					dst = append(dst, rest...)
					rest = ""
				}
				dst = refFinishToken(dst, base, mark, start)
				if rest != "" {
					dst = refMaskRawToken(dst, base, rest)
				}
				k = j
				continue
			}
		}
		dst = refMaskRawToken(dst, base, tok)
	}
	if truncated {
		dst = refAppendToken(dst, base, refWildcard, "")
	}
	return dst
}

// refMaxQuotedTokens is how far a quoted value may extend over whitespace.
const refMaxQuotedTokens = 8

// refQuotedValueStart returns the index of the opening quote of a key="...
// value that is not closed within tok, or -1.
func refQuotedValueStart(tok string) int {
	eq := refIndexByte(tok, '=')
	if eq <= 0 || eq+1 >= len(tok) {
		return -1
	}
	q := tok[eq+1]
	if q != '"' && q != '\'' {
		return -1
	}
	if refIndexByte(tok[eq+2:], q) >= 0 {
		return -1
	}
	_, key, _ := refPeel(tok[:eq])
	if !refIsKey(key) {
		return -1
	}
	return eq + 1
}

// refFindClosingQuote looks for quote in the raw tokens after k and returns the
// token index and the position of the quote in it, or -1.
func refFindClosingQuote(msg string, spans [][2]int, k int, quote byte) (int, int) {
	for j := k + 1; j < len(spans) && j <= k+refMaxQuotedTokens; j++ {
		t := msg[spans[j][0]:spans[j][1]]
		if p := refIndexByte(t, quote); p >= 0 {
			return j, p
		}
	}
	return -1, -1
}

func refOnlyPunct(s string) bool {
	for i := 0; i < len(s); i++ {
		if !refIsClosePunct(s[i]) {
			return false
		}
	}
	return true
}

// refAppendToken appends one output token, separating it from the previous one
// with a space and collapsing runs of identical variable tokens.
func refAppendToken(dst []byte, base int, tok, suffix string) []byte {
	mark := len(dst)
	if len(dst) > base {
		dst = append(dst, ' ')
	}
	start := len(dst)
	dst = append(dst, tok...)
	dst = append(dst, suffix...)
	return refFinishToken(dst, base, mark, start)
}

// refFinishToken validates the token dst[start:] that was just rendered (mark
// is the length of dst before its separator was added): empty tokens are
// dropped, invalid UTF-8 becomes a wildcard and a variable token equal to
// the previous token is collapsed into it.
func refFinishToken(dst []byte, base, mark, start int) []byte {
	tok := dst[start:]
	if len(tok) == 0 {
		return dst[:mark]
	}
	if !utf8.Valid(tok) {
		dst = append(dst[:start], refWildcard...)
		tok = dst[start:]
	}
	if mark > base && refHasWildcardBytes(tok) {
		j := mark
		for j > base && dst[j-1] != ' ' {
			j--
		}
		if string(dst[j:mark]) == string(tok) {
			return dst[:mark]
		}
	}
	return dst
}

// refMaskRawToken masks one whitespace separated token.
func refMaskRawToken(dst []byte, base int, tok string) []byte {
	// Split at commas that are followed by a letter or quote: "a=1,b=2".
	start := 0
	for i := 0; i+1 < len(tok); i++ {
		if tok[i] == ',' && refIsCommaSplitNext(tok[i+1]) && i > start {
			dst = refMaskPart(dst, base, tok[start:i+1])
			start = i + 1
		}
	}
	return refMaskPart(dst, base, tok[start:])
}

func refIsCommaSplitNext(c byte) bool {
	return refIsLetter(c) || c == '"' || c == '\'' || c == '_'
}

// refMaskPart renders one token part directly into dst.
func refMaskPart(dst []byte, base int, part string) []byte {
	mark := len(dst)
	if len(dst) > base {
		dst = append(dst, ' ')
	}
	start := len(dst)
	dst = refRenderPart(dst, part, 0)
	return refFinishToken(dst, base, mark, start)
}

// refRenderPart appends the masked rendering of one token part to out.
func refRenderPart(out []byte, part string, depth int) []byte {
	if len(part) == 0 {
		return out
	}
	pre, core, suf := refPeel(part)
	if len(core) == 0 {
		// Only punctuation. Empty bracket / quote pairs are empty values.
		if refIsEmptyPair(part) {
			out = append(out, part[0])
			out = append(out, refWildcard...)
			return append(out, part[len(part)-1])
		}
		return append(out, part...)
	}
	out = append(out, pre...)
	// A whole quoted single token: 'value' or "value".
	if len(pre) > 0 && len(suf) > 0 && (pre[len(pre)-1] == '"' || pre[len(pre)-1] == '\'') && suf[0] == pre[len(pre)-1] {
		out = append(out, refWildcard...)
		return append(out, suf...)
	}
	out = refRenderCore(out, core, depth)
	return append(out, suf...)
}

func refRenderCore(out []byte, core string, depth int) []byte {
	if refIsPathLike(core) || refIsURL(core) || refIsEmail(core) {
		return append(out, refWildcard...)
	}
	digits := refHasDigit(core)
	if digits && refIsHexish(core) {
		return append(out, refWildcard...)
	}
	if depth < refMaxRecursion {
		// key=value
		if eq := refIndexByte(core, '='); eq > 0 && refIsKey(core[:eq]) {
			out = append(out, core[:eq+1]...)
			if eq+1 < len(core) {
				out = refRenderPart(out, core[eq+1:], depth+1)
			}
			return out
		}
		// key:value with a plain identifier key
		if c := refIndexByte(core, ':'); c > 0 && c+1 < len(core) && refIsIdent(core[:c]) {
			v := core[c+1:]
			if v[0] != ':' && v[0] != '/' && v[0] != '\\' {
				out = append(out, core[:c+1]...)
				return refRenderPart(out, v, depth+1)
			}
		}
	}
	if !digits {
		return append(out, core...)
	}
	// C++ style scopes: mask the segments that carry numbers only,
	// "IO80211Peer::setMode" -> "<*>::setMode".
	if depth < refMaxRecursion {
		if c := refIndexScope(core); c > 0 && c+2 < len(core) {
			out = refRenderCore(out, core[:c], depth+1)
			out = append(out, "::"...)
			return refRenderCore(out, core[c+2:], depth+1)
		}
	}
	// Ellipsis fields: "alignment...............0"
	if d := refIndexDots(core); d > 0 {
		e := d
		for e < len(core) && core[e] == '.' {
			e++
		}
		out = refRenderCore(out, core[:d], depth+1)
		out = append(out, core[d:e]...)
		if e < len(core) {
			out = refRenderCore(out, core[e:], depth+1)
		}
		return out
	}
	// word followed by a number: keep the word, mask the rest.
	if p := refWordPrefix(core); p > 0 {
		out = append(out, core[:p]...)
		return append(out, refWildcard...)
	}
	return append(out, refWildcard...)
}

// refIndexScope returns the index of the first "::" in s, or -1.
func refIndexScope(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ':' && s[i+1] == ':' {
			return i
		}
	}
	return -1
}

// refWordPrefix returns the length of the part to keep for tokens made of a
// word of at least two letters, up to two separator characters, then a
// digit, with no further letters: "eth0", "core.2275", "blk_-12", "node-3".
func refWordPrefix(s string) int {
	i := 0
	for i < len(s) && refIsLetter(s[i]) {
		i++
	}
	if i < 2 {
		return 0
	}
	j := i
	for j < len(s) && j-i < 2 && refIsSep(s[j]) {
		j++
	}
	if j >= len(s) || !refIsDigit(s[j]) {
		return 0
	}
	for k := j; k < len(s); k++ {
		if refIsLetter(s[k]) {
			return 0
		}
	}
	return j
}

func refIsSep(c byte) bool {
	switch c {
	case '_', '-', '.', '#', ':', '/':
		return true
	}
	return false
}

// refIndexDots returns the index of the first run of three or more dots that is
// preceded by something, or -1.
func refIndexDots(s string) int {
	for i := 1; i+2 < len(s); i++ {
		if s[i] == '.' && s[i+1] == '.' && s[i+2] == '.' {
			return i
		}
	}
	return -1
}

// refPeel splits leading and trailing punctuation off a token part.
func refPeel(s string) (pre, core, suf string) {
	i := 0
	for i < len(s) && refIsOpenPunct(s[i]) {
		i++
	}
	j := len(s)
	for j > i && refIsClosePunct(s[j-1]) {
		j--
	}
	return s[:i], s[i:j], s[j:]
}

func refIsOpenPunct(c byte) bool {
	switch c {
	case '(', '[', '{', '<', '"', '\'', '`':
		return true
	}
	return false
}

func refIsClosePunct(c byte) bool {
	switch c {
	case ')', ']', '}', '>', '"', '\'', '`', ',', ';', ':', '.', '!', '?':
		return true
	}
	return false
}

func refIsEmptyPair(s string) bool {
	if len(s) != 2 {
		return false
	}
	switch s {
	case "()", "[]", "{}", "<>", `""`, "''":
		return true
	}
	return false
}

// refTrimTrailingPunct splits trailing punctuation from s.
func refTrimTrailingPunct(s string) (core, suffix string) {
	j := len(s)
	for j > 0 && refIsClosePunct(s[j-1]) {
		j--
	}
	return s[:j], s[j:]
}

func refIsSpace(c byte) bool { return c <= ' ' || c == 0x7f }

func refIsLetter(c byte) bool {
	return (c|0x20) >= 'a' && (c|0x20) <= 'z'
}

func refIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func refHasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if refIsDigit(s[i]) {
			return true
		}
	}
	return false
}

func refIndexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func refHasWildcardBytes(s []byte) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '<' && s[i+1] == '*' && s[i+2] == '>' {
			return true
		}
	}
	return false
}

// refIsPlainWord reports tokens that refMask keeps unchanged in all cases: ASCII
// letters, '_' and '-', optionally followed by sentence punctuation.
func refIsPlainWord(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		if refIsLetter(c) || c == '_' || c == '-' {
			i++
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case '.', ',', ';', ':', '!', '?':
		default:
			return false
		}
	}
	return true
}

// refIsHexish reports tokens made only of hex digits and the separators used in
// numbers, addresses, times, UUIDs and digests: 0x1f, 10.0.0.1:80, fe80::1,
// 2017-07-05, 12:30:01.123, 8f3a21, 5c:50:15:4c:18:13. Short pure-letter-ish
// tokens such as "ee0" or "add1" are left to the other rules.
func refIsHexish(s string) bool {
	letters := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case refIsDigit(c):
		case (c|0x20) >= 'a' && (c|0x20) <= 'f':
			letters++
		case c == 'x' || c == 'X':
			if !(i == 1 && s[0] == '0') {
				return false
			}
		case c == '.' || c == ':' || c == '-' || c == '_' || c == '/' || c == '+' || c == ',' || c == '[' || c == ']':
		default:
			return false
		}
	}
	if letters > 0 && len(s) < 6 && !(len(s) > 2 && s[0] == '0' && (s[1]|0x20) == 'x') {
		// "ee0", "add1", "bad0": too short to be sure it is hex.
		return !refIsLetter(s[0])
	}
	return true
}

// refIsNumberish reports a plain number, optionally signed or prefixed with a
// comparison sign: 12, 1.5, -3, <1, ~20, +0.25.
func refIsNumberish(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '<' || s[i] == '>' || s[i] == '~' || s[i] == '+' || s[i] == '-') {
		i++
	}
	if i >= len(s) || !refIsDigit(s[i]) {
		return false
	}
	dot := false
	for ; i < len(s); i++ {
		c := s[i]
		if refIsDigit(c) {
			continue
		}
		if c == '.' && !dot && i+1 < len(s) && refIsDigit(s[i+1]) {
			dot = true
			continue
		}
		return false
	}
	return true
}

var refTimeUnits = [...]string{
	"ns", "us", "µs", "ms", "msec", "msecs", "s", "sec", "secs", "second", "seconds",
	"min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour", "hours", "day", "days",
	"millisecond", "milliseconds", "microsecond", "microseconds", "nanosecond", "nanoseconds",
}

func refIsTimeUnit(s string) bool {
	if len(s) == 0 || len(s) > 12 {
		return false
	}
	for _, u := range refTimeUnits {
		if refEqualFoldASCII(s, u) {
			return true
		}
	}
	return false
}

func refEqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

var refDateNames = [...]string{
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
	"january", "february", "march", "april", "june", "july", "august", "september", "october",
	"november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}

// refIsDateName reports a capitalised (or upper case) month or weekday name,
// possibly followed by a comma.
func refIsDateName(s string) bool {
	if len(s) < 3 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	s, _ = refTrimTrailingPunct(s)
	if len(s) < 3 || len(s) > 9 {
		return false
	}
	switch s[0] {
	case 'J', 'F', 'M', 'A', 'S', 'O', 'N', 'D', 'T', 'W':
	default:
		return false
	}
	for _, d := range refDateNames {
		if refEqualFoldASCII(s, d) {
			return true
		}
	}
	return false
}

// refIsDateNumber reports day numbers, years and clock times: 7, 17, 2005,
// 07:07:00, 2017-07-05.
func refIsDateNumber(s string) bool {
	s, _ = refTrimTrailingPunct(s)
	if len(s) == 0 || !refIsDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !refIsDigit(c) && c != ':' && c != '-' && c != '.' && c != '/' {
			return false
		}
	}
	return true
}

// refIsKey reports whether s can be the key of a key=value pair.
func refIsKey(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case refIsLetter(c):
			letter = true
		case refIsDigit(c), c == '_', c == '-', c == '.', c == '[', c == ']', c == '$', c == '#', c >= 0x80:
		default:
			return false
		}
	}
	return letter
}

// refIsIdent reports a plain identifier: letters, digits and underscores,
// starting with a letter or underscore.
func refIsIdent(s string) bool {
	if len(s) == 0 || len(s) > 64 || !(refIsLetter(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(refIsLetter(c) || refIsDigit(c) || c == '_') {
			return false
		}
	}
	return true
}

func refIsPathLike(s string) bool {
	if len(s) >= 2 {
		switch {
		case s[0] == '/' && refIndexByte(s[1:], '/') >= 0 && s[1] != '/':
			return true
		case s[0] == '~' && s[1] == '/':
			return true
		case s[0] == '.' && s[1] == '/':
			return true
		case len(s) >= 3 && s[0] == '.' && s[1] == '.' && s[2] == '/':
			return true
		case len(s) >= 3 && refIsLetter(s[0]) && s[1] == ':' && s[2] == '\\':
			return true
		case s[0] == '\\' && s[1] == '\\':
			return true
		}
	}
	// several backslash separated segments
	bs := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			bs++
		}
	}
	return bs >= 2
}

func refIsURL(s string) bool {
	for i := 1; i+2 < len(s); i++ {
		if s[i] == ':' && s[i+1] == '/' && s[i+2] == '/' {
			for j := 0; j < i; j++ {
				if !refIsLetter(s[j]) && !refIsDigit(s[j]) && s[j] != '+' && s[j] != '-' && s[j] != '.' {
					return false
				}
			}
			return true
		}
	}
	return false
}

func refIsEmail(s string) bool {
	at := refIndexByte(s, '@')
	if at <= 0 || at+3 >= len(s) {
		return false
	}
	dot := false
	for i := at + 1; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			dot = true
		} else if !refIsLetter(c) && !refIsDigit(c) && c != '-' {
			return false
		}
	}
	if !dot {
		return false
	}
	for i := 0; i < at; i++ {
		c := s[i]
		if !refIsLetter(c) && !refIsDigit(c) && c != '.' && c != '_' && c != '-' && c != '+' {
			return false
		}
	}
	return true
}
