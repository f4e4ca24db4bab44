package idcheck

import (
	"fmt"
	"strings"
)

// Phone validates a mainland China mobile number: 11 digits starting with 1
// and a second digit from 3 to 9, such as "13812345678". It accepts no
// country code, spaces or separators and returns [ErrFormat] otherwise.
func Phone(s string) error {
	if !isMobile(s) {
		return fmt.Errorf("%w: not an 11-digit mobile number", ErrFormat)
	}
	return nil
}

// ContactPhone validates a contact number: a mobile number as accepted by
// [Phone]; a fixed-line number with its area code, such as "010-12345678" or
// "0571-87654321", where the hyphen after the area code may be omitted and a
// "-" and an extension of 1 to 6 digits may follow; or a 5-digit public
// service number beginning with 10, 11, 12, 95 or 96, such as "12345" or
// "12315". It returns [ErrFormat] otherwise.
func ContactPhone(s string) error {
	if !isMobile(s) && !isFixedLine(s) && !isServiceNumber(s) {
		return fmt.Errorf("%w: not a mobile, fixed-line or service number", ErrFormat)
	}
	return nil
}

// isMobile reports whether s is 1[3-9] followed by 9 digits.
func isMobile(s string) bool {
	return len(s) == 11 && allDigits(s) && s[0] == '1' && s[1] >= '3'
}

// isFixedLine reports whether s is an area code, an optional "-", a local
// number of 7 or 8 digits not starting with 0, and an optional "-" with
// an extension of 1 to 6 digits. Area codes are 010 and 02X (three digits) or
// 0 followed by 3-9 and two more digits (four digits), so they can be told
// apart without a separator.
func isFixedLine(s string) bool {
	var n int
	switch {
	case len(s) < 4 || s[0] != '0':
		return false
	case s[1] == '1' && s[2] == '0', s[1] == '2' && isDigit(s[2]):
		n = 3
	case s[1] >= '3' && s[1] <= '9' && isDigit(s[2]) && isDigit(s[3]):
		n = 4
	default:
		return false
	}
	rest := strings.TrimPrefix(s[n:], "-")
	local, ext, hasExt := strings.Cut(rest, "-")
	if len(local) < 7 || len(local) > 8 || !allDigits(local) || local[0] == '0' {
		return false
	}
	return !hasExt || (len(ext) <= 6 && allDigits(ext))
}

// isServiceNumber reports whether s is a 5-digit public service number
// (10xxx, 11xxx, 12xxx, 95xxx, 96xxx), such as the 12345 government hotline.
func isServiceNumber(s string) bool {
	if len(s) != 5 || !allDigits(s) {
		return false
	}
	switch s[:2] {
	case "10", "11", "12", "95", "96":
		return true
	}
	return false
}
