// Package idcheck validates and masks Chinese identifiers used on the
// Tongban platform.
//
// It covers:
//
//   - the 18-character citizen identification number (公民身份号码) of the
//     resident identity card (居民身份证), defined by GB 11643-1999, whose
//     first two digits are a province-level code of GB/T 2260 and whose
//     check character uses ISO 7064 MOD 11-2;
//   - the 18-character unified social credit code (统一社会信用代码) of
//     legal persons and other organizations, defined by GB 32100-2015;
//   - mainland mobile, fixed-line and public-service telephone numbers.
//
// Validators do not normalize their input: callers pass user input through
// [NormalizeIDNumber] or [NormalizeCreditCode] first. Every error returned
// is, or wraps, one of the sentinel errors below, so callers test it with
// [errors.Is]. Error messages never contain the validated value, so they are
// safe to log.
//
// The Mask functions hide personal data for display and logs.
package idcheck

import "errors"

var (
	// ErrFormat reports a value of the wrong length or with characters that
	// are not allowed at their position.
	ErrFormat = errors.New("idcheck: invalid format")

	// ErrCheckDigit reports a value whose check character does not match the
	// one computed from the preceding characters.
	ErrCheckDigit = errors.New("idcheck: check character mismatch")

	// ErrDate reports an ID number whose birth date is not a real calendar
	// date, is before 1900-01-01, or is in the future.
	ErrDate = errors.New("idcheck: invalid birth date")

	// ErrRegion reports an ID number whose first two digits are not a
	// province-level administrative division code.
	ErrRegion = errors.New("idcheck: invalid region code")
)

// isDigit reports whether c is an ASCII decimal digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// allDigits reports whether s is non-empty and made only of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
