package ingest

import (
	"time"
)

// Time parsing for the layouts that start log lines. These are hand-written
// because they run once per line on million-line files: time.Parse costs
// several times more and allocates on error.

func digits(b []byte, n int) (int, bool) {
	if len(b) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseISO parses "2026-11-20 14:02:11,532", "2026-11-20T14:02:11.532123456Z",
// "2026-11-20T14:02:11+01:00" and "2026-11-20 14:02:12.001 UTC" at the
// start of b. Times without a zone are in loc. It returns the time, the
// number of bytes used, whether the text carried its own zone, and ok.
func parseISO(b []byte, loc *time.Location) (t time.Time, n int, zoned bool, ok bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return t, 0, false, false
	}
	y, ok1 := digits(b, 4)
	mo, ok2 := digits(b[5:], 2)
	d, ok3 := digits(b[8:], 2)
	h, ok4 := digits(b[11:], 2)
	mi, ok5 := digits(b[14:], 2)
	s, ok6 := digits(b[17:], 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return t, 0, false, false
	}
	n = 19
	nsec := 0
	if n < len(b) && (b[n] == '.' || b[n] == ',') && n+1 < len(b) && b[n+1] >= '0' && b[n+1] <= '9' {
		n++
		nsec, n = fraction(b, n)
	}
	zone := loc
	if n < len(b) {
		switch c := b[n]; {
		case c == 'Z' || c == 'z':
			zone = time.UTC
			zoned = true
			n++
		case c == '+' || c == '-':
			// +01:00, +0100, +01
			oh, okh := digits(b[n+1:], 2)
			if okh {
				m := n + 3
				om := 0
				if m < len(b) && b[m] == ':' {
					if v, ok := digits(b[m+1:], 2); ok {
						om, m = v, m+3
					}
				} else if v, ok := digits(b[m:], 2); ok {
					om, m = v, m+2
				}
				off := (oh*60 + om) * 60
				if c == '-' {
					off = -off
				}
				zone = fixedZone(off)
				zoned = true
				n = m
			}
		case c == ' ' && len(b) >= n+4 && string(b[n+1:n+4]) == "UTC" && (len(b) == n+4 || b[n+4] == ' '):
			zone = time.UTC
			zoned = true
			n += 4
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, nsec, zone).UTC(), n, zoned, true
}

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone("", off)
}

var monthIndex = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

func month3(b []byte) (time.Month, bool) {
	if len(b) < 3 {
		return 0, false
	}
	m, ok := monthIndex[string(b[:3])]
	return m, ok
}

// parseApache parses "20/Nov/2026:14:02:11 +0000" (without brackets).
func parseApache(b []byte) (time.Time, int, bool) {
	if len(b) < 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return time.Time{}, 0, false
	}
	d, ok1 := digits(b, 2)
	mo, ok2 := month3(b[3:])
	y, ok3 := digits(b[7:], 4)
	h, ok4 := digits(b[12:], 2)
	mi, ok5 := digits(b[15:], 2)
	s, ok6 := digits(b[18:], 2)
	oh, ok7 := digits(b[22:], 2)
	om, ok8 := digits(b[24:], 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) || (b[21] != '+' && b[21] != '-') {
		return time.Time{}, 0, false
	}
	off := (oh*60 + om) * 60
	if b[21] == '-' {
		off = -off
	}
	return time.Date(y, mo, d, h, mi, s, 0, fixedZone(off)).UTC(), 26, true
}

// parseSyslog parses "Nov 20 14:02:11" (and "Nov  2 14:02:11"), which has no
// year: the year comes from ref (the file's time), stepping back one year
// when the result would be more than a day after ref.
func parseSyslog(b []byte, loc *time.Location, ref time.Time) (time.Time, int, bool) {
	if len(b) < 15 || b[3] != ' ' || b[9] != ':' || b[12] != ':' {
		return time.Time{}, 0, false
	}
	mo, ok := month3(b)
	if !ok {
		return time.Time{}, 0, false
	}
	var d int
	switch {
	case b[4] == ' ':
		v, ok := digits(b[5:], 1)
		if !ok {
			return time.Time{}, 0, false
		}
		d = v
	default:
		v, ok := digits(b[4:], 2)
		if !ok {
			return time.Time{}, 0, false
		}
		d = v
	}
	if b[6] != ' ' {
		return time.Time{}, 0, false
	}
	h, ok1 := digits(b[7:], 2)
	mi, ok2 := digits(b[10:], 2)
	s, ok3 := digits(b[13:], 2)
	if !(ok1 && ok2 && ok3) {
		return time.Time{}, 0, false
	}
	n := 15
	nsec := 0
	if n < len(b) && b[n] == '.' {
		n++
		nsec, n = fraction(b, n)
	}
	year := ref.Year()
	if ref.IsZero() {
		year = time.Now().Year()
	}
	t := time.Date(year, mo, d, h, mi, s, nsec, loc)
	if !ref.IsZero() && t.Sub(ref) > 24*time.Hour {
		t = time.Date(year-1, mo, d, h, mi, s, nsec, loc)
	}
	return t.UTC(), n, true
}

// parseRedis parses redis' "20 Nov 2026 14:02:12.001".
func parseRedis(b []byte, loc *time.Location) (time.Time, int, bool) {
	if len(b) < 20 || b[2] != ' ' || b[6] != ' ' || b[11] != ' ' || b[14] != ':' || b[17] != ':' {
		return time.Time{}, 0, false
	}
	d, ok1 := digits(b, 2)
	mo, ok2 := month3(b[3:])
	y, ok3 := digits(b[7:], 4)
	h, ok4 := digits(b[12:], 2)
	mi, ok5 := digits(b[15:], 2)
	s, ok6 := digits(b[18:], 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, 0, false
	}
	n := 20
	nsec := 0
	if n < len(b) && b[n] == '.' {
		n++
		nsec, n = fraction(b, n)
	}
	return time.Date(y, mo, d, h, mi, s, nsec, loc).UTC(), n, true
}

// parseSlash parses "2027/03/09 09:52:17" (nginx's error log, and
// nvidia-smi's CSV timestamp "2026/11/20 14:05:12.345"), which carries no
// zone: it is read in loc.
func parseSlash(b []byte, loc *time.Location) (time.Time, int, bool) {
	if len(b) < 19 || b[4] != '/' || b[7] != '/' || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, 0, false
	}
	y, ok1 := digits(b, 4)
	mo, ok2 := digits(b[5:], 2)
	d, ok3 := digits(b[8:], 2)
	h, ok4 := digits(b[11:], 2)
	mi, ok5 := digits(b[14:], 2)
	s, ok6 := digits(b[17:], 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, 0, false
	}
	n := 19
	nsec := 0
	if n+1 < len(b) && b[n] == '.' && b[n+1] >= '0' && b[n+1] <= '9' {
		n++
		nsec, n = fraction(b, n)
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, nsec, loc).UTC(), n, true
}

// parseEpoch parses 10-digit epoch seconds (optionally with a fraction) or
// 13-digit epoch milliseconds between 2001 and 2286, followed by a
// non-digit.
func parseEpoch(b []byte) (time.Time, int, bool) {
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	if n != 10 && n != 13 {
		return time.Time{}, 0, false
	}
	v, _ := digits(b, n)
	if n == 13 {
		if v < 1_000_000_000_000 {
			return time.Time{}, 0, false
		}
		return time.UnixMilli(int64(v)).UTC(), n, true
	}
	if v < 1_000_000_000 {
		return time.Time{}, 0, false
	}
	nsec := 0
	if n < len(b) && b[n] == '.' {
		n++
		start := n
		nsec, n = fraction(b, n)
		if n == start {
			n--
		}
	}
	return time.Unix(int64(v), int64(nsec)).UTC(), n, true
}

// parseAnyTime tries every layout a generic line may start with. Brackets
// around the time ("[2026-11-20 14:02:11]") are accepted.
func parseAnyTime(b []byte, loc *time.Location, ref time.Time) (time.Time, int, bool) {
	off := 0
	if len(b) > 0 && b[0] == '[' {
		off = 1
	}
	c := b[off:]
	if t, n, _, ok := parseISO(c, loc); ok {
		return t, closeBracket(b, off+n, off), true
	}
	if t, n, ok := parseSlash(c, loc); ok {
		return t, closeBracket(b, off+n, off), true
	}
	if t, n, ok := parseApache(c); ok {
		return t, closeBracket(b, off+n, off), true
	}
	if t, n, ok := parseSyslog(c, loc, ref); ok {
		return t, closeBracket(b, off+n, off), true
	}
	if t, n, ok := parseRedis(c, loc); ok {
		return t, closeBracket(b, off+n, off), true
	}
	if t, n, ok := parseEpoch(c); ok {
		return t, closeBracket(b, off+n, off), true
	}
	return time.Time{}, 0, false
}

func closeBracket(b []byte, n, open int) int {
	if open == 1 && n < len(b) && b[n] == ']' {
		return n + 1
	}
	return n
}

// fraction reads the digits of a fractional second at b[n:] (after its '.'
// or ','): the nanoseconds (digits past the ninth are read and dropped)
// and the index after the last digit.
func fraction(b []byte, n int) (nsec, end int) {
	scale := 100000000
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		if scale > 0 {
			nsec += int(b[n]-'0') * scale
			scale /= 10
		}
		n++
	}
	return nsec, n
}
