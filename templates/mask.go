package templates

import (
	"unicode/utf8"
)

// Wildcard is the token that stands for a variable part of a message, both
// in the output of Mask and in template texts.
const Wildcard = "<*>"

// maxRawTokens bounds the number of whitespace separated tokens that the
// masker looks at in one message; the rest of the message is summarised by a
// single trailing Wildcard.
const maxRawTokens = 512

// maxRecursion bounds the nesting of key=value handling (a=b=c=...).
const maxRecursion = 3

// Mask returns the preprocessed form of message that the miner clusters on:
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
func Mask(message string) string {
	// Room for the usual number of tokens and for an output a little longer
	// than the input (short numbers grow into <*>), so that one-off calls
	// allocate little besides the result.
	var spans [32]span
	dst := make([]byte, 0, len(message)+len(message)/4+8)
	dst, _ = appendMaskSpans(dst, message, spans[:0])
	return string(dst)
}

// scratch holds the reusable buffers of the masker.
type scratch struct {
	spans []span
}

// span is one whitespace separated token of a message: msg[start:end], and
// the union of the byteClass bits of its bytes.
type span struct {
	start, end int
	cls        uint16
}

// Byte classes. The masker computes, while it splits a message into tokens,
// the union of the classes of each token's bytes. The rules then skip the
// scans that cannot match: a token without '/' or '\\' is no path, one
// without '=' no key=value pair, one without a byte >= 0x80 is valid UTF-8,
// and so on. A class bit being set only means that the rule has to look.
const (
	clSpace     uint16 = 1 << iota // isSpace: separates tokens
	clWord                         // ASCII letters, '_', '-': plain words
	clDigit                        // '0'-'9'
	clDot                          // '.'
	clComma                        // ','
	clColon                        // ':'
	clPunct                        // ';', '!', '?': sentence punctuation
	clEq                           // '='
	clSlash                        // '/'
	clBackslash                    // '\\'
	clAt                           // '@'
	clNonASCII                     // bytes >= 0x80 (multi-byte or invalid UTF-8)
	clOther                        // everything else
)

// clPlainWord are the classes of the bytes of isPlainWord tokens.
const clPlainWord = clWord | clDot | clComma | clColon | clPunct

// byteClass maps a byte to its class bit. It is computed once and only
// read afterwards.
var byteClass = func() (t [256]uint16) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case isSpace(b):
			t[c] = clSpace
		case isLetter(b), b == '_', b == '-':
			t[c] = clWord
		case isDigit(b):
			t[c] = clDigit
		case b == '.':
			t[c] = clDot
		case b == ',':
			t[c] = clComma
		case b == ':':
			t[c] = clColon
		case b == ';', b == '!', b == '?':
			t[c] = clPunct
		case b == '=':
			t[c] = clEq
		case b == '/':
			t[c] = clSlash
		case b == '\\':
			t[c] = clBackslash
		case b == '@':
			t[c] = clAt
		case b >= 0x80:
			t[c] = clNonASCII
		default:
			t[c] = clOther
		}
	}
	return t
}()

// appendMask appends the masked form of msg to dst and returns it.
func (sc *scratch) appendMask(dst []byte, msg string) []byte {
	dst, sc.spans = appendMaskSpans(dst, msg, sc.spans[:0])
	return dst
}

// appendMaskSpans is appendMask with the token buffer passed in and
// returned, so that Mask can keep it on the stack.
func appendMaskSpans(dst []byte, msg string, spans []span) ([]byte, []span) {
	n := 0
	truncated := false
	i := 0
	for i < len(msg) {
		for i < len(msg) && isSpace(msg[i]) {
			i++
		}
		if i >= len(msg) {
			break
		}
		if n == maxRawTokens {
			truncated = true
			break
		}
		start := i
		var cls uint16
		for i < len(msg) {
			c := byteClass[msg[i]]
			if c == clSpace {
				break
			}
			cls |= c
			i++
		}
		spans = append(spans, span{start, i, cls})
		n++
	}
	base := len(dst)
	for k := 0; k < n; k++ {
		sp := spans[k]
		tok := msg[sp.start:sp.end]
		cls := sp.cls
		// Fast path: a word without digits or special characters, which
		// is kept as it is unless it is a month or weekday name (those
		// start with an upper case letter).
		if cls&^clPlainWord == 0 && (cls == clWord || isPlainWord(tok)) && !(isUpper(tok[0]) && isDateName(tok)) {
			if len(dst) > base {
				dst = append(dst, ' ')
			}
			dst = append(dst, tok...)
			continue
		}
		// number + time unit -> one variable.
		if k+1 < n && cls&clDigit != 0 && isNumberish(tok) {
			next := msg[spans[k+1].start:spans[k+1].end]
			core, suffix := trimTrailingPunct(next)
			if isTimeUnit(core) {
				dst = appendToken(dst, base, Wildcard, suffix)
				k++
				continue
			}
		}
		// month / weekday names adjacent to date numbers.
		if isUpper(tok[0]) && isDateName(tok) {
			prevNum := k > 0 && isDateNumber(msg[spans[k-1].start:spans[k-1].end])
			nextNum := false
			if k+1 < n {
				nx := msg[spans[k+1].start:spans[k+1].end]
				nextNum = isDateNumber(nx) || (isDateName(nx) && k+2 < n && isDateNumber(msg[spans[k+2].start:spans[k+2].end]))
			}
			if prevNum || nextNum {
				_, suffix := trimTrailingPunct(tok)
				dst = appendToken(dst, base, Wildcard, suffix)
				continue
			}
		}
		// Fast path: a plain number ("200", "3.14", "2017.") is a
		// wildcard followed by its trailing dots, which is what the
		// general rules below make of it.
		if cls&^(clDigit|clDot) == 0 && cls&clDigit != 0 {
			_, suffix := trimTrailingPunct(tok)
			dst = appendToken(dst, base, Wildcard, suffix)
			continue
		}
		// key="a value with spaces" -> key="<*>"
		q := -1
		if cls&clEq != 0 {
			q = quotedValueStart(tok)
		}
		if q > 0 {
			if j, p := findClosingQuote(msg, spans[:n], k, tok[q]); j > k {
				closeTok := msg[spans[j].start:spans[j].end]
				mark := len(dst)
				if len(dst) > base {
					dst = append(dst, ' ')
				}
				start := len(dst)
				dst = append(dst, tok[:q+1]...)
				dst = append(dst, Wildcard...)
				dst = append(dst, tok[q])
				rest := closeTok[p+1:]
				if onlyPunct(rest) {
					dst = append(dst, rest...)
					rest = ""
				}
				dst = finishToken(dst, base, mark, start)
				if rest != "" {
					dst = maskRawToken(dst, base, rest, spans[j].cls)
				}
				k = j
				continue
			}
		}
		dst = maskRawToken(dst, base, tok, cls)
	}
	if truncated {
		dst = appendToken(dst, base, Wildcard, "")
	}
	return dst, spans
}

// maxQuotedTokens is how far a quoted value may extend over whitespace.
const maxQuotedTokens = 8

// quotedValueStart returns the index of the opening quote of a key="...
// value that is not closed within tok, or -1.
func quotedValueStart(tok string) int {
	eq := indexByte(tok, '=')
	if eq <= 0 || eq+1 >= len(tok) {
		return -1
	}
	q := tok[eq+1]
	if q != '"' && q != '\'' {
		return -1
	}
	if indexByte(tok[eq+2:], q) >= 0 {
		return -1
	}
	_, key, _ := peel(tok[:eq])
	if !isKey(key) {
		return -1
	}
	return eq + 1
}

// findClosingQuote looks for quote in the raw tokens after k and returns the
// token index and the position of the quote in it, or -1.
func findClosingQuote(msg string, spans []span, k int, quote byte) (int, int) {
	for j := k + 1; j < len(spans) && j <= k+maxQuotedTokens; j++ {
		t := msg[spans[j].start:spans[j].end]
		if p := indexByte(t, quote); p >= 0 {
			return j, p
		}
	}
	return -1, -1
}

func onlyPunct(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isClosePunct(s[i]) {
			return false
		}
	}
	return true
}

// appendToken appends one output token, separating it from the previous one
// with a space and collapsing runs of identical variable tokens.
func appendToken(dst []byte, base int, tok, suffix string) []byte {
	mark := len(dst)
	if len(dst) > base {
		dst = append(dst, ' ')
	}
	start := len(dst)
	dst = append(dst, tok...)
	dst = append(dst, suffix...)
	return finishToken(dst, base, mark, start)
}

// finishToken validates the token dst[start:] that was just rendered (mark
// is the length of dst before its separator was added): empty tokens are
// dropped, invalid UTF-8 becomes a wildcard and a variable token equal to
// the previous token is collapsed into it.
func finishToken(dst []byte, base, mark, start int) []byte {
	if tok := dst[start:]; len(tok) > 0 && !utf8.Valid(tok) {
		dst = append(dst[:start], Wildcard...)
	}
	return finishASCIIToken(dst, base, mark, start)
}

// finishASCIIToken is finishToken for a token known to be valid UTF-8
// (ASCII, or already checked): it drops an empty token and collapses a
// variable token equal to the previous one.
func finishASCIIToken(dst []byte, base, mark, start int) []byte {
	tok := dst[start:]
	if len(tok) == 0 {
		return dst[:mark]
	}
	if mark > base && hasWildcardBytes(tok) {
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

// maskRawToken masks one whitespace separated token; cls is a superset of
// the byte classes of tok.
func maskRawToken(dst []byte, base int, tok string, cls uint16) []byte {
	// Split at commas that are followed by a letter or quote: "a=1,b=2".
	start := 0
	if cls&clComma != 0 {
		for i := 0; i+1 < len(tok); i++ {
			if tok[i] == ',' && isCommaSplitNext(tok[i+1]) && i > start {
				dst = maskPart(dst, base, tok[start:i+1], cls)
				start = i + 1
			}
		}
	}
	return maskPart(dst, base, tok[start:], cls)
}

func isCommaSplitNext(c byte) bool {
	return isLetter(c) || c == '"' || c == '\'' || c == '_'
}

// maskPart renders one token part directly into dst; cls is a superset of
// the byte classes of part.
func maskPart(dst []byte, base int, part string, cls uint16) []byte {
	mark := len(dst)
	if len(dst) > base {
		dst = append(dst, ' ')
	}
	start := len(dst)
	dst = renderPart(dst, part, 0, cls)
	if cls&clNonASCII == 0 {
		// The rendering is made of bytes of part and wildcards: ASCII.
		return finishASCIIToken(dst, base, mark, start)
	}
	return finishToken(dst, base, mark, start)
}

// renderPart appends the masked rendering of one token part to out. cls is
// a superset of the byte classes of part (the classes of the whole token):
// the rules use it only to skip scans that cannot match.
func renderPart(out []byte, part string, depth int, cls uint16) []byte {
	if len(part) == 0 {
		return out
	}
	pre, core, suf := peel(part)
	if len(core) == 0 {
		// Only punctuation. Empty bracket / quote pairs are empty values.
		if isEmptyPair(part) {
			out = append(out, part[0])
			out = append(out, Wildcard...)
			return append(out, part[len(part)-1])
		}
		return append(out, part...)
	}
	out = append(out, pre...)
	// A whole quoted single token: 'value' or "value".
	if len(pre) > 0 && len(suf) > 0 && (pre[len(pre)-1] == '"' || pre[len(pre)-1] == '\'') && suf[0] == pre[len(pre)-1] {
		out = append(out, Wildcard...)
		return append(out, suf...)
	}
	out = renderCore(out, core, depth, cls)
	return append(out, suf...)
}

func renderCore(out []byte, core string, depth int, cls uint16) []byte {
	// Paths need '/' or '\\', URLs "://", e-mail ids '@'.
	if (cls&(clSlash|clBackslash) != 0 && isPathLike(core)) ||
		(cls&(clSlash|clColon) == clSlash|clColon && isURL(core)) ||
		(cls&clAt != 0 && isEmail(core)) {
		return append(out, Wildcard...)
	}
	digits := cls&clDigit != 0 && hasDigit(core)
	if digits && isHexish(core) {
		return append(out, Wildcard...)
	}
	if depth < maxRecursion {
		// key=value
		eq := -1
		if cls&clEq != 0 {
			eq = indexByte(core, '=')
		}
		if eq > 0 && isKey(core[:eq]) {
			out = append(out, core[:eq+1]...)
			if eq+1 < len(core) {
				out = renderPart(out, core[eq+1:], depth+1, cls)
			}
			return out
		}
		// key:value with a plain identifier key
		c := -1
		if cls&clColon != 0 {
			c = indexByte(core, ':')
		}
		if c > 0 && c+1 < len(core) && isIdent(core[:c]) {
			v := core[c+1:]
			if v[0] != ':' && v[0] != '/' && v[0] != '\\' {
				out = append(out, core[:c+1]...)
				return renderPart(out, v, depth+1, cls)
			}
		}
	}
	if !digits {
		return append(out, core...)
	}
	// C++ style scopes: mask the segments that carry numbers only,
	// "IO80211Peer::setMode" -> "<*>::setMode".
	if depth < maxRecursion && cls&clColon != 0 {
		if c := indexScope(core); c > 0 && c+2 < len(core) {
			out = renderCore(out, core[:c], depth+1, cls)
			out = append(out, "::"...)
			return renderCore(out, core[c+2:], depth+1, cls)
		}
	}
	// Ellipsis fields: "alignment...............0"
	d := -1
	if cls&clDot != 0 {
		d = indexDots(core)
	}
	if d > 0 {
		e := d
		for e < len(core) && core[e] == '.' {
			e++
		}
		out = renderCore(out, core[:d], depth+1, cls)
		out = append(out, core[d:e]...)
		if e < len(core) {
			out = renderCore(out, core[e:], depth+1, cls)
		}
		return out
	}
	// word followed by a number: keep the word, mask the rest.
	if p := wordPrefix(core); p > 0 {
		out = append(out, core[:p]...)
		return append(out, Wildcard...)
	}
	return append(out, Wildcard...)
}

// indexScope returns the index of the first "::" in s, or -1.
func indexScope(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ':' && s[i+1] == ':' {
			return i
		}
	}
	return -1
}

// wordPrefix returns the length of the part to keep for tokens made of a
// word of at least two letters, up to two separator characters, then a
// digit, with no further letters: "eth0", "core.2275", "blk_-12", "node-3".
func wordPrefix(s string) int {
	i := 0
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	if i < 2 {
		return 0
	}
	j := i
	for j < len(s) && j-i < 2 && isSep(s[j]) {
		j++
	}
	if j >= len(s) || !isDigit(s[j]) {
		return 0
	}
	for k := j; k < len(s); k++ {
		if isLetter(s[k]) {
			return 0
		}
	}
	return j
}

func isSep(c byte) bool {
	switch c {
	case '_', '-', '.', '#', ':', '/':
		return true
	}
	return false
}

// indexDots returns the index of the first run of three or more dots that is
// preceded by something, or -1.
func indexDots(s string) int {
	for i := 1; i+2 < len(s); i++ {
		if s[i] == '.' && s[i+1] == '.' && s[i+2] == '.' {
			return i
		}
	}
	return -1
}

// peel splits leading and trailing punctuation off a token part.
func peel(s string) (pre, core, suf string) {
	i := 0
	for i < len(s) && isOpenPunct(s[i]) {
		i++
	}
	j := len(s)
	for j > i && isClosePunct(s[j-1]) {
		j--
	}
	return s[:i], s[i:j], s[j:]
}

func isOpenPunct(c byte) bool {
	switch c {
	case '(', '[', '{', '<', '"', '\'', '`':
		return true
	}
	return false
}

func isClosePunct(c byte) bool {
	switch c {
	case ')', ']', '}', '>', '"', '\'', '`', ',', ';', ':', '.', '!', '?':
		return true
	}
	return false
}

func isEmptyPair(s string) bool {
	if len(s) != 2 {
		return false
	}
	switch s {
	case "()", "[]", "{}", "<>", `""`, "''":
		return true
	}
	return false
}

// trimTrailingPunct splits trailing punctuation from s.
func trimTrailingPunct(s string) (core, suffix string) {
	j := len(s)
	for j > 0 && isClosePunct(s[j-1]) {
		j--
	}
	return s[:j], s[j:]
}

func isSpace(c byte) bool { return c <= ' ' || c == 0x7f }

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func isLetter(c byte) bool {
	return (c|0x20) >= 'a' && (c|0x20) <= 'z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func hasWildcardBytes(s []byte) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '<' && s[i+1] == '*' && s[i+2] == '>' {
			return true
		}
	}
	return false
}

// isPlainWord reports tokens that Mask keeps unchanged in all cases: ASCII
// letters, '_' and '-', optionally followed by sentence punctuation.
func isPlainWord(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		if isLetter(c) || c == '_' || c == '-' {
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

func hasWildcard(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '<' && s[i+1] == '*' && s[i+2] == '>' {
			return true
		}
	}
	return false
}

// isHexish reports tokens made only of hex digits and the separators used in
// numbers, addresses, times, UUIDs and digests: 0x1f, 10.0.0.1:80, fe80::1,
// 2017-07-05, 12:30:01.123, 8f3a21, 5c:50:15:4c:18:13. Short pure-letter-ish
// tokens such as "ee0" or "add1" are left to the other rules.
func isHexish(s string) bool {
	letters := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
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
		return !isLetter(s[0])
	}
	return true
}

// isNumberish reports a plain number, optionally signed or prefixed with a
// comparison sign: 12, 1.5, -3, <1, ~20, +0.25.
func isNumberish(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '<' || s[i] == '>' || s[i] == '~' || s[i] == '+' || s[i] == '-') {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return false
	}
	dot := false
	for ; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			continue
		}
		if c == '.' && !dot && i+1 < len(s) && isDigit(s[i+1]) {
			dot = true
			continue
		}
		return false
	}
	return true
}

// isTimeUnit reports a unit of time, in any letter case: ms, sec, Hours.
// The word is lower-cased into a small array and looked up with a switch,
// which is cheaper than folding it against each unit in turn.
func isTimeUnit(s string) bool {
	if len(s) == 0 || len(s) > 12 {
		return false
	}
	var b [12]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b[:len(s)]) {
	case "ns", "us", "µs", "ms", "msec", "msecs", "s", "sec", "secs", "second", "seconds",
		"min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour", "hours", "day", "days",
		"millisecond", "milliseconds", "microsecond", "microseconds", "nanosecond", "nanoseconds":
		return true
	}
	return false
}

// isDateName reports a capitalised (or upper case) month or weekday name,
// possibly followed by a comma.
func isDateName(s string) bool {
	if len(s) < 3 || !isUpper(s[0]) {
		return false
	}
	s, _ = trimTrailingPunct(s)
	if len(s) < 3 || len(s) > 9 {
		return false
	}
	// The names are ASCII letters only: lower-case into a small array,
	// give up at the first other byte, and look the word up.
	var b [9]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) {
			return false
		}
		b[i] = c | 0x20
	}
	switch string(b[:len(s)]) {
	case "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
		"mon", "tue", "wed", "thu", "fri", "sat", "sun",
		"january", "february", "march", "april", "june", "july", "august", "september", "october",
		"november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday":
		return true
	}
	return false
}

// isDateNumber reports day numbers, years and clock times: 7, 17, 2005,
// 07:07:00, 2017-07-05.
func isDateNumber(s string) bool {
	s, _ = trimTrailingPunct(s)
	if len(s) == 0 || !isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && c != ':' && c != '-' && c != '.' && c != '/' {
			return false
		}
	}
	return true
}

// isKey reports whether s can be the key of a key=value pair.
func isKey(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c):
			letter = true
		case isDigit(c), c == '_', c == '-', c == '.', c == '[', c == ']', c == '$', c == '#', c >= 0x80:
		default:
			return false
		}
	}
	return letter
}

// isIdent reports a plain identifier: letters, digits and underscores,
// starting with a letter or underscore.
func isIdent(s string) bool {
	if len(s) == 0 || len(s) > 64 || !(isLetter(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || isDigit(c) || c == '_') {
			return false
		}
	}
	return true
}

func isPathLike(s string) bool {
	if len(s) >= 2 {
		switch {
		case s[0] == '/' && indexByte(s[1:], '/') >= 0 && s[1] != '/':
			return true
		case s[0] == '~' && s[1] == '/':
			return true
		case s[0] == '.' && s[1] == '/':
			return true
		case len(s) >= 3 && s[0] == '.' && s[1] == '.' && s[2] == '/':
			return true
		case len(s) >= 3 && isLetter(s[0]) && s[1] == ':' && s[2] == '\\':
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

func isURL(s string) bool {
	for i := 1; i+2 < len(s); i++ {
		if s[i] == ':' && s[i+1] == '/' && s[i+2] == '/' {
			for j := 0; j < i; j++ {
				if !isLetter(s[j]) && !isDigit(s[j]) && s[j] != '+' && s[j] != '-' && s[j] != '.' {
					return false
				}
			}
			return true
		}
	}
	return false
}

func isEmail(s string) bool {
	at := indexByte(s, '@')
	if at <= 0 || at+3 >= len(s) {
		return false
	}
	dot := false
	for i := at + 1; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			dot = true
		} else if !isLetter(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	if !dot {
		return false
	}
	for i := 0; i < at; i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) && c != '.' && c != '_' && c != '-' && c != '+' {
			return false
		}
	}
	return true
}
