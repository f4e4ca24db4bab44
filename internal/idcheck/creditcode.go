package idcheck

import (
	"fmt"
	"strings"
)

// creditLen is the length of a unified social credit code.
const creditLen = 18

// creditAlphabet lists the characters of a credit code in the order of their
// values 0..30: digits and uppercase letters except I, O, S, V and Z.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are the weights (3^i mod 31) of the first 17 characters.
var creditWeights = [creditLen - 1]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditAuthorities lists the registration authority codes (登记管理部门码),
// the first character of a credit code.
const creditAuthorities = "123456789ANY"

// CreditCode validates an 18-character unified social credit code of GB
// 32100-2015. Every character must be in the code's alphabet (digits and
// uppercase letters except I, O, S, V, Z), the first one a registration
// authority code (1-9, A, N or Y), characters 3-8 an administrative division
// code of six digits, else it returns [ErrFormat]; the check character (the
// 18th) must match, else [ErrCheckDigit]. Lowercase input is rejected; see
// [NormalizeCreditCode]. The organization code in characters 9-17 is not
// checked on its own.
func CreditCode(s string) error {
	if len(s) != creditLen {
		return fmt.Errorf("%w: credit code has %d bytes, want %d", ErrFormat, len(s), creditLen)
	}
	for i := 0; i < creditLen; i++ {
		if strings.IndexByte(creditAlphabet, s[i]) < 0 {
			return fmt.Errorf("%w: credit code character %d is not allowed", ErrFormat, i+1)
		}
	}
	if strings.IndexByte(creditAuthorities, s[0]) < 0 {
		return fmt.Errorf("%w: credit code character 1 is not a registration authority code", ErrFormat)
	}
	if !allDigits(s[2:8]) {
		return fmt.Errorf("%w: credit code characters 3-8 must be digits", ErrFormat)
	}
	if creditCheckChar(s[:creditLen-1]) != s[creditLen-1] {
		return fmt.Errorf("%w: credit code check character", ErrCheckDigit)
	}
	return nil
}

// creditCheckChar computes the check character of 17 characters of
// creditAlphabet.
func creditCheckChar(first17 string) byte {
	sum := 0
	for i, w := range creditWeights {
		sum += strings.IndexByte(creditAlphabet, first17[i]) * w
	}
	return creditAlphabet[(31-sum%31)%31]
}

// CreditCodeCheckChar computes the check character of the first 17
// characters of a credit code. It returns [ErrFormat] if first17 is not 17
// characters of the credit code alphabet; the other rules of [CreditCode]
// are not checked.
func CreditCodeCheckChar(first17 string) (byte, error) {
	if len(first17) != creditLen-1 {
		return 0, fmt.Errorf("%w: want 17 characters", ErrFormat)
	}
	for i := 0; i < len(first17); i++ {
		if strings.IndexByte(creditAlphabet, first17[i]) < 0 {
			return 0, fmt.Errorf("%w: credit code character %d is not allowed", ErrFormat, i+1)
		}
	}
	return creditCheckChar(first17), nil
}

// NormalizeCreditCode trims leading and trailing white space from s and
// uppercases its ASCII letters.
func NormalizeCreditCode(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, strings.TrimSpace(s))
}
