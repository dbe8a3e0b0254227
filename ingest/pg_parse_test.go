package ingest

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// sameFloat reports whether parseFloat reads s as strconv.ParseFloat
// does: the same bits (so -0 and 0 differ) and the same verdict.
func sameFloat(t *testing.T, s string) {
	t.Helper()
	got, ok := parseFloat([]byte(s))
	want, err := strconv.ParseFloat(s, 64)
	if ok != (err == nil) {
		t.Errorf("%q: ok %v, strconv error %v", s, ok, err)
		return
	}
	if ok && math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
		t.Errorf("%q: %v (%#x), strconv %v (%#x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
	}
}

// TestParseFloatExact checks the exact paths of parseFloat (Clinger's
// division, the integer division of divPow10) against strconv on values
// that take each path, on rounding ties, and on forms left to strconv.
func TestParseFloatExact(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "+0", "0.0", "-0.000", "00000000000000000000000000", "1", "-1", "+1.5", "5.", ".5", "-.5", "+.5",
		"0.1", "0.2", "0.3", "123.456", "0.004", "0.9", "0.01", "0.002",
		"12.340000000000002", "3.1415926535897931", "2.718281828459045", "0.30000000000000004",
		"9007199254740992", "9007199254740993", "9007199254740995", "18446744073709551615",
		"9999999999999999999", "10000000000000000000", "99999999999999999999",
		"9007199254740993.0", "9007199254740993.00", "9007199254740995.0", "4503599627370496.5", "4503599627370497.5",
		"1.7976931348623157", "0.0000000000000000000000000001", "0.000000000000000000000000001",
		"1234567890.123456789", "0.1234567890123456789", "0.12345678901234567891", "999999999.9999999999",
		"1e-05", "1.5e+20", "-2.5E-3", "1e400", "-1e400", "1e-400", "4.9e-324",
		"NaN", "nan", "Infinity", "-Infinity", "+Inf", "inf",
		"", ".", "-", "+", "-.", "1.2.3", "abc", "1,5", "1_000", "0x10", " 1", "1 ", "--1", "1-", "١",
	} {
		sameFloat(t, s)
	}
}

// TestParseFloatRandom compares parseFloat with strconv on many decimals
// of 1 to 21 digits with the dot anywhere, and on ties between floats.
func TestParseFloatRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	n := 200000
	if testing.Short() {
		n = 20000
	}
	for i := 0; i < n; i++ {
		nd := 1 + rng.IntN(21)
		var sb strings.Builder
		if rng.IntN(4) == 0 {
			sb.WriteByte('-')
		}
		dot := rng.IntN(nd + 1)
		for j := 0; j < nd; j++ {
			if j == dot {
				sb.WriteByte('.')
			}
			sb.WriteByte(byte('0' + rng.IntN(10)))
		}
		sameFloat(t, sb.String())
		// the shortest form of a random float, as PostgreSQL prints it
		f := math.Float64frombits(rng.Uint64())
		sameFloat(t, strconv.FormatFloat(f, 'f', -1, 64))
		sameFloat(t, strconv.FormatFloat(rng.Float64()*math.Pow(10, float64(rng.IntN(12))), 'f', -1, 64))
		// a midpoint between two floats above 2^53 (an odd integer),
		// with zeros after the dot so divPow10 meets the tie
		m := uint64(1)<<53 + uint64(rng.Int64N(1<<53)) | 1
		sameFloat(t, strconv.FormatUint(m, 10)+"."+strings.Repeat("0", 1+rng.IntN(2)))
		// a midpoint between two floats in [2^52, 2^53): x.5
		h := uint64(1)<<52 + uint64(rng.Int64N(1<<52))
		sameFloat(t, strconv.FormatUint(h, 10)+".5")
	}
}

// TestParseInt64 checks parseInt64 against strconv.ParseInt.
func TestParseInt64(t *testing.T) {
	cases := []string{"0", "-0", "+0", "1", "-1", "007", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "+9223372036854775807", "9999999999999999999",
		"18446744073709551615", "00000000000000000000001", "-00000000000000000000001", "2016430188875705988",
		"", "-", "+", "1.0", "1e3", "1_000", " 1", "1 ", "--1", "abc", "12345678901234567890123"}
	rng := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 10000; i++ {
		cases = append(cases, strconv.FormatInt(int64(rng.Uint64())>>rng.IntN(64), 10))
	}
	for _, s := range cases {
		got, ok := parseInt64([]byte(s))
		want, err := strconv.ParseInt(s, 10, 64)
		if ok != (err == nil) || (ok && got != want) {
			t.Errorf("%q: %d %v, strconv %d %v", s, got, ok, want, err)
		}
	}
}

// FuzzParseFloat compares parseFloat with strconv on any text.
func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"0", "-0", "12.340000000000002", "9007199254740993.0", "1e-05", "NaN", ".", "0.0000000000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameFloat(t, s)
	})
}

// TestTrimCell checks the word-at-a-time padding trim against
// bytes.Trim on cells of every length up to 80 with padding on either
// side, text with inner spaces, and no text at all.
func TestTrimCell(t *testing.T) {
	for _, text := range []string{"", "0", "x y", "12345678", "SELECT  1 ", "é", "a\tb"} {
		for lead := 0; lead < 40; lead++ {
			for trail := 0; trail < 40; trail++ {
				cell := []byte(strings.Repeat(" ", lead) + text + strings.Repeat(" ", trail))
				for _, left := range []bool{false, true} {
					want := bytes.TrimRight(cell, " ")
					if left {
						want = bytes.TrimLeft(want, " ")
					}
					if got := trimCell(cell, left); !bytes.Equal(got, want) {
						t.Fatalf("trimCell(%q, %v) = %q, want %q", cell, left, got, want)
					}
				}
			}
		}
	}
}

// TestIsASCII puts one non-ASCII byte at every place of lines of every
// length up to 100, so each step of isASCII (32, 8 and 1 bytes) meets it.
func TestIsASCII(t *testing.T) {
	for n := 0; n <= 100; n++ {
		b := bytes.Repeat([]byte("a|+ "), 25)[:n]
		if !isASCII(b) {
			t.Fatalf("%d ASCII bytes read as non-ASCII", n)
		}
		for i := 0; i < n; i++ {
			c := append([]byte(nil), b...)
			c[i] = 0x80 | byte(i)
			if isASCII(c) {
				t.Fatalf("byte %#x at %d of %d not seen", c[i], i, n)
			}
		}
	}
}
