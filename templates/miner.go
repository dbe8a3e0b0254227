package templates

import (
	"sort"
	"strings"
)

// Options tunes a Miner. Zero values mean the defaults.
type Options struct {
	// Depth is the depth of the parse tree as in Drain: messages are routed
	// by their number of tokens and then by their first Depth-2 tokens
	// (tokens that look variable share a wildcard branch). Default 4, that
	// is two leading tokens; minimum 3.
	Depth int
	// SimThreshold is the minimum fraction of positions in which a message
	// must agree with a template of the same length to join it. Positions
	// where either side is a variable count as agreeing. Default 0.7.
	SimThreshold float64
	// MaxChildren bounds the number of children of an inner tree node; once
	// reached, further distinct tokens share the wildcard child. Default 100.
	MaxChildren int
}

// Template is one mined template.
type Template struct {
	// ID identifies the template for the life of the miner (and across runs
	// through Restore). IDs start at 1.
	ID uint32
	// Text is the template: the masked message with variable parts shown
	// as <*>.
	Text string
	// Count is the number of messages that were assigned the template.
	Count int64
}

const (
	defaultDepth       = 4
	defaultSim         = 0.7
	defaultMaxChildren = 100

	// maxMessageBytes is how much of a message is looked at. Longer
	// messages are clustered on their first maxMessageBytes bytes.
	maxMessageBytes = 8 << 10
	// maxCacheEntries bounds the exact-match cache; it is emptied when full.
	maxCacheEntries = 1 << 16
	// maxCacheKey is the longest masked message kept in the cache.
	maxCacheKey = 1 << 10
	// maxMergeTokens bounds the token alignment used to describe groups
	// whose messages have different token counts.
	maxMergeTokens = 256
	// minSkeletonTokens is the number of constant tokens two messages of
	// different lengths must share, in order, to be grouped together.
	minSkeletonTokens = 2
	// maxLeafScan bounds the number of templates compared with a message.
	maxLeafScan = 1024
	// maxRouteToken is the longest token used as a tree key.
	maxRouteToken = 48
)

// group is one template id: a set of same-length clusters (variants).
type group struct {
	id       uint32
	count    int64
	text     string
	variants []*variant
}

// variant is a Drain cluster: a template of a fixed number of tokens.
type variant struct {
	g      *group
	tokens []string
}

type node struct {
	children map[string]*node
	variants []*variant
}

// Miner mines log templates online. It is a Drain-style fixed depth parse
// tree (messages are routed by their token count and leading tokens and
// joined to the most similar template in the leaf) with these additions:
//
//   - a stronger, generic masking step (see Mask) that also collapses runs of
//     variables, so that lists and multi-token values do not change the
//     token count;
//   - a variable in either the template or the message agrees with anything,
//     so "Invalid user 123 from <*>" joins "Invalid user bob from <*>";
//   - messages of the same event with different token counts (optional
//     parenthesised values, empty fields) are grouped by their skeleton, the
//     sequence of their constant tokens; such a group has one id and a text
//     that aligns its variants;
//   - an exact-match cache from masked message to template, which makes the
//     common case a single map lookup.
//
// A Miner is not safe for concurrent use.
type Miner struct {
	depth       int
	sim         float64
	maxChildren int

	roots  map[int]*node
	groups map[uint32]*group
	cache  map[string]*variant
	skel   map[string]*group
	nextID uint32

	buf  []byte
	sbuf []byte
	toks []string
	sc   scratch
}

// NewMiner returns an empty Miner.
func NewMiner(opts Options) *Miner {
	m := &Miner{
		depth:       opts.Depth,
		sim:         opts.SimThreshold,
		maxChildren: opts.MaxChildren,
		roots:       make(map[int]*node),
		groups:      make(map[uint32]*group),
		cache:       make(map[string]*variant),
		skel:        make(map[string]*group),
		nextID:      1,
	}
	if m.depth == 0 {
		m.depth = defaultDepth
	}
	if m.depth < 3 {
		m.depth = 3
	}
	if m.sim <= 0 || m.sim > 1 {
		m.sim = defaultSim
	}
	if m.maxChildren <= 0 {
		m.maxChildren = defaultMaxChildren
	}
	return m
}

// Add assigns message to a template, creating or generalising one as
// needed, and returns the template id. A given template keeps its id for the
// life of the miner, also when its text generalises.
func (m *Miner) Add(message string) uint32 {
	m.buf = m.sc.appendMasked(m.buf[:0], message)
	return m.AddMasked(m.buf)
}

// Masker masks messages for AddMasked. Masking is the costly, pure part of
// Add: a pipeline can mask in one goroutine (each with its own Masker)
// and feed AddMasked in another. A Masker is not safe for concurrent use.
type Masker struct{ sc scratch }

// Append appends the masked form of message to dst, exactly as Add masks
// it, and returns the extended slice.
func (mk *Masker) Append(dst []byte, message string) []byte {
	return mk.sc.appendMasked(dst, message)
}

func (sc *scratch) appendMasked(dst []byte, message string) []byte {
	if len(message) > maxMessageBytes {
		message = message[:maxMessageBytes]
	}
	start := len(dst)
	dst = sc.appendMask(dst, message)
	if len(dst) == start {
		dst = append(dst, Wildcard...)
	}
	return dst
}

// AddMasked is Add for a message already masked by a Masker.
func (m *Miner) AddMasked(masked []byte) uint32 {
	if v, ok := m.cache[string(masked)]; ok {
		v.g.count++
		return v.g.id
	}
	key := string(masked)
	m.toks = splitTokens(m.toks[:0], key)
	toks := m.toks

	var v *variant
	if leaf := m.lookup(toks); leaf != nil {
		v = m.bestMatch(leaf, toks)
	}
	if v != nil {
		if m.generalise(v, toks) {
			m.refresh(v)
		}
	} else {
		v = &variant{tokens: append([]string(nil), toks...)}
		var skey string
		if k, n := m.skeleton(toks); n >= minSkeletonTokens {
			skey = k
			v.g = m.skel[skey]
		}
		if v.g == nil {
			v.g = m.newGroup(m.nextID)
			m.nextID++
		}
		v.g.variants = append(v.g.variants, v)
		leaf := m.route(toks)
		leaf.variants = append(leaf.variants, v)
		m.refresh(v)
	}
	if len(key) <= maxCacheKey {
		if len(m.cache) >= maxCacheEntries {
			m.cache = make(map[string]*variant)
		}
		m.cache[key] = v
	}
	v.g.count++
	return v.g.id
}

// Template returns the current text of template id, or "" if there is none.
func (m *Miner) Template(id uint32) string {
	if g, ok := m.groups[id]; ok {
		return g.text
	}
	return ""
}

// Templates returns all templates sorted by ID.
func (m *Miner) Templates() []Template {
	out := make([]Template, 0, len(m.groups))
	for _, g := range m.groups {
		out = append(out, Template{ID: g.id, Text: g.text, Count: g.count})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Restore preloads templates saved from an earlier run, so that later
// messages of the same events get the same ids. It is meant to be called on
// a new Miner before Add; entries with ID 0 or with an ID the miner already
// has are ignored. New templates get ids above the largest restored one.
func (m *Miner) Restore(ts []Template) {
	for _, t := range ts {
		if t.ID == 0 {
			continue
		}
		if _, ok := m.groups[t.ID]; ok {
			continue
		}
		text := t.Text
		if text == "" {
			text = Wildcard
		}
		g := m.newGroup(t.ID)
		g.count = t.Count
		g.text = text
		if t.ID >= m.nextID {
			m.nextID = t.ID + 1
		}
		toks := splitTokens(nil, text)
		v := &variant{g: g, tokens: toks}
		g.variants = append(g.variants, v)
		leaf := m.route(toks)
		leaf.variants = append(leaf.variants, v)
		if k, n := m.skeleton(toks); n >= minSkeletonTokens {
			if _, ok := m.skel[k]; !ok {
				m.skel[k] = g
			}
		}
		if len(m.cache) < maxCacheEntries && len(text) <= maxCacheKey {
			m.cache[text] = v
		}
	}
}

func (m *Miner) newGroup(id uint32) *group {
	g := &group{id: id}
	m.groups[id] = g
	return g
}

// lookup returns the leaf for toks without changing the tree, falling back
// to the wildcard child where a token has no child of its own (as Drain
// does), or nil.
func (m *Miner) lookup(toks []string) *node {
	n := m.roots[len(toks)]
	if n == nil {
		return nil
	}
	levels := m.depth - 2
	for i := 0; i < levels && i < len(toks); i++ {
		k := toks[i]
		if !isRoutable(k) {
			k = Wildcard
		}
		child := n.children[k]
		if child == nil {
			child = n.children[Wildcard]
		}
		if child == nil {
			return nil
		}
		n = child
	}
	return n
}

// route returns the leaf for toks, creating the path as needed.
func (m *Miner) route(toks []string) *node {
	n := m.roots[len(toks)]
	if n == nil {
		n = &node{}
		m.roots[len(toks)] = n
	}
	levels := m.depth - 2
	for i := 0; i < levels && i < len(toks); i++ {
		k := toks[i]
		if !isRoutable(k) {
			k = Wildcard
		}
		child := n.children[k]
		if child == nil {
			if n.children == nil {
				n.children = make(map[string]*node)
			}
			if len(n.children) >= m.maxChildren && k != Wildcard {
				k = Wildcard
				child = n.children[k]
			}
			if child == nil {
				child = &node{}
				n.children[k] = child
			}
		}
		n = child
	}
	return n
}

// isRoutable reports whether a token may be used as a tree key: a plain
// word, possibly with a trailing punctuation mark. Tokens that may vary
// (numbers, names with dots or slashes, ...) share the wildcard key.
func isRoutable(t string) bool {
	if len(t) == 0 || len(t) > maxRouteToken {
		return false
	}
	start, end := 0, len(t)
	for start < end && isOpenPunct(t[start]) {
		start++
	}
	for end > start && isClosePunct(t[end-1]) {
		end--
	}
	if end == start {
		return false
	}
	for i := start; i < end; i++ {
		c := t[i]
		if !isLetter(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// bestMatch returns the most similar variant of leaf, or nil if none
// reaches the threshold.
func (m *Miner) bestMatch(leaf *node, toks []string) *variant {
	var best *variant
	bestSim, bestEq := -1.0, -1
	vs := leaf.variants
	if len(vs) > maxLeafScan {
		// Bound the work per message on pathological input; the oldest
		// templates of a leaf are the established ones.
		vs = vs[:maxLeafScan]
	}
	for _, v := range vs {
		s, eq := similarity(v.tokens, toks)
		if s > bestSim || (s == bestSim && eq > bestEq) {
			best, bestSim, bestEq = v, s, eq
		}
	}
	if best != nil && bestSim >= m.sim {
		return best
	}
	return nil
}

// similarity returns the fraction of positions where template t and
// message s agree (equal tokens, or a variable on either side) and the
// number of equal constant tokens. At least one constant token must be
// shared by templates of more than one token.
func similarity(t, s []string) (float64, int) {
	if len(t) != len(s) || len(t) == 0 {
		return 0, 0
	}
	agree, eqConst := 0, 0
	for i := range t {
		a, b := t[i], s[i]
		if a == b {
			agree++
			if a != Wildcard {
				eqConst++
			}
			continue
		}
		switch compareTokens(a, b) {
		case tokAgree:
			agree++
		case tokConflict:
			// Upper case constants (states, methods, modes) and flags
			// tell events apart: RUNNING vs FAILED, GET vs POST,
			// SCREEN_ON vs TIME_TICK, visible=true vs visible=false.
			// A quoted value after a field label (request: "GET /x")
			// is a value, which may vary.
			if i == 0 || !endsWithLabel(t[i-1]) || !startsWithQuote(a) {
				return 0, 0
			}
		}
	}
	if eqConst == 0 && len(t) > 1 && agree < len(t) {
		return 0, 0
	}
	return float64(agree) / float64(len(t)), eqConst
}

const (
	tokDiffer = iota
	tokAgree
	tokConflict
)

// compareTokens classifies two different tokens at the same position: they
// agree when one is a variable (also inside punctuation: "<*>:" and
// "host.local:") or when both are values of the same key ("user=a" and
// "user=b"); they conflict when an enumeration constant or a boolean flag
// differs; otherwise they just differ.
func compareTokens(a, b string) int {
	ca, cb := tokenCore(a), tokenCore(b)
	if ca == Wildcard || cb == Wildcard {
		return tokAgree
	}
	if ka, va, ok := splitKV(ca); ok {
		if kb, vb, ok := splitKV(cb); ok && ka == kb {
			if va == Wildcard || vb == Wildcard {
				return tokAgree
			}
			if isFlag(va) || isFlag(vb) || isEnumLike(va) || isEnumLike(vb) {
				return tokConflict
			}
			return tokAgree
		}
	}
	if isEnumLike(a) || isEnumLike(b) {
		return tokConflict
	}
	return tokDiffer
}

// tokenCore strips sentence and bracket punctuation around a token, but
// not the angle brackets of a wildcard.
func tokenCore(t string) string {
	i, j := 0, len(t)
	for i < j {
		switch t[i] {
		case '(', '[', '{', '"', '\'', '`':
			i++
			continue
		}
		break
	}
	for j > i {
		switch t[j-1] {
		case ')', ']', '}', '"', '\'', '`', ',', ';', ':', '.', '!', '?':
			j--
			continue
		}
		break
	}
	return t[i:j]
}

// splitKV splits "key=value" and "key:value" (with a plain identifier key).
func splitKV(t string) (key, value string, ok bool) {
	for i := 1; i < len(t); i++ {
		c := t[i]
		if c == '=' {
			return t[:i+1], t[i+1:], true
		}
		if c == ':' {
			if isIdent(t[:i]) && i+1 < len(t) && t[i+1] != ':' {
				return t[:i+1], t[i+1:], true
			}
			return "", "", false
		}
	}
	return "", "", false
}

// isFlag reports boolean-like values.
func isFlag(v string) bool {
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off", "null", "none", "nil", "enabled", "disabled":
		return true
	}
	return false
}

// endsWithLabel reports a token that labels the next one as a value:
// "request:", "status=".
func endsWithLabel(t string) bool {
	if len(t) < 2 {
		return false
	}
	c := t[len(t)-1]
	return (c == ':' || c == '=') && isLetter(t[len(t)-2])
}

func startsWithQuote(t string) bool {
	return len(t) > 0 && (t[0] == '"' || t[0] == '\'')
}

// isEnumLike reports tokens that look like enumeration constants: upper
// case words such as RUNNING, GET, SCREEN_ON or android.intent.SCREEN_ON,
// possibly inside punctuation. Size units (KB, MB, ...) are not.
func isEnumLike(t string) bool {
	_, t, _ = peel(t)
	for i := len(t) - 1; i >= 0; i-- {
		if c := t[i]; c == '.' || c == ':' || c == '=' || c == '/' {
			t = t[i+1:]
			break
		}
	}
	if len(t) < 2 || len(t) > 40 {
		return false
	}
	upper := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'A' && c <= 'Z':
			upper++
		case c == '_' || (c >= '0' && c <= '9' && i > 0):
		default:
			return false
		}
	}
	if upper < 2 {
		return false
	}
	switch t {
	case "KB", "MB", "GB", "TB", "PB", "EB", "KIB", "MIB", "GIB", "TIB":
		return false
	}
	return true
}

// generalise replaces the positions where toks differs from the template by
// a variable and reports whether the template changed.
func (m *Miner) generalise(v *variant, toks []string) bool {
	changed := false
	for i, t := range v.tokens {
		if t == toks[i] || t == Wildcard {
			continue
		}
		g := generalToken(t, toks[i])
		if t != g {
			v.tokens[i] = g
			changed = true
		}
	}
	return changed
}

// generalToken returns the variable that stands for two different tokens,
// keeping a common key ("user=<*>") and common surrounding punctuation
// ("(<*>)", "\"<*>").
func generalToken(a, b string) string {
	if ka, _, ok := splitKV(a); ok {
		if kb, _, ok := splitKV(b); ok && ka == kb {
			return ka + Wildcard
		}
	}
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] && isOpenPunct(a[p]) && a[p] != '<' {
		p++
	}
	q := 0
	for q < len(a)-p && q < len(b)-p && a[len(a)-1-q] == b[len(b)-1-q] && isClosePunct(a[len(a)-1-q]) && a[len(a)-1-q] != '>' {
		q++
	}
	if p == 0 && q == 0 {
		return Wildcard
	}
	return a[:p] + Wildcard + a[len(a)-q:]
}

// refresh recomputes the text of v's group and registers v's skeleton.
func (m *Miner) refresh(v *variant) {
	g := v.g
	if len(g.variants) == 1 {
		g.text = strings.Join(v.tokens, " ")
	} else {
		merged := g.variants[0].tokens
		for _, w := range g.variants[1:] {
			merged = alignTokens(merged, w.tokens)
		}
		g.text = strings.Join(merged, " ")
	}
	if k, n := m.skeleton(v.tokens); n >= minSkeletonTokens {
		if _, ok := m.skel[k]; !ok {
			m.skel[k] = g
		}
	}
}

// skeleton returns the key made of the constant tokens of toks and their
// number. Variables, and bracketed groups of several tokens that contain a
// variable (optional details such as "(1.16 KB)"), are left out.
func (m *Miner) skeleton(toks []string) (string, int) {
	b := m.sbuf[:0]
	n := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if j := bracketGroupEnd(toks, i); j > i {
			wild := false
			for k := i; k <= j; k++ {
				if hasWildcard(toks[k]) {
					wild = true
					break
				}
			}
			if wild {
				i = j
				continue
			}
		}
		if isPureVariable(t) {
			continue
		}
		if n > 0 {
			b = append(b, ' ')
		}
		b = append(b, t...)
		n++
	}
	m.sbuf = b
	return string(b), n
}

// bracketGroupEnd returns the index of the token closing a bracket opened
// by toks[i] within a few tokens, or -1.
func bracketGroupEnd(toks []string, i int) int {
	t := toks[i]
	if len(t) == 0 {
		return -1
	}
	var open, close byte
	switch t[0] {
	case '(':
		open, close = '(', ')'
	case '[':
		open, close = '[', ']'
	default:
		return -1
	}
	if indexByte(t, close) >= 0 {
		return -1
	}
	for j := i + 1; j < len(toks) && j <= i+4; j++ {
		u := toks[j]
		if indexByte(u, open) >= 0 {
			return -1
		}
		if k := indexByte(u, close); k >= 0 {
			return j
		}
	}
	return -1
}

// isPureVariable reports a token with no letters or digits outside its
// wildcards: "<*>", "(<*>)", "<*>:<*>,".
func isPureVariable(t string) bool {
	wild := false
	for i := 0; i < len(t); i++ {
		if i+2 < len(t) && t[i] == '<' && t[i+1] == '*' && t[i+2] == '>' {
			wild = true
			i += 2
			continue
		}
		c := t[i]
		if isLetter(c) || isDigit(c) || c >= 0x80 {
			return false
		}
	}
	return wild
}

// alignTokens merges two templates of different lengths: tokens on their
// longest common subsequence are kept, every gap becomes one variable.
func alignTokens(a, b []string) []string {
	if len(a) > maxMergeTokens || len(b) > maxMergeTokens {
		return a
	}
	n, k := len(a), len(b)
	dp := make([]int32, (n+1)*(k+1))
	w := k + 1
	for i := n - 1; i >= 0; i-- {
		for j := k - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i*w+j] = dp[(i+1)*w+j+1] + 1
			} else if dp[(i+1)*w+j] >= dp[i*w+j+1] {
				dp[i*w+j] = dp[(i+1)*w+j]
			} else {
				dp[i*w+j] = dp[i*w+j+1]
			}
		}
	}
	out := make([]string, 0, n)
	gap := false
	flush := func() {
		if gap {
			if len(out) == 0 || out[len(out)-1] != Wildcard {
				out = append(out, Wildcard)
			}
			gap = false
		}
	}
	i, j := 0, 0
	for i < n && j < k {
		switch {
		case a[i] == b[j]:
			flush()
			if a[i] != Wildcard || len(out) == 0 || out[len(out)-1] != Wildcard {
				out = append(out, a[i])
			}
			i++
			j++
		case dp[(i+1)*w+j] >= dp[i*w+j+1]:
			gap = true
			i++
		default:
			gap = true
			j++
		}
	}
	if i < n || j < k {
		gap = true
	}
	flush()
	return out
}

// splitTokens appends the space separated tokens of s to dst.
func splitTokens(dst []string, s string) []string {
	start := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}
