package idcheck

import (
	"errors"
	"testing"
)

func TestPhone(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want error
	}{
		{"138", "13812345678", nil},
		{"145", "14512345678", nil},
		{"166", "16612345678", nil},
		{"199", "19912345678", nil},
		{"second digit 2", "12812345678", ErrFormat},
		{"second digit 0", "10012345678", ErrFormat},
		{"not starting with 1", "23812345678", ErrFormat},
		{"10 digits", "1381234567", ErrFormat},
		{"12 digits", "138123456789", ErrFormat},
		{"country code", "+8613812345678", ErrFormat},
		{"spaces", "138 1234 5678", ErrFormat},
		{"hyphens", "138-1234-5678", ErrFormat},
		{"fullwidth", "１３８１２３４５６７８", ErrFormat},
		{"fixed line", "010-12345678", ErrFormat},
		{"hotline", "12345", ErrFormat},
		{"empty", "", ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Phone(tc.s)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Phone(%q) = %v, want %v", tc.s, err, tc.want)
			}
		})
	}
}

func TestContactPhone(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want error
	}{
		{"mobile", "13812345678", nil},
		{"beijing", "010-12345678", nil},
		{"beijing no hyphen", "01062345678", nil},
		{"guangzhou", "020-87654321", nil},
		{"shenzhen extension", "0755-86013388-123", nil},
		{"hangzhou", "0571-87654321", nil},
		{"hangzhou no hyphen", "057187654321", nil},
		{"7-digit local", "0931-8765432", nil},
		{"extension 1 digit", "0571-87654321-1", nil},
		{"extension 6 digits", "0571-87654321-123456", nil},
		{"government hotline", "12345", nil},
		{"consumer hotline", "12315", nil},
		{"railway", "12306", nil},
		{"carrier", "10086", nil},
		{"post", "11185", nil},
		{"bank", "95588", nil},

		{"empty", "", ErrFormat},
		{"bad mobile", "12812345678", ErrFormat},
		{"no area code", "87654321", ErrFormat},
		{"area code 00", "00-12345678", ErrFormat},
		{"area code 011", "011-12345678", ErrFormat},
		{"area code 000", "000-12345678", ErrFormat},
		{"area code only", "0571", ErrFormat},
		{"area code and hyphen", "0571-", ErrFormat},
		{"local 6 digits", "0571-876543", ErrFormat},
		{"local 9 digits", "0571-876543210", ErrFormat},
		{"local starts with 0", "0571-07654321", ErrFormat},
		{"double hyphen", "0571--87654321", ErrFormat},
		{"empty extension", "0571-87654321-", ErrFormat},
		{"extension 7 digits", "0571-87654321-1234567", ErrFormat},
		{"letter in extension", "0571-87654321-12a", ErrFormat},
		{"parentheses", "(0571)87654321", ErrFormat},
		{"spaces", "0571 87654321", ErrFormat},
		{"3-digit emergency", "110", ErrFormat},
		{"4 digits", "1234", ErrFormat},
		{"6 digits", "123456", ErrFormat},
		{"5 digits starting 13", "13800", ErrFormat},
		{"400 number", "400-123-4567", ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ContactPhone(tc.s)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("ContactPhone(%q) = %v, want %v", tc.s, err, tc.want)
			}
		})
	}
}
