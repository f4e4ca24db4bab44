package idcheck

import (
	"fmt"
	"strings"
	"time"
)

// idLen is the length of a citizen identification number.
const idLen = 18

// idWeights are the ISO 7064 MOD 11-2 weights (2^(17-i) mod 11) of the first
// 17 digits of a citizen identification number.
var idWeights = [idLen - 1]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps (weighted sum mod 11) to the check character.
const idCheckChars = "10X98765432"

// provinces marks the valid first two digits of an ID number: the
// province-level codes of GB/T 2260 (71 Taiwan, 81 Hong Kong, 82 Macao), plus
// 83, which the residence permits of Taiwan residents (台湾居民居住证) use in
// the same number format.
var provinces = func() (p [100]bool) {
	for _, c := range []int{
		11, 12, 13, 14, 15, // 北京 天津 河北 山西 内蒙古
		21, 22, 23, // 辽宁 吉林 黑龙江
		31, 32, 33, 34, 35, 36, 37, // 上海 江苏 浙江 安徽 福建 江西 山东
		41, 42, 43, 44, 45, 46, // 河南 湖北 湖南 广东 广西 海南
		50, 51, 52, 53, 54, // 重庆 四川 贵州 云南 西藏
		61, 62, 63, 64, 65, // 陕西 甘肃 青海 宁夏 新疆
		71, 81, 82, 83, // 台湾 香港 澳门, 台湾居民居住证
	} {
		p[c] = true
	}
	return p
}()

// chinaTime is China Standard Time, in which "today" is evaluated.
var chinaTime = time.FixedZone("CST", 8*60*60)

// IDNumber validates an 18-character citizen identification number of GB
// 11643-1999: 17 digits followed by a check character, a digit or 'X'
// (lowercase 'x' is accepted too). The first two digits must be a
// province-level code (else [ErrRegion]), digits 7-14 a birth date YYYYMMDD
// between 1900-01-01 and today in China Standard Time (else [ErrDate]), and
// the check character must match (else [ErrCheckDigit]). Anything else
// malformed is [ErrFormat]. The input is not trimmed; see [NormalizeIDNumber].
func IDNumber(s string) error {
	return idNumberAt(s, time.Now().In(chinaTime))
}

// idNumberAt is [IDNumber] with the current date given by today's year,
// month and day in its own location.
func idNumberAt(s string, today time.Time) error {
	if err := idFormat(s); err != nil {
		return err
	}
	if !provinces[int(s[0]-'0')*10+int(s[1]-'0')] {
		return fmt.Errorf("%w: first two digits are not a province-level code", ErrRegion)
	}
	y, m, d, ok := idDate(s)
	if !ok {
		return fmt.Errorf("%w: digits 7-14 are not a calendar date", ErrDate)
	}
	ty, tm, td := today.Date()
	if n, t := y*10000+m*100+d, ty*10000+int(tm)*100+td; n < 19000101 || n > t {
		return fmt.Errorf("%w: birth date is before 1900-01-01 or in the future", ErrDate)
	}
	c := s[idLen-1]
	if c == 'x' {
		c = 'X'
	}
	if c != idCheckChar(s[:idLen-1]) {
		return fmt.Errorf("%w: ID number check character", ErrCheckDigit)
	}
	return nil
}

// idFormat checks the length and character set of an ID number.
func idFormat(s string) error {
	if len(s) != idLen {
		return fmt.Errorf("%w: ID number has %d bytes, want %d", ErrFormat, len(s), idLen)
	}
	if !allDigits(s[:idLen-1]) {
		return fmt.Errorf("%w: ID number must start with 17 digits", ErrFormat)
	}
	if c := s[idLen-1]; !isDigit(c) && c != 'X' && c != 'x' {
		return fmt.Errorf("%w: ID number must end with a digit or X", ErrFormat)
	}
	return nil
}

// idDate parses the birth date of an ID number whose format is valid and
// reports whether it is a real calendar date.
func idDate(s string) (y, m, d int, ok bool) {
	num := func(i, j int) (n int) {
		for _, c := range []byte(s[i:j]) {
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, m, d = num(6, 10), num(10, 12), num(12, 14)
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// daysIn returns the number of days of month m of the Gregorian year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// idCheckChar computes the check character of 17 ASCII digits.
func idCheckChar(first17 string) byte {
	sum := 0
	for i, w := range idWeights {
		sum += int(first17[i]-'0') * w
	}
	return idCheckChars[sum%11]
}

// IDNumberCheckChar computes the ISO 7064 MOD 11-2 check character ('0'-'9'
// or 'X') of the first 17 digits of an ID number. It returns [ErrFormat] if
// first17 is not exactly 17 ASCII digits; region and date are not checked.
func IDNumberCheckChar(first17 string) (byte, error) {
	if len(first17) != idLen-1 || !allDigits(first17) {
		return 0, fmt.Errorf("%w: want 17 digits", ErrFormat)
	}
	return idCheckChar(first17), nil
}

// NormalizeIDNumber trims leading and trailing white space from s and
// uppercases the check character 'x'.
func NormalizeIDNumber(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "x", "X")
}

// IDNumberBirthDate returns the birth date of a valid ID number, at midnight
// UTC. It returns the error of [IDNumber] if s is not valid.
func IDNumberBirthDate(s string) (time.Time, error) {
	if err := IDNumber(s); err != nil {
		return time.Time{}, err
	}
	y, m, d, _ := idDate(s)
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// IDNumberIsMale reports whether a valid ID number belongs to a man: its
// 17th digit is odd for men and even for women. It returns the error of
// [IDNumber] if s is not valid.
func IDNumberIsMale(s string) (bool, error) {
	if err := IDNumber(s); err != nil {
		return false, err
	}
	return (s[16]-'0')%2 == 1, nil
}
