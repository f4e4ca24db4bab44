// Package witness implements a transparency log witness per
// c2sp.org/tlog-witness, and the client a log uses to ask witnesses for
// cosignatures.
//
// A witness keeps, for each log it knows (by origin and verifier keys), the
// latest checkpoint it cosigned. It cosigns a new checkpoint only when a
// consistency proof (RFC 6962, section 2.1.2) shows that it extends that
// one; a checkpoint that does not is refused and logged at ERROR, since it
// is evidence that the log forked or rewrote its history. Cosignatures
// follow c2sp.org/tlog-cosignature (cosignature/v1, timestamped Ed25519).
package witness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/ledger"
)

// algCosignatureV1 is the signed-note signature type of Ed25519
// cosignature/v1 keys (c2sp.org/tlog-cosignature).
const algCosignatureV1 = 0x04

// maxProof is the most consistency proof lines a request may carry.
const maxProof = 63

// Errors of [Witness.AddCheckpoint]. Each maps to the HTTP status
// c2sp.org/tlog-witness gives it.
var (
	// ErrUnknownLog: the checkpoint's origin is not a log this witness
	// knows (404).
	ErrUnknownLog = errors.New("witness: unknown log")
	// ErrBadSignature: no signature verifies against the log's keys (403).
	ErrBadSignature = errors.New("witness: no valid signature from the log's keys")
	// ErrMalformed: the request cannot be parsed, or the old size is larger
	// than the checkpoint's (400).
	ErrMalformed = errors.New("witness: malformed request")
	// ErrInconsistent: the consistency proof does not show the checkpoint
	// extends the one cosigned before (422).
	ErrInconsistent = errors.New("witness: checkpoint is not consistent with the latest cosigned one")
)

// ConflictError is the 409 answer: the old size is not the size of the
// latest checkpoint the witness cosigned for the log, or it is but the
// root hash differs (a fork). Size is that latest cosigned size.
type ConflictError struct {
	Size int64
	// Fork is true when the sizes match and the roots do not.
	Fork bool
}

func (e *ConflictError) Error() string {
	if e.Fork {
		return fmt.Sprintf("witness: a different root for size %d was cosigned before", e.Size)
	}
	return fmt.Sprintf("witness: the latest cosigned size is %d", e.Size)
}

// Store keeps the latest cosigned checkpoint of each log. [FileStore] is
// the one implementation; tests may keep state in memory.
type Store interface {
	// Latest returns the latest cosigned checkpoint (a signed note) for
	// origin, or nil if there is none.
	Latest(origin string) ([]byte, error)
	// Save records checkpoint as the latest for origin, durably, before it
	// returns.
	Save(origin string, checkpoint []byte) error
}

// Witness cosigns checkpoints of the logs it knows.
type Witness struct {
	// Signer makes the cosignatures (see [NewSigner]).
	Signer note.Signer
	// Logs are the known logs' verifier keys, by origin.
	Logs  map[string]note.Verifiers
	Store Store
	Log   *slog.Logger

	// mu makes checking the old size and saving the new checkpoint one
	// step, as the spec requires.
	mu sync.Mutex
}

// Request is a parsed add-checkpoint request body.
type Request struct {
	Old        int64
	Proof      tlog.TreeProof
	Checkpoint []byte
}

// ParseRequest reads an add-checkpoint body: "old N", up to 63 base64
// hashes, an empty line, and the signed checkpoint.
func ParseRequest(body []byte) (*Request, error) {
	r := &Request{}
	rest := body
	line, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no old size line", ErrMalformed)
	}
	n, ok := strings.CutPrefix(string(line), "old ")
	if !ok {
		return nil, fmt.Errorf("%w: first line must be \"old N\"", ErrMalformed)
	}
	old, err := parseSize(n)
	if err != nil {
		return nil, err
	}
	r.Old = old
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return nil, fmt.Errorf("%w: no empty line before the checkpoint", ErrMalformed)
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == maxProof {
			return nil, fmt.Errorf("%w: more than %d proof lines", ErrMalformed, maxProof)
		}
		h, err := base64.StdEncoding.DecodeString(string(line))
		if err != nil || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("%w: proof line is not a base64 hash", ErrMalformed)
		}
		r.Proof = append(r.Proof, tlog.Hash(h))
	}
	r.Checkpoint = rest
	return r, nil
}

// Body formats an add-checkpoint request body.
func (r *Request) Body() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", r.Old)
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// parseSize reads an ASCII decimal without leading zeros.
func parseSize(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%w: size %q", ErrMalformed, s)
	}
	return n, nil
}

// AddCheckpoint checks req against the latest checkpoint cosigned for its
// log, records it and returns the witness's cosignature lines.
func (w *Witness) AddCheckpoint(ctx context.Context, req *Request) ([]byte, error) {
	origin, _, _ := strings.Cut(string(req.Checkpoint), "\n")
	known, ok := w.Logs[origin]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLog, origin)
	}
	n, err := note.Open(req.Checkpoint, known)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	_, tree, err := ledger.ParseCheckpoint(n.Text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if req.Old > tree.N {
		return nil, fmt.Errorf("%w: old size %d is larger than the checkpoint's %d", ErrMalformed, req.Old, tree.N)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	prev, err := w.Store.Latest(origin)
	if err != nil {
		return nil, err
	}
	var seen ledger.Tree
	if prev != nil {
		pn, err := note.Open(prev, known)
		if err != nil {
			// The stored state was written by this witness; if it no
			// longer verifies, the log's keys changed under it.
			return nil, fmt.Errorf("witness: stored checkpoint of %s no longer verifies: %w", origin, err)
		}
		if _, seen, err = ledger.ParseCheckpoint(pn.Text); err != nil {
			return nil, err
		}
	}
	if req.Old != seen.N {
		w.Log.Warn("witness: old size does not match the latest cosigned checkpoint", "origin", origin, "old", req.Old, "latest", seen.N)
		return nil, &ConflictError{Size: seen.N}
	}
	switch {
	case req.Old == tree.N:
		if prev != nil && tree.Hash != seen.Hash {
			w.refuse(origin, seen, tree, prev, req.Checkpoint, "same size, different root hash")
			return nil, &ConflictError{Size: seen.N, Fork: true}
		}
	case req.Old == 0:
		if len(req.Proof) != 0 {
			return nil, fmt.Errorf("%w: the proof must be empty when the old size is zero", ErrInconsistent)
		}
	default:
		if err := tlog.CheckTree(req.Proof, tree.N, tree.Hash, seen.N, seen.Hash); err != nil {
			w.refuse(origin, seen, tree, prev, req.Checkpoint, "the consistency proof does not verify")
			return nil, fmt.Errorf("%w: %v", ErrInconsistent, err)
		}
	}
	if err := w.Store.Save(origin, req.Checkpoint); err != nil {
		return nil, err
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text}, w.Signer)
	if err != nil {
		return nil, fmt.Errorf("witness: cosign: %w", err)
	}
	w.Log.Info("witness: cosigned", "origin", origin, "size", tree.N)
	return cosigned[len(n.Text)+1:], nil
}

// refuse says loudly that a log presented a checkpoint inconsistent with
// the one this witness cosigned: both checkpoints are public, and together
// they are the evidence.
func (w *Witness) refuse(origin string, seen, tree ledger.Tree, prev, got []byte, why string) {
	w.Log.Error("witness: REFUSED a checkpoint inconsistent with the one cosigned before; the log may have forked or rewritten its history",
		"origin", origin, "why", why,
		"cosigned_size", seen.N, "cosigned_root", base64.StdEncoding.EncodeToString(seen.Hash[:]),
		"presented_size", tree.N, "presented_root", base64.StdEncoding.EncodeToString(tree.Hash[:]),
		"cosigned_checkpoint", string(prev), "presented_checkpoint", string(got))
}

// GenerateKey makes a new witness key named name. skey is the private key
// in note format with signature type 0x04 (Ed25519 cosignature/v1), vkey
// the verifier key logs configure.
func GenerateKey(name string) (skey, vkey string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	pk := append([]byte{algCosignatureV1}, pub...)
	h := KeyHash(name, pub)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, priv.Seed()...)))
	vkey = fmt.Sprintf("%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(pk))
	if _, err := NewSigner(skey); err != nil {
		return "", "", err
	}
	return skey, vkey, nil
}

// KeyHash is the key ID of an Ed25519 cosignature/v1 key:
// SHA-256(name || "\n" || 0x04 || public key)[:4].
func KeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// NewSigner reads a witness private key (as [GenerateKey] writes it) into
// a cosignature/v1 signer.
func NewSigner(skey string) (note.Signer, error) {
	s, err := fnote.NewSignerForCosignatureV1(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("witness: key: %w", err)
	}
	return s, nil
}

// NewVerifier reads a witness verifier key into a note verifier of its
// cosignatures.
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("witness: verifier key %q: %w", vkey, err)
	}
	return v, nil
}

// VerifierKey derives the verifier key from a witness private key.
func VerifierKey(skey string) (string, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(skey), "PRIVATE+KEY+")
	name, rest, _ := strings.Cut(rest, "+")
	_, key64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.DecodeString(key64)
	if !ok || name == "" || err != nil || len(key) != 1+ed25519.SeedSize || (key[0] != algCosignatureV1 && key[0] != 0x01) {
		return "", errors.New("witness: malformed private key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", name, KeyHash(name, pub), base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, pub...))), nil
}

// LogKeys parses a log's verifier keys (Ed25519 note keys, or SM2 keys as
// the ledger writes them), one a line or separated by spaces, into
// verifiers by origin.
func LogKeys(text string) (map[string]note.Verifiers, error) {
	byOrigin := map[string][]note.Verifier{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Split(bufio.ScanWords)
	for sc.Scan() {
		k := sc.Text()
		v, err := note.NewVerifier(k)
		if err != nil {
			if v, err = ledger.NewSM2Verifier(k); err != nil {
				return nil, fmt.Errorf("witness: log key %q is neither an Ed25519 nor an SM2 verifier key", k)
			}
		}
		byOrigin[v.Name()] = append(byOrigin[v.Name()], v)
	}
	out := map[string]note.Verifiers{}
	for origin, vs := range byOrigin {
		out[origin] = note.VerifierList(vs...)
	}
	return out, nil
}
