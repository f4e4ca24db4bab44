package identity

import (
	"errors"
	"strings"
	"testing"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	tests := []struct {
		name, pw, wrong string
	}{
		{"ascii", "correct horse 1", "correct horse 2"},
		{"case matters", "Passw0rd", "passw0rd"},
		{"chinese", "通办密码2024", "通办密码2025"},
		{"empty", "", " "},
		{"prefix is not enough", "abcd1234", "abcd123"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := HashPassword(tc.pw)
			if err != nil {
				t.Fatalf("HashPassword(%q): %v", tc.pw, err)
			}
			if !strings.HasPrefix(h, "$argon2id$") {
				t.Errorf("HashPassword(%q) = %q, want prefix $argon2id$", tc.pw, h)
			}
			if strings.Contains(h, tc.pw) && tc.pw != "" {
				t.Errorf("HashPassword(%q) = %q contains the password", tc.pw, h)
			}
			if !CheckPassword(h, tc.pw) {
				t.Errorf("CheckPassword(hash, %q) = false, want true", tc.pw)
			}
			if CheckPassword(h, tc.wrong) {
				t.Errorf("CheckPassword(hash of %q, %q) = true, want false", tc.pw, tc.wrong)
			}
		})
	}
}

func TestHashPasswordSalted(t *testing.T) {
	const pw = "same password 1"
	h1, err1 := HashPassword(pw)
	h2, err2 := HashPassword(pw)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Fatalf("two hashes of the same password are equal: %q", h1)
	}
	salt := func(h string) string { return strings.Split(h, "$")[4] }
	if salt(h1) == salt(h2) {
		t.Errorf("two hashes share the salt %q", salt(h1))
	}
	if !CheckPassword(h1, pw) || !CheckPassword(h2, pw) {
		t.Errorf("CheckPassword of either hash = false, want true")
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	const pw = "correct horse 1"
	good, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..,t=..,p=.., salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	// flip changes the last character of the key to another valid base64
	// character.
	key := parts[5]
	flipped := key[:len(key)-2] + string("AB"[boolInt(key[len(key)-2] == 'A')]) + key[len(key)-1:]

	tests := []struct {
		name, hash string
	}{
		{"empty", ""},
		{"plain text", pw},
		{"dollars only", "$$$$$"},
		{"too few parts", strings.Join(parts[:5], "$")},
		{"too many parts", good + "$extra"},
		{"argon2i", with(1, "argon2i")},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"params garbage", with(3, "garbage")},
		{"params empty", with(3, "")},
		{"threads overflow", with(3, "m=19456,t=2,p=300")},
		{"salt not base64", with(4, "!!!")},
		{"key not base64", with(5, "***")},
		{"key empty", with(5, "")},
		{"key changed", with(5, flipped)},
		{"salt changed", with(4, "AAAAAAAAAAAAAAAAAAAAAA")},
		{"other memory", with(3, "m=8192,t=2,p=1")},
		{"zero passes", with(3, "m=19456,t=0,p=1")},
		{"zero threads", with(3, "m=19456,t=2,p=0")},
		{"absurd memory", with(3, "m=4294967295,t=2,p=1")},
		{"absurd passes", with(3, "m=19456,t=4294967295,p=1")},
		{"wrong version", with(2, "v=16")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("CheckPassword(%q) panicked: %v", tc.hash, r)
				}
			}()
			if CheckPassword(tc.hash, pw) {
				t.Errorf("CheckPassword(%q, right password) = true, want false", tc.hash)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"letters and digits", "abcd1234", true},
		{"mixed with symbols", "P@ssw0rd!", true},
		{"seven characters", "abc1234", false},
		{"empty", "", false},
		{"letters only", "abcdefghij", false},
		{"digits only", "1234567890", false},
		{"symbols and digits", "!@#$%^&*1", false},
		{"spaces and digits", "        1", false},
		{"chinese letters count as letters", "通办政务服务平台1", true},
		{"length in characters, not bytes", "通办服务1", false}, // 5 runes, 13 bytes
		{"eight runes multibyte", "通办政务服务平1", true},
		{"128 characters", strings.Repeat("a", 127) + "1", true},
		{"129 characters", strings.Repeat("a", 128) + "1", false},
		{"128 multibyte characters", strings.Repeat("密", 127) + "1", true},
		{"129 multibyte characters", strings.Repeat("密", 128) + "1", false},
		{"full-width digit counts as digit", "abcdefg１", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkPasswordPolicy(tc.pw)
			if (err == nil) != tc.ok {
				t.Errorf("checkPasswordPolicy(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
			}
			if err != nil && !errors.Is(err, errWeakPassword) {
				t.Errorf("checkPasswordPolicy(%q) = %v, want errWeakPassword", tc.pw, err)
			}
		})
	}
}
