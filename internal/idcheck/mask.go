package idcheck

import (
	"strings"
	"unicode/utf8"
)

// MaskIDNumber hides the middle of an ID number for display: an 18-character
// value keeps its first 3 and last 4 characters, as in
// "110***********1234"; any other value is replaced by as many '*' as it has
// characters. The result always has as many characters (runes) as s.
func MaskIDNumber(s string) string {
	if utf8.RuneCountInString(s) == idLen {
		return maskMiddle(s, 3, 4)
	}
	return strings.Repeat("*", utf8.RuneCountInString(s))
}

// MaskPhone hides the middle of a telephone number for display: a value of
// at least 8 characters keeps its first 3 and last 4, as in "138****5678";
// a shorter one is replaced by as many '*' as it has characters. The result
// always has as many characters (runes) as s.
func MaskPhone(s string) string {
	if utf8.RuneCountInString(s) >= 8 {
		return maskMiddle(s, 3, 4)
	}
	return strings.Repeat("*", utf8.RuneCountInString(s))
}

// MaskName hides a person's name for display, keeping only its first
// character (the family name, for most Chinese names): "张三" becomes "张*"
// and "欧阳娜娜" becomes "欧***". A one-character name becomes "*". The result
// always has as many characters (runes) as s.
func MaskName(s string) string {
	if utf8.RuneCountInString(s) <= 1 {
		return strings.Repeat("*", utf8.RuneCountInString(s))
	}
	return maskMiddle(s, 1, 0)
}

// maskMiddle keeps the first head and last tail runes of s, which has more
// than head+tail runes, and replaces the others with '*'. Invalid UTF-8
// bytes count as one rune each and become U+FFFD if kept.
func maskMiddle(s string, head, tail int) string {
	r := []rune(s)
	for i := head; i < len(r)-tail; i++ {
		r[i] = '*'
	}
	return string(r)
}
