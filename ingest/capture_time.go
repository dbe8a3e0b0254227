package ingest

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Times of saved command outputs: a `date` line printed above an output
// (in any of the layouts date prints), nvidia-smi's own header time, and
// the stamp in a file name such as nvidia-smi-20261120T140512Z.txt.

// zoneOffsets are the zone abbreviations `date` prints that are not
// ambiguous. Others (IST, CST outside the US ...) are read in --tz.
var zoneOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MET": 1, "MEST": 2,
	"EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
	"PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}

var dayNames = map[string]bool{"Mon": true, "Tue": true, "Wed": true, "Thu": true, "Fri": true, "Sat": true, "Sun": true}

// dateLayouts are the layouts of `date` (C, en_US and en_GB locales),
// ctime (nvidia-smi's header), and RFC 2822 (date -R), with the zone
// abbreviation taken out first.
var dateLayouts = []string{
	"Mon Jan _2 15:04:05 2006",
	"Mon _2 Jan 2006 03:04:05 PM",
	"Mon _2 Jan 2006 15:04:05",
	"Mon _2 Jan 15:04:05 2006",
	"Mon Jan _2 03:04:05 PM 2006",
	"Mon, _2 Jan 2006 15:04:05 -0700",
	"Mon _2 Jan 2006 15:04:05 -0700",
	"Mon Jan _2 2006 15:04:05",
}

var epochLine = regexp.MustCompile(`^[0-9]{10}$`)

// parseDateLine parses a whole line as the output of `date` (any common
// layout, ISO 8601 from date -Is/-Ins, RFC 2822 from date -R, epoch
// seconds from date +%s). Zone-less times are in loc.
func parseDateLine(b []byte, loc *time.Location) (time.Time, bool) {
	s := strings.TrimSpace(string(b))
	if len(s) < 10 || len(s) > 64 {
		return time.Time{}, false
	}
	if epochLine.MatchString(s) {
		v, _ := strconv.ParseInt(s, 10, 64)
		if v < minEpoch || v > maxEpoch {
			return time.Time{}, false
		}
		return time.Unix(v, 0).UTC(), true
	}
	if s[0] >= '0' && s[0] <= '9' {
		iso := strings.Replace(s, ",", ".", 1) // date -Ins writes a comma
		t, n, _, ok := parseISO([]byte(iso), loc)
		if !ok {
			return time.Time{}, false
		}
		rest := strings.TrimSpace(iso[n:])
		if rest == "" {
			return t, true
		}
		if off, known := zoneOffsets[rest]; known {
			// "2026-11-20 14:05:12 CET": re-read in that zone
			t2, _, _, _ := parseISO([]byte(iso[:n]), time.FixedZone(rest, off*3600))
			return t2, true
		}
		return time.Time{}, false
	}
	f := strings.Fields(s)
	if len(f) < 4 || !dayNames[strings.TrimSuffix(f[0], ",")] {
		return time.Time{}, false
	}
	zone := loc
	var kept []string
	for _, w := range f {
		if off, ok := zoneOffsets[w]; ok {
			zone = time.FixedZone(w, off*3600)
			continue
		}
		if isZoneWord(w) {
			continue // an abbreviation we cannot place: read in loc
		}
		kept = append(kept, w)
	}
	v := strings.Join(kept, " ")
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, v, zone); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// isZoneWord reports whether w looks like a zone abbreviation.
func isZoneWord(w string) bool {
	if len(w) < 2 || len(w) > 5 || w == "AM" || w == "PM" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return true
}

var nameStamp = regexp.MustCompile(`(20[0-9]{2})-?([01][0-9])-?([0-3][0-9])[T_\- ]?([0-2][0-9])[:\-]?([0-5][0-9])[:\-]?([0-5][0-9])(Z|z|[+\-][0-9]{2}:?[0-9]{2})?`)

// nameTime finds a time stamp in a file name: 20261120T140512Z,
// 2026-11-20T14-05-12Z, 2026-11-20_14:05:12, 20261120-140512. Stamps
// without a zone are in loc.
func nameTime(path string, loc *time.Location) (time.Time, bool) {
	m := nameStamp.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return time.Time{}, false
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	zone := loc
	switch z := m[7]; {
	case z == "Z" || z == "z":
		zone = time.UTC
	case z != "":
		z = strings.ReplaceAll(z, ":", "")
		off := (n(z[1:3])*60 + n(z[3:5])) * 60
		if z[0] == '-' {
			off = -off
		}
		zone = time.FixedZone("", off)
	}
	mo, d, h, mi, sec := n(m[2]), n(m[3]), n(m[4]), n(m[5]), n(m[6])
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 {
		return time.Time{}, false
	}
	return time.Date(n(m[1]), time.Month(mo), d, h, mi, sec, 0, zone).UTC(), true
}

// parseSmiTime parses nvidia-smi's CSV timestamp "2026/11/20 14:05:12.345"
// (local time of the host: loc).
func parseSmiTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	t, n, ok := parseSlash([]byte(s), loc)
	if !ok || n != len(s) {
		return time.Time{}, false
	}
	return t, true
}
