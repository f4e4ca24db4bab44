package ledger

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"golang.org/x/mod/sumdb/note"
)

// SM2 signature lines use the signed-note signature type 0xff (types without
// an assigned byte) followed by this identifier, so the key ID is
// SHA-256(key name || 0x0A || 0xff || "sm2-sm3" || 65-byte uncompressed
// public key)[:4]. The signature is the ASN.1 DER SM2 signature
// (GB/T 32918.2) over the note text with the default user ID
// "1234567812345678".
const sm2Alg = "\xffsm2-sm3"

// Keys are a log's signing keys: Ed25519 (required by c2sp.org/tlog-tiles
// for public logs) and SM2 (national cryptography). Both are named with the
// log's origin.
type Keys struct {
	Ed25519 note.Signer
	SM2     note.Signer
	// Ed25519Verifier and SM2Verifier are the public halves, as note
	// verifier keys ("name+hash+base64").
	Ed25519Verifier string
	SM2Verifier     string
}

// Origin is the log's name: the checkpoint's origin line and the keys'
// name.
func (k *Keys) Origin() string { return k.Ed25519.Name() }

// Verifiers returns both public keys as note verifiers.
func (k *Keys) Verifiers() (note.Verifiers, error) {
	ed, err := note.NewVerifier(k.Ed25519Verifier)
	if err != nil {
		return nil, err
	}
	sm, err := NewSM2Verifier(k.SM2Verifier)
	if err != nil {
		return nil, err
	}
	return note.VerifierList(ed, sm), nil
}

// GenerateKeys makes a new pair of keys named origin and returns them with
// their text form for a key file: two private note keys, one a line.
func GenerateKeys(origin string) (*Keys, []byte, error) {
	edPriv, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: key: %w", err)
	}
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: key: %w", err)
	}
	d := make([]byte, 32)
	priv.D.FillBytes(d)
	pub := sm2PublicBytes(&priv.PublicKey)
	smPriv := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", origin, sm2KeyHash(origin, pub), base64.StdEncoding.EncodeToString(append([]byte(sm2Alg), d...)))
	text := []byte(edPriv + "\n" + smPriv + "\n")
	k, err := ParseKeys(text)
	return k, text, err
}

// ParseKeys reads a key file: an Ed25519 private note key
// ("PRIVATE+KEY+name+hash+base64", as golang.org/x/mod/sumdb/note writes
// them) and an SM2 one in the same form, one a line, with the same name.
func ParseKeys(text []byte) (*Keys, error) {
	k := &Keys{}
	for line := range strings.Lines(string(text)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if s, err := note.NewSigner(line); err == nil {
			if k.Ed25519 != nil {
				return nil, errors.New("ledger: key file has two Ed25519 keys")
			}
			k.Ed25519 = s
			vkey, err := ed25519VerifierKey(line)
			if err != nil {
				return nil, err
			}
			k.Ed25519Verifier = vkey
			continue
		}
		s, err := newSM2Signer(line)
		if err != nil {
			return nil, errors.New("ledger: key file: a line is neither an Ed25519 nor an SM2 private key")
		}
		if k.SM2 != nil {
			return nil, errors.New("ledger: key file has two SM2 keys")
		}
		k.SM2 = s
	}
	if k.Ed25519 == nil || k.SM2 == nil {
		return nil, errors.New("ledger: key file needs an Ed25519 and an SM2 private key")
	}
	if k.Ed25519.Name() != k.SM2.Name() {
		return nil, fmt.Errorf("ledger: key file: the keys are named %q and %q; want one name, the log's origin", k.Ed25519.Name(), k.SM2.Name())
	}
	k.SM2Verifier = k.SM2.(*sm2Signer).verifierKey()
	return k, nil
}

// LoadOrCreateKeys reads the key file at path, creating it with new keys
// named origin (mode 0600) when it does not exist yet.
func LoadOrCreateKeys(path, origin string) (*Keys, bool, error) {
	text, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseKeys(text)
		return k, false, err
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("ledger: key file: %w", err)
	}
	k, text, err := GenerateKeys(origin)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("ledger: key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("ledger: key file: %w", err)
	}
	if _, err := f.Write(text); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("ledger: key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("ledger: key file: %w", err)
	}
	return k, true, nil
}

// ed25519VerifierKey derives the verifier key from an Ed25519 private note
// key (note signers do not expose their public key).
func ed25519VerifierKey(skey string) (string, error) {
	name, _, key, err := splitKey(strings.TrimPrefix(skey, "PRIVATE+KEY+"))
	if err != nil || len(key) != 1+ed25519.SeedSize {
		return "", errors.New("ledger: malformed Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(name, pub)
}

func sm2PublicBytes(pub *ecdsa.PublicKey) []byte {
	return elliptic.Marshal(sm2.P256(), pub.X, pub.Y) //nolint:staticcheck // the SEC 1 uncompressed point
}

func sm2KeyHash(name string, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write([]byte(sm2Alg))
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// splitKey cuts "name+hash+base64" into its parts.
func splitKey(s string) (name string, hash uint32, key []byte, err error) {
	name, s, _ = strings.Cut(s, "+")
	hash16, key64, _ := strings.Cut(s, "+")
	h, err1 := strconv.ParseUint(hash16, 16, 32)
	key, err2 := base64.StdEncoding.DecodeString(key64)
	if name == "" || strings.ContainsAny(name, " \t\n") || len(hash16) != 8 || err1 != nil || err2 != nil {
		return "", 0, nil, errors.New("ledger: malformed key")
	}
	return name, uint32(h), key, nil
}

type sm2Signer struct {
	name string
	hash uint32
	priv *sm2.PrivateKey
}

func newSM2Signer(line string) (*sm2Signer, error) {
	rest, ok := strings.CutPrefix(line, "PRIVATE+KEY+")
	if !ok {
		return nil, errors.New("ledger: not a private key")
	}
	name, hash, key, err := splitKey(rest)
	if err != nil {
		return nil, err
	}
	d, ok := strings.CutPrefix(string(key), sm2Alg)
	if !ok || len(d) != 32 {
		return nil, errors.New("ledger: not an SM2 key")
	}
	priv := &sm2.PrivateKey{}
	priv.Curve = sm2.P256()
	priv.D = new(big.Int).SetBytes([]byte(d))
	priv.X, priv.Y = priv.Curve.ScalarBaseMult([]byte(d)) //nolint:staticcheck // deriving the public point once
	if sm2KeyHash(name, sm2PublicBytes(&priv.PublicKey)) != hash {
		return nil, errors.New("ledger: SM2 key hash does not match the key")
	}
	return &sm2Signer{name: name, hash: hash, priv: priv}, nil
}

func (s *sm2Signer) Name() string    { return s.name }
func (s *sm2Signer) KeyHash() uint32 { return s.hash }
func (s *sm2Signer) Sign(msg []byte) ([]byte, error) {
	return s.priv.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
}

func (s *sm2Signer) verifierKey() string {
	pub := append([]byte(sm2Alg), sm2PublicBytes(&s.priv.PublicKey)...)
	return fmt.Sprintf("%s+%08x+%s", s.name, s.hash, base64.StdEncoding.EncodeToString(pub))
}

type sm2Verifier struct {
	name string
	hash uint32
	pub  *ecdsa.PublicKey
}

// NewSM2Verifier parses an SM2 verifier key "name+hash+base64(0xff ||
// "sm2-sm3" || uncompressed point)" into a note verifier.
func NewSM2Verifier(vkey string) (note.Verifier, error) {
	name, hash, key, err := splitKey(vkey)
	if err != nil {
		return nil, err
	}
	pt, ok := strings.CutPrefix(string(key), sm2Alg)
	if !ok {
		return nil, errors.New("ledger: not an SM2 verifier key")
	}
	x, y := elliptic.Unmarshal(sm2.P256(), []byte(pt)) //nolint:staticcheck // the SEC 1 uncompressed point
	if x == nil {
		return nil, errors.New("ledger: SM2 verifier key: bad point")
	}
	if sm2KeyHash(name, []byte(pt)) != hash {
		return nil, errors.New("ledger: SM2 verifier key hash does not match the key")
	}
	return &sm2Verifier{name: name, hash: hash, pub: &ecdsa.PublicKey{Curve: sm2.P256(), X: x, Y: y}}, nil
}

func (v *sm2Verifier) Name() string    { return v.name }
func (v *sm2Verifier) KeyHash() uint32 { return v.hash }
func (v *sm2Verifier) Verify(msg, sig []byte) bool {
	return sm2.VerifyASN1WithSM2(v.pub, nil, msg, sig)
}
