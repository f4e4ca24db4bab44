package license

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tongban/tongban/internal/ledger"
)

// Format names the version of the canonical document.
const Format = "tongban-license/1"

// SignedFormat names the version of the signed file.
const SignedFormat = "tongban-license-signed/1"

// Document is the canonical, signed form of a license. Its canonical JSON
// is what encoding/json writes for it: the keys in this (lexicographic)
// order, every key present, no insignificant whitespace, field values
// sorted by name, and strings escaped as encoding/json escapes them (", \,
// control characters, <, > and &, U+2028 and U+2029 as \u escapes).
type Document struct {
	Department     string            `json:"department"`
	DepartmentName string            `json:"department_name"`
	Fields         map[string]string `json:"fields"`
	Format         string            `json:"format"`
	HolderKey      string            `json:"holder_key"`
	HolderKind     HolderKind        `json:"holder_kind"`
	HolderName     string            `json:"holder_name"`
	ID             string            `json:"id"`
	// IssuedAt is RFC 3339 UTC with millisecond precision.
	IssuedAt   string `json:"issued_at"`
	Number     string `json:"number"`
	Type       string `json:"type"`
	TypeName   string `json:"type_name"`
	ValidFrom  string `json:"valid_from"`
	ValidUntil string `json:"valid_until"`
}

// Canonical returns the document's canonical JSON.
func (d *Document) Canonical() ([]byte, error) {
	if d.Fields == nil {
		d.Fields = map[string]string{}
	}
	return json.Marshal(d)
}

// Signature is one signature of a signed license.
type Signature struct {
	// Alg is "ed25519" or "sm2-sm3".
	Alg string `json:"alg"`
	// Key names the verifying key: the key name and its 8-hex-digit key
	// hash, "name+hash", as in the published verifier keys.
	Key string `json:"key"`
	// Sig is the base64 (standard, padded) signature over the canonical
	// document: Ed25519 (RFC 8032), or SM2 with SM3 and the default user
	// ID "1234567812345678" in ASN.1 DER (GB/T 32918.2).
	Sig string `json:"sig"`
}

// Signed is the downloadable signed license.
type Signed struct {
	Format     string          `json:"format"`
	License    json.RawMessage `json:"license"`
	Signatures []Signature     `json:"signatures"`
}

// Keyring holds each issuing department's signing keys: a key file
// <dir>/<DEPARTMENT>.key per department, in the ledger's key file format
// (an Ed25519 and an SM2 private note key, named <prefix>/license/<code>),
// read when first needed and created with new keys when missing. An
// operator puts key files there to use keys made elsewhere.
type Keyring struct {
	dir, prefix string
	mu          sync.Mutex
	keys        map[string]*ledger.Keys
}

// NewKeyring returns a keyring over dir; prefix starts every key's name
// (the platform's host, say), so keys of different platforms differ.
func NewKeyring(dir, prefix string) *Keyring {
	prefix = strings.Trim(strings.Map(func(r rune) rune {
		if r == '+' || r == ' ' || r == '\t' || r == '\n' {
			return -1
		}
		return r
	}, prefix), "/")
	if prefix == "" {
		prefix = "tongban"
	}
	return &Keyring{dir: dir, prefix: prefix, keys: map[string]*ledger.Keys{}}
}

// Keys returns the keys of department dept, creating them at first use.
func (k *Keyring) Keys(dept string) (*ledger.Keys, error) {
	if !deptRE.MatchString(dept) {
		return nil, fmt.Errorf("license: keys: bad department code %q", dept)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if keys, ok := k.keys[dept]; ok {
		return keys, nil
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return nil, fmt.Errorf("license: keys: %w", err)
	}
	keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(k.dir, dept+".key"), k.prefix+"/license/"+dept)
	if err != nil {
		return nil, fmt.Errorf("license: keys of %s: %w", dept, err)
	}
	k.keys[dept] = keys
	return keys, nil
}

// retiredFile lists the public halves of a department's earlier keys.
func (k *Keyring) retiredFile(dept string) string { return filepath.Join(k.dir, dept+".retired") }

// Retired returns the verifier keys of a department's retired keys (the
// file <dir>/<DEPARTMENT>.retired, one a line), which still verify the
// licenses they signed.
func (k *Keyring) Retired(dept string) ([]string, error) {
	if !deptRE.MatchString(dept) {
		return nil, fmt.Errorf("license: keys: bad department code %q", dept)
	}
	b, err := os.ReadFile(k.retiredFile(dept))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("license: retired keys: %w", err)
	}
	return strings.Fields(string(b)), nil
}

// Rotate retires a department's keys: their public halves are added to
// the department's retired keys (licenses they signed stay genuine), the
// key file is renamed <DEPARTMENT>.key.retired-<unix time>, and the next
// signature creates new keys. Every node must get the same files and be
// restarted.
func (k *Keyring) Rotate(dept string, now time.Time) error {
	keys, err := k.Keys(dept)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	f, err := os.OpenFile(k.retiredFile(dept), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("license: rotate: %w", err)
	}
	if _, err := f.WriteString(keys.Ed25519Verifier + "\n" + keys.SM2Verifier + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("license: rotate: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("license: rotate: %w", err)
	}
	path := filepath.Join(k.dir, dept+".key")
	if err := os.Rename(path, fmt.Sprintf("%s.retired-%d", path, now.Unix())); err != nil {
		return fmt.Errorf("license: rotate: %w", err)
	}
	delete(k.keys, dept)
	return nil
}

// keyID is a verifier key's "name+hash" part (names hold no '+'; the
// base64 key after the hash may).
func keyID(vkey string) string {
	name, rest, _ := strings.Cut(vkey, "+")
	hash, _, _ := strings.Cut(rest, "+")
	return name + "+" + hash
}

// sign signs a canonical document with both of dept's keys.
func (k *Keyring) sign(dept string, canonical []byte) (ed, sm string, keys *ledger.Keys, err error) {
	keys, err = k.Keys(dept)
	if err != nil {
		return "", "", nil, err
	}
	a, err := keys.Ed25519.Sign(canonical)
	if err != nil {
		return "", "", nil, fmt.Errorf("license: sign: %w", err)
	}
	b, err := keys.SM2.Sign(canonical)
	if err != nil {
		return "", "", nil, fmt.Errorf("license: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(a), base64.StdEncoding.EncodeToString(b), keys, nil
}

// PublicKey is one department's published verifier keys, in the
// golang.org/x/mod/sumdb/note verifier key form "name+hash+base64": the
// Ed25519 one as note.NewVerifier reads it, the SM2 one as the ledger's
// (docs/ledger.md).
type PublicKey struct {
	Department     string `json:"department_code"`
	DepartmentName string `json:"department_name"`
	Ed25519        string `json:"ed25519"`
	SM2            string `json:"sm2"`
	// Retired are the department's earlier verifier keys, Ed25519 and
	// SM2, which verify the licenses signed before a rotation.
	Retired []string `json:"retired,omitempty"`
}

// Verifiers makes note verifiers of published keys.
func Verifiers(keys []PublicKey) (note.Verifiers, error) {
	var list []note.Verifier
	for _, k := range keys {
		if k.Ed25519 != "" {
			ed, err := note.NewVerifier(k.Ed25519)
			if err != nil {
				return nil, fmt.Errorf("license: key of %s: %w", k.Department, err)
			}
			list = append(list, ed)
		}
		if k.SM2 != "" {
			sm, err := ledger.NewSM2Verifier(k.SM2)
			if err != nil {
				return nil, fmt.Errorf("license: SM2 key of %s: %w", k.Department, err)
			}
			list = append(list, sm)
		}
		for _, r := range k.Retired {
			v, err := verifier(r)
			if err != nil {
				return nil, fmt.Errorf("license: retired key of %s: %w", k.Department, err)
			}
			list = append(list, v)
		}
	}
	return note.VerifierList(list...), nil
}

// verifier parses an Ed25519 or SM2 verifier key.
func verifier(vkey string) (note.Verifier, error) {
	if v, err := note.NewVerifier(vkey); err == nil {
		return v, nil
	}
	return ledger.NewSM2Verifier(vkey)
}

// Problems of a signed license, as message keys.
const (
	ProblemMalformed  = "malformed"     // not a signed license at all
	ProblemUnknownKey = "unknown_key"   // signed by no published key
	ProblemSignature  = "bad_signature" // a signature does not verify: altered or forged
	ProblemUnsigned   = "unsigned"      // no Ed25519 signature
)

// ErrSigned is a signed license that does not verify; Problem says why.
type ErrSigned struct{ Problem string }

func (e *ErrSigned) Error() string { return "license: signed license: " + e.Problem }

// ParseSigned reads a signed license file, strictly: its document may
// carry no unknown keys.
func ParseSigned(raw []byte) (*Signed, *Document, []byte, error) {
	var s Signed
	if err := json.Unmarshal(raw, &s); err != nil || s.Format != SignedFormat || len(s.License) == 0 {
		return nil, nil, nil, &ErrSigned{ProblemMalformed}
	}
	dec := json.NewDecoder(bytes.NewReader(s.License))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil || d.Format != Format || d.ID == "" || d.Department == "" {
		return nil, nil, nil, &ErrSigned{ProblemMalformed}
	}
	canonical, err := d.Canonical()
	if err != nil {
		return nil, nil, nil, &ErrSigned{ProblemMalformed}
	}
	return &s, &d, canonical, nil
}

// VerifySigned checks a signed license offline against published keys:
// it must carry an Ed25519 signature by a known key, and every signature
// it carries by a known key must verify over the canonical document. It
// returns the document and the algorithms that verified.
func VerifySigned(raw []byte, known note.Verifiers) (*Document, []string, error) {
	s, d, canonical, err := ParseSigned(raw)
	if err != nil {
		return nil, nil, err
	}
	var ok []string
	haveEd := false
	for _, sig := range s.Signatures {
		name, hash, found := strings.Cut(sig.Key, "+")
		var h uint32
		if !found || len(hash) != 8 {
			return d, nil, &ErrSigned{ProblemMalformed}
		}
		if _, err := fmt.Sscanf(hash, "%08x", &h); err != nil {
			return d, nil, &ErrSigned{ProblemMalformed}
		}
		v, err := known.Verifier(name, h)
		if err != nil {
			continue
		}
		// The key must be the issuing department's own.
		if !strings.HasSuffix(name, "/license/"+d.Department) {
			return d, nil, &ErrSigned{ProblemUnknownKey}
		}
		b, err := base64.StdEncoding.DecodeString(sig.Sig)
		if err != nil || !v.Verify(canonical, b) {
			return d, nil, &ErrSigned{ProblemSignature}
		}
		ok = append(ok, sig.Alg)
		if sig.Alg == "ed25519" {
			haveEd = true
		}
	}
	if len(ok) == 0 {
		return d, nil, &ErrSigned{ProblemUnknownKey}
	}
	if !haveEd {
		return d, ok, &ErrSigned{ProblemUnsigned}
	}
	return d, ok, nil
}
