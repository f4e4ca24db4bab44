package idcheck

import (
	"errors"
	"strings"
	"testing"
)

// publishedCreditCodes are genuine, publicly published credit codes. Each
// also passes the GB 11714 check of its embedded organization code.
var publishedCreditCodes = []string{
	"91350100M000100Y43",
	"91110000802100433B", // 北京百度网讯科技有限公司
	"914403001922038216", // 华为技术有限公司
	"9144030071526726XG", // 深圳市腾讯计算机系统有限公司
	"91330100716105852F", // 阿里巴巴（中国）有限公司
}

// refCreditCheckChar is an independent reference for the GB 32100-2015 check
// character: weight 3^i mod 31 and check value (31 - sum mod 31) mod 31.
func refCreditCheckChar(first17 string) byte {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(alphabet, first17[i]) * w
		w = w * 3 % 31
	}
	return alphabet[(31-sum%31)%31]
}

// credit completes 17 characters with the reference check character.
func credit(first17 string) string { return first17 + string(refCreditCheckChar(first17)) }

func TestCreditCode(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want error
	}{
		{"published 1", publishedCreditCodes[0], nil},
		{"published baidu", publishedCreditCodes[1], nil},
		{"published huawei", publishedCreditCodes[2], nil},
		{"published tencent", publishedCreditCodes[3], nil},
		{"published alibaba", publishedCreditCodes[4], nil},
		{"check char 0", "91110108MA00000070", nil}, // sum mod 31 == 0
		{"authority 1", credit("11110000000000000"), nil},
		{"authority 5", credit("51330100MJ0000000"), nil},
		{"authority A", credit("A1100000000000000"), nil},
		{"authority N", credit("N2330100MA0000000"), nil},
		{"authority Y", credit("Y1110000000000000"), nil},
		{"individual business", credit("92330106MA2AAAAAA"), nil},

		{"empty", "", ErrFormat},
		{"17 characters", "91110000802100433", ErrFormat},
		{"19 characters", "91110000802100433B0", ErrFormat},
		{"lowercase", "91110000802100433b", ErrFormat},
		{"letter I", credit("91110000I02100433"), ErrFormat},
		{"letter O", credit("91110000O02100433"), ErrFormat},
		{"letter Z", credit("91110000Z02100433"), ErrFormat},
		{"letter S", credit("91110000S02100433"), ErrFormat},
		{"letter V", credit("91110000V02100433"), ErrFormat},
		{"check char Z", "91110000802100433Z", ErrFormat},
		{"hyphen", "9111000080210043-B", ErrFormat},
		{"space", " 91110000802100433B", ErrFormat},
		{"fullwidth", "９１１１０００００８０２１００４３３Ｂ", ErrFormat},
		{"authority 0", credit("01110000802100433"), ErrFormat},
		{"authority B", credit("B1110000802100433"), ErrFormat},
		{"letter in division", credit("9111A000802100433"), ErrFormat},

		{"wrong check char", "91110000802100433C", ErrCheckDigit},
		{"digit instead of letter", "911100008021004330", ErrCheckDigit},
		{"swapped characters", "91110000820100433B", ErrCheckDigit},
		{"not a genuine code", "911100001000013412", ErrCheckDigit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CreditCode(tc.s)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("CreditCode(%q) = %v, want %v", tc.s, err, tc.want)
			}
		})
	}
}

func TestCreditCodeSingleErrorsDetected(t *testing.T) {
	for _, s := range publishedCreditCodes {
		for i := 0; i < len(s); i++ {
			for _, c := range []byte(creditAlphabet) {
				if c == s[i] {
					continue
				}
				bad := s[:i] + string(c) + s[i+1:]
				if err := CreditCode(bad); err == nil {
					t.Errorf("CreditCode(%q) = nil, want an error (changed position %d of %q)", bad, i+1, s)
				}
			}
		}
		for i := 0; i+1 < len(s); i++ {
			if s[i] == s[i+1] {
				continue
			}
			bad := s[:i] + s[i+1:i+2] + s[i:i+1] + s[i+2:]
			if err := CreditCode(bad); err == nil {
				t.Errorf("CreditCode(%q) = nil, want an error (swapped positions %d and %d of %q)", bad, i+1, i+2, s)
			}
		}
	}
}

func TestCreditCodeCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		first17 string
		want    byte
		wantErr error
	}{
		{"baidu", "91110000802100433", 'B', nil},
		{"huawei", "91440300192203821", '6', nil},
		{"tencent", "9144030071526726X", 'G', nil},
		{"value 0", "91110108MA0000007", '0', nil},
		{"all zero", "00000000000000000", '0', nil},
		{"other rules not checked", "0A000000000000000", refCreditCheckChar("0A000000000000000"), nil},
		{"empty", "", 0, ErrFormat},
		{"16 characters", "9111000080210043", 0, ErrFormat},
		{"18 characters", "91110000802100433B", 0, ErrFormat},
		{"lowercase", "9144030071526726x", 0, ErrFormat},
		{"letter I", "9111000080210043I", 0, ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CreditCodeCheckChar(tc.first17)
			if got != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("CreditCodeCheckChar(%q) = %q, %v, want %q, %v", tc.first17, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestNormalizeCreditCode(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"unchanged", "91110000802100433B", "91110000802100433B"},
		{"lowercase", "9144030071526726xg", "9144030071526726XG"},
		{"spaces", " \t91110000802100433b\n", "91110000802100433B"},
		{"non-ASCII untouched", "ſı", "ſı"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormalizeCreditCode(tc.s); got != tc.want {
				t.Errorf("NormalizeCreditCode(%q) = %q, want %q", tc.s, got, tc.want)
			}
		})
	}
}

func FuzzCreditCode(f *testing.F) {
	for _, s := range publishedCreditCodes {
		f.Add(s)
	}
	for _, s := range []string{"", "911100001000013412", "91110000802100433b", "ZZZZZZZZZZZZZZZZZZ", "９１１１０００００８０２１００４３３Ｂ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CreditCode(s)
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheckDigit) {
			t.Fatalf("CreditCode(%q) = %v, want nil, ErrFormat or ErrCheckDigit", s, err)
		}
		if err == nil {
			c, err := CreditCodeCheckChar(s[:17])
			if err != nil || c != s[17] || c != refCreditCheckChar(s[:17]) {
				t.Fatalf("CreditCodeCheckChar(%q) = %q, %v, want %q", s[:17], c, err, s[17])
			}
			if n := NormalizeCreditCode(s); n != s {
				t.Fatalf("NormalizeCreditCode(%q) = %q, want it unchanged", s, n)
			}
		}
		if n := NormalizeCreditCode(s); CreditCode(n) == nil && len(n) != 18 {
			t.Fatalf("CreditCode(%q) = nil for length %d", n, len(n))
		}
		// Completing any 17 allowed characters with their check character
		// leaves only format errors of the other positions.
		if len(s) >= 17 {
			if c, err := CreditCodeCheckChar(s[:17]); err == nil {
				full := s[:17] + string(c)
				if err := CreditCode(full); errors.Is(err, ErrCheckDigit) {
					t.Fatalf("CreditCode(%q) = %v", full, err)
				}
			}
		}
	})
}
