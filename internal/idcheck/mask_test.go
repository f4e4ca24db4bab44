package idcheck

import "testing"

func TestMaskIDNumber(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"18 digits", "110105199001011234", "110***********1234"},
		{"check X", "11010519491231002X", "110***********002X"},
		{"18 characters, not valid", "abcdefghijklmnopqr", "abc***********opqr"},
		{"18 runes", "一二三四五六七八九十一二三四五六七八", "一二三***********五六七八"},
		{"15 digits", "110105491231002", "***************"},
		{"17 digits", "11010519491231002", "*****************"},
		{"19 characters", " 11010519491231002X", "*******************"},
		{"short", "1234", "****"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaskIDNumber(tc.s); got != tc.want {
				t.Errorf("MaskIDNumber(%q) = %q, want %q", tc.s, got, tc.want)
			}
			checkMaskInvariants(t, tc.s)
		})
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"mobile", "13812345678", "138****5678"},
		{"fixed line", "010-12345678", "010*****5678"},
		{"country code", "+8613812345678", "+86*******5678"},
		{"8 digits", "87654321", "876*4321"},
		{"7 digits", "8765432", "*******"},
		{"hotline", "12345", "*****"},
		{"fullwidth", "１３８１２３４５６７８", "１３８****５６７８"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaskPhone(tc.s); got != tc.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", tc.s, got, tc.want)
			}
			checkMaskInvariants(t, tc.s)
		})
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"two characters", "张三", "张*"},
		{"three characters", "王小明", "王**"},
		{"compound surname", "欧阳娜娜", "欧***"},
		{"with middle dot", "阿卜杜·热合曼", "阿******"},
		{"one character", "张", "*"},
		{"latin", "Li Lei", "L*****"},
		{"invalid UTF-8", "\xff张", "\uFFFD*"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaskName(tc.s); got != tc.want {
				t.Errorf("MaskName(%q) = %q, want %q", tc.s, got, tc.want)
			}
			checkMaskInvariants(t, tc.s)
		})
	}
}
