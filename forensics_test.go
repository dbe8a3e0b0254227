package forensics

import (
	"testing"
	"time"
)

func TestTimeRange(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	w := TimeRange{Since: t0, Until: t0.Add(time.Hour)}
	tests := []struct {
		t    time.Time
		want bool
	}{
		{t0, true}, {t0.Add(-time.Nanosecond), false}, {t0.Add(time.Hour), false}, {t0.Add(59 * time.Minute), true}, {time.Time{}, false},
	}
	for _, tt := range tests {
		if got := w.Contains(tt.t); got != tt.want {
			t.Errorf("Contains(%v) = %v", tt.t, got)
		}
	}
	if !(TimeRange{}).Contains(time.Time{}) {
		t.Error("open range must contain records without time")
	}
	if !(TimeRange{}).Covers(w) || w.Covers(TimeRange{}) || !w.Covers(w) || w.Covers(TimeRange{Since: t0, Until: t0.Add(2 * time.Hour)}) {
		t.Error("Covers")
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"warn": LevelWarning, "FATAL": LevelCritical, "Error": LevelError, "info": LevelInfo, "debug": LevelDebug, "LOG": LevelInfo} {
		if got, ok := ParseLevel(in); !ok || got != want {
			t.Errorf("%s: %v %v", in, got, ok)
		}
	}
	if _, ok := ParseLevel("banana"); ok {
		t.Error("banana is a level")
	}
}

func TestFirstLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"first\nsecond", 10, "first"},
		{"abcdefghij", 10, "abcdefghij"},
		{"abcdefghijk", 10, "abcdefghi…"},
		{"ошибка базы данных", 6, "ошибк…"}, // never cuts inside a rune
		{"查询超时了查询超时了", 10, "查询超时了查询超时了"},    // 10 runes, 30 bytes: fits
		{"查询超时了查询超时了!", 10, "查询超时了查询超时…"},
		{"", 5, ""},
	} {
		if got := FirstLine(tc.in, tc.n); got != tc.want {
			t.Errorf("FirstLine(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
