package idcheck

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// testToday is the fixed "today" of the table tests.
var testToday = time.Date(2026, time.March, 15, 23, 30, 0, 0, chinaTime)

// refIDCheckChar is an independent ISO 7064 MOD 11-2 reference: weight
// 2^(17-i) mod 11 and check value (12 - sum mod 11) mod 11, 10 written X.
func refIDCheckChar(first17 string) byte {
	sum, w := 0, 1
	for i := len(first17) - 1; i >= 0; i-- {
		w = w * 2 % 11
		sum += int(first17[i]-'0') * w
	}
	v := (12 - sum%11) % 11
	if v == 10 {
		return 'X'
	}
	return byte('0' + v)
}

// id builds an ID number from a 6-digit region, an 8-digit date and a
// 3-digit sequence, with the check character of the reference.
func id(region, date, seq string) string {
	s := region + date + seq
	return s + string(refIDCheckChar(s))
}

// replaceLast returns s with its last byte replaced by c.
func replaceLast(s string, c byte) string { return s[:len(s)-1] + string(c) }

// wrongCheck returns s with a wrong check character.
func wrongCheck(s string) string {
	if s[len(s)-1] == '0' {
		return replaceLast(s, '1')
	}
	return replaceLast(s, '0')
}

func TestIDNumberAt(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want error
	}{
		// The example of GB 11643-1999 itself.
		{"standard example with X", "11010519491231002X", nil},
		{"lowercase x", "11010519491231002x", nil},
		{"hand computed", "110105199001011232", nil},
		{"shanghai", id("310104", "19851120", "123"), nil},
		{"xinjiang", id("650102", "20010704", "004"), nil},
		{"hong kong", id("810000", "19800101", "005"), nil},
		{"taiwan residence permit", id("830000", "19990909", "006"), nil},
		{"lower bound 1900-01-01", id("110105", "19000101", "001"), nil},
		{"born today", id("110105", "20260315", "001"), nil},
		{"feb 29 leap year", id("110105", "20240229", "001"), nil},
		{"feb 29 year 2000", id("110105", "20000229", "001"), nil},

		{"empty", "", ErrFormat},
		{"17 digits", "11010519491231002", ErrFormat},
		{"19 characters", "11010519491231002X0", ErrFormat},
		{"15 digit first generation", "110105491231002", ErrFormat},
		{"letter in body", "1101051949123100AX", ErrFormat},
		{"X not last", "1101051949123100X2", ErrFormat},
		{"bad check letter", "11010519491231002Y", ErrFormat},
		{"leading space", " 1101051949123100X", ErrFormat},
		{"trailing space", "11010519491231002X ", ErrFormat},
		{"fullwidth digits", "１１０１０５１９４９１２３１００２Ｘ", ErrFormat},
		{"hyphens", "110105-19491231-002X", ErrFormat},

		{"region 00", id("000000", "19900101", "001"), ErrRegion},
		{"region 10", id("100000", "19900101", "001"), ErrRegion},
		{"region 16", id("160000", "19900101", "001"), ErrRegion},
		{"region 24", id("240000", "19900101", "001"), ErrRegion},
		{"region 38", id("380000", "19900101", "001"), ErrRegion},
		{"region 47", id("470000", "19900101", "001"), ErrRegion},
		{"region 55", id("550000", "19900101", "001"), ErrRegion},
		{"region 66", id("660000", "19900101", "001"), ErrRegion},
		{"region 72", id("720000", "19900101", "001"), ErrRegion},
		{"region 84", id("840000", "19900101", "001"), ErrRegion},
		{"region 91", id("910000", "19900101", "001"), ErrRegion},
		{"region 99", id("990000", "19900101", "001"), ErrRegion},

		{"month 00", id("110105", "19900001", "001"), ErrDate},
		{"month 13", id("110105", "19901301", "001"), ErrDate},
		{"day 00", id("110105", "19900100", "001"), ErrDate},
		{"day 32", id("110105", "19900132", "001"), ErrDate},
		{"april 31", id("110105", "19900431", "001"), ErrDate},
		{"feb 29 non-leap year", id("110105", "20230229", "001"), ErrDate},
		{"feb 29 1900 not leap", id("110105", "19000229", "001"), ErrDate},
		{"feb 30 leap year", id("110105", "20240230", "001"), ErrDate},
		{"before 1900", id("110105", "18991231", "001"), ErrDate},
		// The second example of GB 11643-1999, older than we accept.
		{"standard example 1880", "440524188001010014", ErrDate},
		{"tomorrow", id("110105", "20260316", "001"), ErrDate},
		{"far future", id("110105", "20990101", "001"), ErrDate},

		{"wrong check digit", wrongCheck("110105199001011232"), ErrCheckDigit},
		{"digit instead of X", "110105194912310020", ErrCheckDigit},
		{"X instead of digit", "11010519900101123X", ErrCheckDigit},
		{"swapped digits", "110105199001012132", ErrCheckDigit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := idNumberAt(tc.s, testToday)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("IDNumber(%q) = %v, want %v", tc.s, err, tc.want)
			}
			if err != nil && len(tc.s) >= 6 && strings.Contains(err.Error(), tc.s) {
				t.Errorf("IDNumber(%q) error %q contains the input", tc.s, err)
			}
		})
	}
}

func TestIDNumberSingleErrorsDetected(t *testing.T) {
	valid := []string{"11010519491231002X", "110105199001011232", id("440305", "20100808", "457")}
	for _, s := range valid {
		for i := 0; i < len(s); i++ {
			for _, c := range []byte("0123456789X") {
				if c == s[i] {
					continue
				}
				bad := s[:i] + string(c) + s[i+1:]
				if err := idNumberAt(bad, testToday); err == nil {
					t.Errorf("IDNumber(%q) = nil, want an error (changed position %d of %q)", bad, i+1, s)
				}
			}
		}
	}
}

func TestIDNumberCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		first17 string
		want    byte
		wantErr error
	}{
		{"standard example", "11010519491231002", 'X', nil},
		{"standard example 1880", "44052418800101001", '4', nil},
		{"hand computed", "11010519900101123", '2', nil},
		{"sum mod 11 is 0", "00000000000000000", '1', nil},
		{"region and date not checked", "99999999999999999", refIDCheckChar("99999999999999999"), nil},
		{"empty", "", 0, ErrFormat},
		{"16 digits", "1101051949123100", 0, ErrFormat},
		{"18 digits", "110105194912310020", 0, ErrFormat},
		{"letter", "1101051949123100X", 0, ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := IDNumberCheckChar(tc.first17)
			if got != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("IDNumberCheckChar(%q) = %q, %v, want %q, %v", tc.first17, got, err, tc.want, tc.wantErr)
			}
		})
	}
	// Every check value, against the reference.
	seen := map[byte]bool{}
	for n := 0; n < 200; n++ {
		first17 := "1101052000010100" + string(byte('0'+n%10))
		first17 = first17[:13] + string(byte('0'+n/10%10)) + first17[14:]
		got, err := IDNumberCheckChar(first17)
		if want := refIDCheckChar(first17); err != nil || got != want {
			t.Errorf("IDNumberCheckChar(%q) = %q, %v, want %q, nil", first17, got, err, want)
		}
		seen[got] = true
	}
	if len(seen) != 11 {
		t.Errorf("IDNumberCheckChar produced %d distinct check characters, want 11", len(seen))
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"unchanged", "11010519491231002X", "11010519491231002X"},
		{"lowercase x", "11010519491231002x", "11010519491231002X"},
		{"spaces", "  11010519491231002x\t\n", "11010519491231002X"},
		{"ideographic space", "\u300011010519491231002X\u3000", "11010519491231002X"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormalizeIDNumber(tc.s); got != tc.want {
				t.Errorf("NormalizeIDNumber(%q) = %q, want %q", tc.s, got, tc.want)
			}
		})
	}
}

func TestIDNumberBirthDateAndSex(t *testing.T) {
	tests := []struct {
		name     string
		s        string
		wantDate time.Time
		wantMale bool
		wantErr  error
	}{
		{"standard example, female", "11010519491231002X", time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC), false, nil},
		{"male", "110105199001011232", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), true, nil},
		{"feb 29", id("110105", "20000229", "018"), time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), false, nil},
		{"bad date", id("110105", "20230229", "001"), time.Time{}, false, ErrDate},
		{"bad check", "110105199001011233", time.Time{}, false, ErrCheckDigit},
		{"bad format", "abc", time.Time{}, false, ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			date, err := IDNumberBirthDate(tc.s)
			if !date.Equal(tc.wantDate) || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("IDNumberBirthDate(%q) = %v, %v, want %v, %v", tc.s, date, err, tc.wantDate, tc.wantErr)
			}
			male, err := IDNumberIsMale(tc.s)
			if male != tc.wantMale || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("IDNumberIsMale(%q) = %v, %v, want %v, %v", tc.s, male, err, tc.wantMale, tc.wantErr)
			}
		})
	}
}

func TestIDNumberUsesChinaDate(t *testing.T) {
	// 2026-03-15 20:00 UTC is already 2026-03-16 in China.
	now := time.Date(2026, 3, 15, 20, 0, 0, 0, time.UTC).In(chinaTime)
	s := id("110105", "20260316", "001")
	if err := idNumberAt(s, now); err != nil {
		t.Errorf("IDNumber(%q) at %v = %v, want nil", s, now, err)
	}
}

func FuzzIDNumber(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "110105199001011232",
		"440524188001010014", "110105194912310020", "", "X", "12345678901234567",
		"１１０１０５１９４９１２３１００２Ｘ", "\xff\xfe11010519491231002", "张三",
	} {
		f.Add(s)
	}
	today := time.Now().In(chinaTime)
	f.Fuzz(func(t *testing.T, s string) {
		err := idNumberAt(s, today)
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrRegion) &&
			!errors.Is(err, ErrDate) && !errors.Is(err, ErrCheckDigit) {
			t.Fatalf("IDNumber(%q) = %v, not a sentinel error", s, err)
		}
		if err == nil {
			if len(s) != 18 {
				t.Fatalf("IDNumber(%q) = nil for length %d", s, len(s))
			}
			c, err := IDNumberCheckChar(s[:17])
			if err != nil || c != NormalizeIDNumber(s)[17] || c != refIDCheckChar(s[:17]) {
				t.Fatalf("IDNumberCheckChar(%q) = %q, %v, want %q", s[:17], c, err, s[17])
			}
			if n := NormalizeIDNumber(s); idNumberAt(n, today) != nil {
				t.Fatalf("IDNumber(NormalizeIDNumber(%q)) = %v, want nil", s, idNumberAt(n, today))
			}
			if _, err := IDNumberBirthDate(s); err != nil {
				t.Fatalf("IDNumberBirthDate(%q) = %v, want nil error", s, err)
			}
			if _, err := IDNumberIsMale(s); err != nil {
				t.Fatalf("IDNumberIsMale(%q) = %v, want nil error", s, err)
			}
		}
		// Completing any 17 digits with their check character leaves only
		// region and date errors.
		if len(s) >= 17 && allDigits(s[:17]) {
			c, err := IDNumberCheckChar(s[:17])
			if err != nil {
				t.Fatalf("IDNumberCheckChar(%q) = %v", s[:17], err)
			}
			full := s[:17] + string(c)
			if err := idNumberAt(full, today); errors.Is(err, ErrFormat) || errors.Is(err, ErrCheckDigit) {
				t.Fatalf("IDNumber(%q) = %v, want nil, ErrRegion or ErrDate", full, err)
			}
		}
		checkMaskInvariants(t, s)
	})
}

// checkMaskInvariants checks the Mask functions on any input: the result
// has as many runes as s, the runes shown are those of s, and all others are
// '*'.
func checkMaskInvariants(t *testing.T, s string) {
	r := []rune(s)
	n := len(r)
	check := func(name string, m string, head, tail int) {
		t.Helper()
		mr := []rune(m)
		if len(mr) != n {
			t.Fatalf("%s(%q) = %q, has %d runes, want %d", name, s, m, len(mr), n)
		}
		if head+tail >= n {
			head, tail = 0, 0
		}
		for i := range mr {
			if shown := i < head || i >= n-tail; shown && mr[i] != r[i] || !shown && mr[i] != '*' {
				t.Fatalf("%s(%q) = %q, want %d runes shown at the start and %d at the end, stars between", name, s, m, head, tail)
			}
		}
	}
	if n == 18 {
		check("MaskIDNumber", MaskIDNumber(s), 3, 4)
	} else {
		check("MaskIDNumber", MaskIDNumber(s), 0, 0)
	}
	if n >= 8 {
		check("MaskPhone", MaskPhone(s), 3, 4)
	} else {
		check("MaskPhone", MaskPhone(s), 0, 0)
	}
	check("MaskName", MaskName(s), 1, 0)
}
