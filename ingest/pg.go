package ingest

import (
	"fmt"
	"math"
	"math/bits"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/vidbench/forensics"
)

// What the three PostgreSQL snapshot readers (PGCSV, PGJSON, PSQL) share:
// matching a table's columns to one of the statistics views, turning cell
// text into typed values, and finding each snapshot's capture time.
//
// The capture time of a row comes, in this order, from a snapshot_ts
// (captured_at, now) column, from the psql \watch title line (or a `date`
// line) above its table, from a time in the file name
// (pg_stat_activity-20261120T140500Z.csv), or from the file's modification
// time, with a warning in the ingest summary.

// pgCatalogT is the column catalog of forensics.PGViews, indexed by name.
type pgCatalogT struct {
	views []forensics.PGViewSpec
	index []map[string]int // per view: column name or alias → column index
}

// pgCatalog is built once and never changed.
var pgCatalog = func() *pgCatalogT {
	c := &pgCatalogT{views: forensics.PGViews()}
	for _, v := range c.views {
		m := map[string]int{}
		for i, col := range v.Columns {
			m[col.Name] = i
			for _, a := range col.Aliases {
				m[a] = i
			}
		}
		c.index = append(c.index, m)
	}
	return c
}()

// isSnapshotTSName reports whether a column holds the capture time.
func isSnapshotTSName(name string) bool {
	for _, n := range forensics.PGSnapshotColumns {
		if name == n {
			return true
		}
	}
	return false
}

// isPGColumnName reports whether name is a column (or alias) of any of
// the views, or a capture-time column.
func isPGColumnName(name string) bool {
	if isSnapshotTSName(name) {
		return true
	}
	for _, m := range pgCatalog.index {
		if _, ok := m[name]; ok {
			return true
		}
	}
	return false
}

// classifyPG picks the view whose columns the names match best. The view
// must have at least two of the names and strictly more than any other
// view; otherwise it returns -1 (a count(*), a join of other tables).
func classifyPG(names []string) (view int, score int) {
	best, bestScore, tie := -1, 0, false
	for vi, m := range pgCatalog.index {
		n := 0
		for _, name := range names {
			if _, ok := m[name]; ok {
				n++
			}
		}
		switch {
		case n > bestScore:
			best, bestScore, tie = vi, n, false
		case n == bestScore && n > 0:
			tie = true
		}
	}
	if bestScore < 2 || tie {
		return -1, bestScore
	}
	return best, bestScore
}

// pgHeader is how the columns of one table in a file map onto a view.
type pgHeader struct {
	view    int // index in pgCatalog.views
	spec    *forensics.PGViewSpec
	names   []string           // the file's column names
	target  []int              // per file column: column index in spec, or -1 (kept in extra)
	types   []forensics.PGType // per file column: the type of its target (read for every cell)
	tsCol   int                // file column of the capture time, or -1
	unknown []string           // names kept in extra
	layout  string             // pg_stat_statements column generation
}

const (
	pgExtra = -1
	pgTSCol = -2
)

// newPGHeader maps names (as read from the file) onto a view; nil when
// they match none.
func newPGHeader(raw []string) *pgHeader {
	names := make([]string, len(raw))
	for i, n := range raw {
		names[i] = normalizeColName(n)
	}
	vi, _ := classifyPG(names)
	if vi < 0 {
		return nil
	}
	h := &pgHeader{view: vi, spec: &pgCatalog.views[vi], names: names, target: make([]int, len(names)), tsCol: -1}
	h.types = make([]forensics.PGType, len(names))
	seen := make([]bool, len(h.spec.Columns))
	for i, n := range names {
		if h.tsCol < 0 && isSnapshotTSName(n) {
			h.target[i] = pgTSCol
			h.tsCol = i
			continue
		}
		ci, ok := pgCatalog.index[vi][n]
		if ok && !seen[ci] {
			seen[ci] = true
			h.target[i] = ci
			h.types[i] = h.spec.Columns[ci].Type
			continue
		}
		h.target[i] = pgExtra
		h.unknown = append(h.unknown, n)
	}
	if h.spec.View == forensics.PGStatements {
		h.layout = statementsLayout(names)
	}
	return h
}

// normalizeColName lower-cases a column name and drops the quotes a
// quoted identifier may keep in a CSV header.
func normalizeColName(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, `"`)
	return strings.ToLower(s)
}

// statementsLayout tells the generation of pg_stat_statements columns:
// "pre13" (total_time ...), "13-16" (total_exec_time, blk_read_time),
// "17+" (shared_blk_read_time, stats_since), or "" when the columns
// do not tell.
func statementsLayout(names []string) string {
	has := func(set ...string) bool {
		for _, n := range names {
			for _, s := range set {
				if n == s {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has("total_time", "mean_time", "min_time", "max_time", "stddev_time"):
		return "pre13"
	case has("shared_blk_read_time", "shared_blk_write_time", "local_blk_read_time", "local_blk_write_time",
		"stats_since", "minmax_stats_since", "jit_deform_count", "jit_deform_time", "wal_buffers_full",
		"parallel_workers_to_launch", "parallel_workers_launched"):
		return "17+"
	case has("total_exec_time", "mean_exec_time", "min_exec_time", "max_exec_time", "stddev_exec_time",
		"plans", "total_plan_time", "toplevel", "wal_records"):
		return "13-16"
	}
	return ""
}

// pgRowMaker turns the cells of one row into a forensics.PGRow.
type pgRowMaker struct {
	in   *Input
	slab []forensics.PGValue
}

// alloc hands out n zeroed values from a shared slab (one allocation per
// few thousand rows instead of one per row).
func (m *pgRowMaker) alloc(n int) []forensics.PGValue {
	if len(m.slab) < n {
		m.slab = make([]forensics.PGValue, max(n*1024, 4096))
	}
	v := m.slab[:n:n]
	m.slab = m.slab[n:]
	return v
}

// pgCell is one cell as read from a file: nil Text is NULL.
type pgCell struct {
	Text []byte
	Null bool
}

// make builds the row from cells (one per header column). It returns the
// row's capture time as read from the snapshot column (zero when the row
// has none or it is NULL), or a reason to reject the row.
func (m *pgRowMaker) make(h *pgHeader, cells []pgCell, row *forensics.PGRow) (ts time.Time, reason string) {
	vals := m.alloc(len(h.spec.Columns))
	for i, c := range cells {
		if i >= len(h.target) {
			break
		}
		if reason := m.cell(h, i, c.Text, c.Null, vals, row, &ts); reason != "" {
			return ts, reason
		}
	}
	m.finish(h, vals, row)
	return ts, ""
}

// cellSpan is a cell as bytes [a, b) of a line. The psql reader keeps
// its cells as offsets rather than slices: writing them stores no
// pointer, so costs no GC write barrier in the loops run for every cell.
type cellSpan struct{ a, b int }

// makeSpans is make for cells given as spans of buf, where an empty cell
// is NULL (the psql reader's cells).
func (m *pgRowMaker) makeSpans(h *pgHeader, buf []byte, spans []cellSpan, row *forensics.PGRow) (ts time.Time, reason string) {
	vals := m.alloc(len(h.spec.Columns))
	for i, sp := range spans {
		if i >= len(h.target) {
			break
		}
		text := buf[sp.a:sp.b]
		if t := h.target[i]; t >= 0 && len(text) > 0 {
			// a value of a view column, as in cell, without the call:
			// this runs for nearly every cell of the file
			if !parsePGValue(text, h.types[i], m.in.TZ, &vals[t]) {
				return ts, notTypeReason(h, i, text)
			}
			continue
		}
		if reason := m.cell(h, i, text, len(text) == 0, vals, row, &ts); reason != "" {
			return ts, reason
		}
	}
	m.finish(h, vals, row)
	return ts, ""
}

// cell reads the text of file column i into vals, the capture time *ts
// or the row's extras. It returns a reason to reject the row, or "".
func (m *pgRowMaker) cell(h *pgHeader, i int, text []byte, null bool, vals []forensics.PGValue, row *forensics.PGRow, ts *time.Time) string {
	switch t := h.target[i]; t {
	case pgTSCol:
		if null || len(text) == 0 {
			return ""
		}
		v, ok := parsePGTime(text, m.in.TZ)
		if !ok {
			return fmt.Sprintf("column %s: %q is not a time", h.names[i], trimForReason(text))
		}
		*ts = v
	case pgExtra:
		if null {
			return ""
		}
		if row.Extra == nil {
			row.Extra = make(map[string]string, len(h.unknown))
		}
		name := h.names[i]
		if _, dup := row.Extra[name]; dup {
			name = fmt.Sprintf("%s#%d", name, i+1)
		}
		row.Extra[name] = str(text)
	default:
		typ := h.types[i]
		if null || (len(text) == 0 && typ != forensics.PGText) {
			return ""
		}
		if !parsePGValue(text, typ, m.in.TZ, &vals[t]) {
			return notTypeReason(h, i, text)
		}
	}
	return ""
}

// notTypeReason is the reject reason for text that is not a value of
// the type of file column i.
func notTypeReason(h *pgHeader, i int, text []byte) string {
	return fmt.Sprintf("column %s: %q is not %s", h.names[i], trimForReason(text), typeWord(h.types[i]))
}

// finish fills in what every row of the header shares.
func (m *pgRowMaker) finish(h *pgHeader, vals []forensics.PGValue, row *forensics.PGRow) {
	row.View = h.spec.View
	row.Layout = h.layout
	row.Vals = vals
}

func typeWord(t forensics.PGType) string {
	switch t {
	case forensics.PGInt:
		return "an integer"
	case forensics.PGFloat:
		return "a number"
	case forensics.PGBool:
		return "a boolean (t/f)"
	case forensics.PGTime:
		return "a time"
	}
	return "text"
}

// parsePGValue parses b as PostgreSQL prints a value of type t.
func parsePGValue(b []byte, t forensics.PGType, loc *time.Location, v *forensics.PGValue) bool {
	if len(b) == 1 && b[0]-'0' <= 9 {
		// one digit, most often the 0 of a counter that never moved
		// (half the cells of pg_stat_statements): no parser needed
		d := b[0] - '0'
		switch t {
		case forensics.PGInt:
			v.N, v.OK = int64(d), true
			return true
		case forensics.PGFloat:
			v.F, v.OK = float64(d), true
			return true
		}
	}
	switch t {
	case forensics.PGText:
		v.S, v.OK = textString(b), true
		return true
	case forensics.PGInt:
		n, ok := parseInt64(b)
		if !ok {
			// numeric columns printed with a fraction (wal_bytes) or
			// unsigned values beyond int64 are not expected in int columns
			return false
		}
		v.N, v.OK = n, true
		return true
	case forensics.PGFloat:
		f, ok := parseFloat(b)
		if !ok {
			return false
		}
		v.F, v.OK = f, true
		return true
	case forensics.PGBool:
		switch string(b) {
		case "t", "true", "TRUE", "True", "on", "yes", "1":
			v.N, v.OK = 1, true
			return true
		case "f", "false", "FALSE", "False", "off", "no", "0":
			v.N, v.OK = 0, true
			return true
		}
		return false
	case forensics.PGTime:
		switch string(b) {
		case "infinity", "-infinity":
			return true // stays NULL: no instant to store
		}
		ts, ok := parsePGTime(b, loc)
		if !ok {
			return false
		}
		v.N, v.OK = ts.UnixMicro(), true
		return true
	}
	return false
}

// textString is str(b): ASCII text (nearly every query) is valid UTF-8
// without the rune-by-rune check, found 32 bytes a step.
func textString(b []byte) string {
	if isASCII(b) {
		return string(b)
	}
	return str(b)
}

// parseInt64 parses a decimal integer as strconv.ParseInt(b, 10, 64)
// does, without allocating for any that fits in 19 digits (queryid
// values take all 19).
func parseInt64(b []byte) (int64, bool) {
	s := b
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	if len(s) > 19 {
		// leading zeros, or out of range: strconv tells which
		n, err := strconv.ParseInt(string(b), 10, 64)
		return n, err == nil
	}
	// 19 digits stay below 2^64, so u cannot wrap
	var u uint64
	for _, c := range s {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		u = u*10 + uint64(d)
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true // -(1<<63) wraps to MinInt64, as wanted
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// pow10 holds the exact powers of ten a float64 can represent.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// maxDivScale is the most fraction digits divPow10 takes: 5^27 is the
// largest power of five below 2^63.
const maxDivScale = 27

// pow5 holds 5^0 .. 5^maxDivScale; built once and never changed.
var pow5 = func() (p [maxDivScale + 1]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 5
	}
	return p
}()

// parseFloat parses a decimal number as strconv.ParseFloat(b, 64) does.
// Plain decimals of up to 19 significant digits (every value PostgreSQL
// prints for times in milliseconds unless tiny or huge) are converted
// here, exactly; anything else (exponents, NaN, Infinity, longer
// mantissas) goes to strconv.
func parseFloat(b []byte) (float64, bool) {
	if mant, scale, neg, ok := scanDecimal(b); ok {
		if f, ok := decimalToFloat(mant, scale); ok {
			if neg {
				f = -f // also makes "-0" negative zero, as strconv does
			}
			return f, true
		}
	}
	if len(b) == 0 {
		return 0, false
	}
	// strconv copies the text into its errors, so b's bytes are not kept
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	return f, err == nil
}

// scanDecimal reads b as [+-]digits[.digits] (at least one digit; "5."
// and ".5" are numbers to strconv too) into mant / 10^scale. ok is false
// for any other form and for more than 19 significant digits, which could
// overflow mant.
func scanDecimal(b []byte) (mant uint64, scale int, neg, ok bool) {
	i := 0
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	digits, dotAt := 0, -1
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			if b[i] != '.' || dotAt >= 0 {
				return 0, 0, false, false
			}
			dotAt = digits
			continue
		}
		if mant >= 1e18 {
			// mant has 19 significant digits (leading zeros left it 0):
			// a 20th could overflow
			return 0, 0, false, false
		}
		mant = mant*10 + uint64(d)
		digits++
	}
	if dotAt >= 0 {
		scale = digits - dotAt
	}
	return mant, scale, neg, digits > 0
}

// decimalToFloat is the float64 nearest mant / 10^scale (ties to even),
// or ok false when scale is beyond what divPow10 takes.
func decimalToFloat(mant uint64, scale int) (float64, bool) {
	switch {
	case mant == 0:
		return 0, true
	case scale == 0:
		return float64(mant), true // Go rounds the conversion to nearest even
	case mant <= 1<<53 && scale < len(pow10):
		// both operands exact, so the one rounding of the division is
		// the correct one
		return float64(mant) / pow10[scale], true
	case scale <= maxDivScale:
		return divPow10(mant, scale), true
	}
	return 0, false
}

// divPow10 is m / 10^k correctly rounded (ties to even), for m > 0 and
// 1 <= k <= maxDivScale, in integer arithmetic. As 10^k = 5^k·2^k it
// divides m·2^s by 5^k, with s chosen so the quotient q has 63 or 64
// bits, keeps 53 of them rounded by the rest and the remainder, and
// scales by 2^-(s+k), which is exact for every m and k taken here.
func divPow10(m uint64, k int) float64 {
	d := pow5[k]
	s := 63 - bits.Len64(m) + bits.Len64(d) // 2 <= s <= 125
	var hi, lo uint64
	if s >= 64 {
		hi = m << (s - 64)
	} else {
		hi, lo = m>>(64-s), m<<s
	}
	// m·2^s < d·2^64, so hi < d and the quotient fits in 64 bits
	q, r := bits.Div64(hi, lo, d)
	shift := bits.Len64(q) - 53 // 10 or 11: q >= 2^62
	sig := q >> shift
	rest := q & (1<<shift - 1)
	half := uint64(1) << (shift - 1)
	if rest > half || (rest == half && (r != 0 || sig&1 == 1)) {
		sig++ // may reach 2^53, still exact
	}
	// the value is sig·2^e with -142 <= e <= 8: 2^e is a normal float64
	e := shift - s - k
	return float64(sig) * math.Float64frombits(uint64(e+1023)<<52)
}

// parsePGTime parses a timestamp as PostgreSQL prints it with DateStyle
// ISO ("2026-11-20 14:05:00.123456+00", "+05:30", "-08"), as row_to_json
// writes it ("2026-11-20T14:05:00.123456+00:00"), or without a zone
// (timestamp without time zone: read in loc). The whole of b must be used.
func parsePGTime(b []byte, loc *time.Location) (time.Time, bool) {
	t, n, _, ok := parseISO(b, loc)
	if !ok {
		return t, false
	}
	if n < len(b) {
		// a seconds part of the offset (+05:53:28, local mean time of old dates)
		rest := b[n:]
		if len(rest) == 3 && rest[0] == ':' {
			if s, ok := digits(rest[1:], 2); ok {
				return t.Add(-time.Duration(s) * time.Second * time.Duration(offsetSign(b))), true
			}
		}
		return t, false
	}
	return t, true
}

// offsetSign returns -1 when the zone offset of an ISO time is negative.
func offsetSign(b []byte) int {
	for i := len(b) - 1; i >= 19; i-- {
		switch b[i] {
		case '-':
			return -1
		case '+':
			return 1
		}
	}
	return 1
}

// fileNameTime finds a capture time in a file name:
// pg_stat_activity-20261120T140500Z.csv, locks_2026-11-20T14:05:00Z.txt,
// activity-2026-11-20_14-05-00.txt (zone-less names are read in loc).
var fileNameTimeRE = regexp.MustCompile(`(\d{4})-?(\d{2})-?(\d{2})[T_ -]?(\d{2})[:-]?(\d{2})[:-]?(\d{2})(Z|[+-]\d{2}:?\d{2})?`)

func fileNameTime(path string, loc *time.Location) (time.Time, bool) {
	m := fileNameTimeRE.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return time.Time{}, false
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	y, mo, d, h, mi, s := n(m[1]), n(m[2]), n(m[3]), n(m[4]), n(m[5]), n(m[6])
	if y < 1990 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, false
	}
	zone := loc
	switch z := m[7]; {
	case z == "Z":
		zone = time.UTC
	case z != "":
		z = strings.ReplaceAll(z, ":", "")
		off := (n(z[1:3])*60 + n(z[3:5])) * 60
		if z[0] == '-' {
			off = -off
		}
		zone = fixedZone(off)
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, zone).UTC(), true
}

// Capture-time sources, as stored in ts_source.
const (
	tsColumn   = "column"
	tsTitle    = "title"
	tsFileName = "file_name"
	tsMTime    = "mtime"
)

// pgFile is what the three readers keep per file: the fall-back capture
// time, the snapshot numbering and the row maker.
type pgFile struct {
	in       *Input
	form     string
	fileTS   time.Time
	fileOK   bool
	mtimeN   int64 // rows stamped with the file's mtime
	noTimeN  int64 // rows without any time (no mtime either)
	snapNo   int
	rows     pgRowMaker
	lastView string
	lastTS   time.Time
}

func newPGFile(in *Input, form string) *pgFile {
	f := &pgFile{in: in, form: form, rows: pgRowMaker{in: in}}
	f.fileTS, f.fileOK = fileNameTime(in.Path, in.TZ)
	return f
}

// fallback is the capture time for a row whose table gives none.
func (f *pgFile) fallback() (time.Time, string) {
	if f.fileOK {
		return f.fileTS, tsFileName
	}
	if !f.in.Ref.IsZero() {
		f.mtimeN++
		return f.in.Ref.UTC(), tsMTime
	}
	f.noTimeN++
	return time.Time{}, ""
}

// finish tells the ingest summary about rows whose time is a guess.
func (f *pgFile) finish() {
	if f.mtimeN > 0 {
		f.in.Warn(fmt.Sprintf("capture time of %d snapshot rows taken from the file's modification time %s: the file has no snapshot_ts/captured_at/now column, no psql \\watch title and no time in its name; check that the file was not copied or touched since",
			f.mtimeN, f.in.Ref.UTC().Format(time.RFC3339)))
	}
	if f.noTimeN > 0 {
		f.in.Warn(fmt.Sprintf("%d snapshot rows have no capture time at all (no time column, title, file-name time or modification time)", f.noTimeN))
	}
}

// emitRow emits one data row that spans lines physical lines from first.
// rowTS is the time read from the row's own snapshot column (zero: none);
// titleTS the time of the table's title (zero: none).
func (f *pgFile) emitRow(row *forensics.PGRow, rowTS, titleTS time.Time, first *Line, lines int) error {
	switch {
	case !rowTS.IsZero():
		row.SnapshotTS, row.TSSource = rowTS, tsColumn
	case !titleTS.IsZero():
		row.SnapshotTS, row.TSSource = titleTS, tsTitle
	default:
		row.SnapshotTS, row.TSSource = f.fallback()
	}
	row.Form = f.form
	row.LineNo = first.No
	row.Lines = lines
	return f.in.Emit(row, row.SnapshotTS, lines, first.Offset)
}

// nextSnapshot numbers snapshots: a new one starts with each table
// (header) and whenever the capture time or the view changes.
func (f *pgFile) nextSnapshot(view string, ts time.Time, newTable bool) int {
	if newTable || f.snapNo == 0 || view != f.lastView || !ts.Equal(f.lastTS) {
		f.snapNo++
	}
	f.lastView, f.lastTS = view, ts
	return f.snapNo
}

// pgTitleTime reads the time of a psql \watch title line
//
//	Fri 20 Nov 2026 02:05:00 PM UTC (every 5s)      (en_US locale)
//	Fri Nov 20 14:05:00 2026 (every 5s)             (C locale: no zone, --tz applies)
//	My title	Fri Nov 20 14:05:00 2026 (every 5s)   (with \pset title)
//	Watch every 5s	Fri Nov 20 14:05:00 2026        (psql 9.3 to 9.6)
//
// or of a line that only holds a time, as `date` prints it above a saved
// output ("Fri Nov 20 14:05:00 UTC 2026", "2026-11-20T14:05:00+00:00").
// It returns the time and whether the zone was guessed from loc.
func pgTitleTime(line []byte, loc *time.Location) (time.Time, bool) {
	s := strings.TrimSpace(string(line))
	if s == "" || len(s) > 200 {
		return time.Time{}, false
	}
	if m := watchTitleRE.FindStringSubmatch(s); m != nil {
		s = m[1]
		if i := strings.LastIndexByte(s, '\t'); i >= 0 {
			s = s[i+1:]
		}
	} else if m := oldWatchTitleRE.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	return parseLocaleTime(strings.TrimSpace(s), loc)
}

var (
	// "(every 5s)", and its translations: "(alle 5s)", "(chaque 5s)", ...
	watchTitleRE    = regexp.MustCompile(`^(.+?)\s+\([^()0-9]*[0-9][0-9.e+-]*\s?s[^()]*\)$`)
	oldWatchTitleRE = regexp.MustCompile(`^Watch every [0-9.]+s\t(.+)$`)
)

// Month and weekday words of the locales psql titles are seen in.
var localeMonths = map[string]time.Month{
	"jan": 1, "january": 1, "janv": 1, "januar": 1, "ene": 1, "enero": 1, "janvier": 1, "gen": 1,
	"feb": 2, "february": 2, "févr": 2, "fevr": 2, "februar": 2, "febrero": 2, "février": 2,
	"mar": 3, "march": 3, "mär": 3, "märz": 3, "mars": 3, "marzo": 3, "mrz": 3,
	"apr": 4, "april": 4, "avr": 4, "avril": 4, "abr": 4, "abril": 4,
	"may": 5, "mai": 5, "mayo": 5, "mag": 5,
	"jun": 6, "june": 6, "juin": 6, "juni": 6, "junio": 6, "giu": 6,
	"jul": 7, "july": 7, "juil": 7, "juillet": 7, "juli": 7, "julio": 7, "lug": 7,
	"aug": 8, "august": 8, "août": 8, "aout": 8, "ago": 8, "agosto": 8,
	"sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9, "set": 9,
	"oct": 10, "october": 10, "okt": 10, "oktober": 10, "octobre": 10, "octubre": 10, "ott": 10,
	"nov": 11, "november": 11, "novembre": 11, "noviembre": 11,
	"dec": 12, "december": 12, "dez": 12, "dezember": 12, "déc": 12, "decembre": 12, "décembre": 12, "dic": 12, "diciembre": 12,
}

// zoneAbbrevs are unambiguous zone abbreviations %c and date print.
var zoneAbbrevs = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "WEST": 3600, "BST": 3600, "IST": 3600,
	"CET": 3600, "CEST": 7200, "MET": 3600, "MEST": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
	"JST": 9 * 3600, "KST": 9 * 3600, "AEST": 10 * 3600, "AEDT": 11 * 3600,
	"ACST": 34200, "ACDT": 37800, "AWST": 8 * 3600, "NZST": 12 * 3600, "NZDT": 13 * 3600,
	"SGT": 8 * 3600, "HKT": 8 * 3600,
}

// parseLocaleTime reads a date and time as strftime's %c or date(1) print
// it in common locales: it looks for a day, a month word, a four-digit
// year, hh:mm:ss, an optional AM/PM and an optional zone, in any order.
// ISO forms are tried first. A time without a zone is in loc; a zone
// abbreviation that is also loc's at that time takes loc's offset.
func parseLocaleTime(s string, loc *time.Location) (time.Time, bool) {
	if t, ok := parsePGTime([]byte(s), loc); ok {
		return t, true
	}
	if t, n, _, ok := parseISO([]byte(s), loc); ok && (n == len(s) || strings.TrimSpace(s[n:]) == "") {
		return t, true
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	var (
		day, year, h, mi, sec = -1, -1, -1, -1, -1
		mon                   time.Month
		pm, am                bool
		zone                  string
		off                   = 0
		hasOff                bool
	)
	for _, f := range fields {
		lf := strings.ToLower(strings.TrimSuffix(f, "."))
		switch {
		case strings.Count(f, ":") == 2 && h < 0:
			p := strings.Split(f, ":")
			a, e1 := strconv.Atoi(p[0])
			b, e2 := strconv.Atoi(p[1])
			c, e3 := strconv.ParseFloat(p[2], 64)
			if e1 != nil || e2 != nil || e3 != nil {
				return time.Time{}, false
			}
			h, mi, sec = a, b, int(c)
		case lf == "pm" || lf == "p.m":
			pm = true
		case lf == "am" || lf == "a.m":
			am = true
		case mon == 0 && localeMonths[lf] != 0:
			mon = localeMonths[lf]
		case isAllDigits(f) && len(f) == 4 && year < 0:
			year, _ = strconv.Atoi(f)
		case isAllDigits(f) && len(f) <= 2 && day < 0:
			day, _ = strconv.Atoi(f)
		case (f[0] == '+' || f[0] == '-') && len(f) >= 3 && isAllDigits(strings.ReplaceAll(f[1:], ":", "")) &&
			len(strings.ReplaceAll(f[1:], ":", "")) >= 2:
			z := strings.ReplaceAll(f[1:], ":", "")
			hh, _ := strconv.Atoi(z[:2])
			mm := 0
			if len(z) >= 4 {
				mm, _ = strconv.Atoi(z[2:4])
			}
			off = (hh*60 + mm) * 60
			if f[0] == '-' {
				off = -off
			}
			hasOff = true
		case isUpperWord(f) && zone == "":
			zone = f
		}
	}
	if day < 1 || day > 31 || mon == 0 || year < 1900 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 {
		return time.Time{}, false
	}
	if pm && h < 12 {
		h += 12
	}
	if am && h == 12 {
		h = 0
	}
	switch {
	case hasOff:
		return time.Date(year, mon, day, h, mi, sec, 0, fixedZone(off)).UTC(), true
	case zone != "":
		local := time.Date(year, mon, day, h, mi, sec, 0, loc)
		if name, _ := local.Zone(); name == zone {
			return local.UTC(), true
		}
		if o, ok := zoneAbbrevs[zone]; ok {
			return time.Date(year, mon, day, h, mi, sec, 0, fixedZone(o)).UTC(), true
		}
		// an abbreviation we cannot place: the case's --tz
		return local.UTC(), true
	}
	return time.Date(year, mon, day, h, mi, sec, 0, loc).UTC(), true
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUpperWord(s string) bool {
	if len(s) < 2 || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
