package cli

import (
	"crypto/rand"
	"encoding/base64"
)

// randomPassword returns an unguessable password for accounts nobody signs
// in with (the "system" actor of command-line tools).
func randomPassword() string {
	var b [24]byte
	rand.Read(b[:])
	return "s1" + base64.RawURLEncoding.EncodeToString(b[:])
}
