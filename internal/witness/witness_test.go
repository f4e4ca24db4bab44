package witness_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/witness"
)

const origin = "tongban.example/ledger"

// memLog is a log in memory: its records, their tree and its keys.
type memLog struct {
	t      *testing.T
	keys   *ledger.Keys
	hashes []tlog.Hash
	n      int64
	prefix string
}

func newMemLog(t *testing.T, keys *ledger.Keys, prefix string) *memLog {
	return &memLog{t: t, keys: keys, prefix: prefix}
}

func (l *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = l.hashes[x]
	}
	return out, nil
}

// grow appends records up to size n.
func (l *memLog) grow(n int64) {
	for ; l.n < n; l.n++ {
		hs, err := tlog.StoredHashes(l.n, fmt.Appendf(nil, "%s record %d", l.prefix, l.n), l)
		if err != nil {
			l.t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
	}
}

func (l *memLog) tree() ledger.Tree {
	h, err := tlog.TreeHash(l.n, l)
	if err != nil {
		l.t.Fatal(err)
	}
	return ledger.Tree{N: l.n, Hash: h}
}

func (l *memLog) checkpoint() []byte {
	b, err := note.Sign(&note.Note{Text: ledger.CheckpointText(l.keys.Origin(), l.tree())}, l.keys.Ed25519, l.keys.SM2)
	if err != nil {
		l.t.Fatal(err)
	}
	return b
}

func (l *memLog) proof(old int64) tlog.TreeProof {
	p, err := tlog.ProveTree(l.n, old, l)
	if err != nil {
		l.t.Fatal(err)
	}
	return p
}

type rig struct {
	keys    *ledger.Keys
	vkey    string
	srv     *httptest.Server
	logs    *bytes.Buffer
	store   *witness.FileStore
	witness *witness.Witness
}

func newRig(t *testing.T) *rig {
	t.Helper()
	keys, _, err := ledger.GenerateKeys(origin)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := witness.GenerateKey("witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{keys: keys, vkey: vkey, logs: &bytes.Buffer{}, store: &witness.FileStore{Dir: t.TempDir()}}
	r.start(t, skey)
	return r
}

// start runs a witness on the rig's state, as a restart would.
func (r *rig) start(t *testing.T, skey string) {
	t.Helper()
	signer, err := witness.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := witness.LogKeys(r.keys.Ed25519Verifier + "\n" + r.keys.SM2Verifier)
	if err != nil {
		t.Fatal(err)
	}
	r.witness = &witness.Witness{Signer: signer, Logs: logs, Store: r.store, Log: slog.New(slog.NewTextHandler(r.logs, nil))}
	if r.srv != nil {
		r.srv.Close()
	}
	r.srv = httptest.NewServer(r.witness.Handler("/"))
	t.Cleanup(r.srv.Close)
}

// post sends an add-checkpoint request and returns the status, content
// type and body.
func (r *rig) post(t *testing.T, old int64, proof tlog.TreeProof, cp []byte) (int, string, string) {
	t.Helper()
	body := (&witness.Request{Old: old, Proof: proof, Checkpoint: cp}).Body()
	res, err := http.Post(r.srv.URL+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

// checkCosignature verifies sigs on cp with golang.org/x/mod/sumdb/note and
// the witness's verifier key, and then by hand, byte for byte as
// c2sp.org/tlog-cosignature specifies it.
func checkCosignature(t *testing.T, vkey string, cp []byte, sigs string) {
	t.Helper()
	v, err := witness.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(append(bytes.Clone(cp), sigs...), note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open(checkpoint + cosignature) with the witness key: %v\n%s%s", err, cp, sigs)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != "witness.example/w1" {
		t.Fatalf("verified signatures = %+v, want one from witness.example/w1", n.Sigs)
	}

	// By hand: "— <name> base64(key ID || u64 timestamp || Ed25519
	// signature over "cosignature/v1\ntime <T>\n" || note text)".
	name, rest, _ := strings.Cut(vkey, "+")
	_, key64, _ := strings.Cut(rest, "+")
	key, _ := base64.StdEncoding.DecodeString(key64)
	if len(key) != 33 || key[0] != 0x04 {
		t.Fatalf("verifier key %q: want signature type 0x04 and 32 key bytes", vkey)
	}
	pub := ed25519.PublicKey(key[1:])
	line, ok := strings.CutPrefix(strings.TrimSuffix(sigs, "\n"), "— "+name+" ")
	if !ok || strings.Contains(line, "\n") {
		t.Fatalf("cosignature %q: want one line \"— %s <base64>\"", sigs, name)
	}
	sig, err := base64.StdEncoding.DecodeString(line)
	if err != nil || len(sig) != 4+8+64 {
		t.Fatalf("cosignature is %d bytes, want 4 + 8 + 64", len(sig))
	}
	if got, want := binary.BigEndian.Uint32(sig), witness.KeyHash(name, pub); got != want {
		t.Fatalf("key ID %08x, want %08x", got, want)
	}
	ts := binary.BigEndian.Uint64(sig[4:])
	if d := time.Since(time.Unix(int64(ts), 0)); d < -time.Minute || d > time.Hour {
		t.Fatalf("cosignature time %d is not now", ts)
	}
	msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, n.Text)
	if !ed25519.Verify(pub, []byte(msg), sig[12:]) {
		t.Fatalf("Ed25519 signature does not verify over %q", msg)
	}
}

func TestCosignsConsecutiveCheckpoints(t *testing.T) {
	r := newRig(t)
	l := newMemLog(t, r.keys, "a")
	var old int64
	for _, size := range []int64{0, 1, 5, 12, 12, 300} {
		l.grow(size)
		cp := l.checkpoint()
		var proof tlog.TreeProof
		if old > 0 && old < size {
			proof = l.proof(old)
		}
		code, _, body := r.post(t, old, proof, cp)
		if code != http.StatusOK {
			t.Fatalf("add-checkpoint old %d size %d = %d %q, want 200", old, size, code, body)
		}
		checkCosignature(t, r.vkey, cp, body)
		old = size
	}

	// The witness remembers across a restart: a client that starts from
	// zero learns the size it cosigned (409 with that size).
	skey2, _, _ := witness.GenerateKey("witness.example/w1")
	r.start(t, skey2)
	code, ctype, body := r.post(t, 0, nil, l.checkpoint())
	if code != http.StatusConflict || ctype != "text/x.tlog.size" || body != "300\n" {
		t.Fatalf("after restart, old 0 = %d %s %q, want 409 text/x.tlog.size \"300\\n\"", code, ctype, body)
	}
}

func TestRefusesForkedCheckpoint(t *testing.T) {
	r := newRig(t)
	honest := newMemLog(t, r.keys, "a")
	honest.grow(5)
	if code, _, body := r.post(t, 0, nil, honest.checkpoint()); code != http.StatusOK {
		t.Fatalf("first checkpoint = %d %q", code, body)
	}

	// The same key signs another history: same size, different root.
	fork := newMemLog(t, r.keys, "b")
	fork.grow(5)
	code, ctype, body := r.post(t, 5, nil, fork.checkpoint())
	if code != http.StatusConflict || ctype != "text/x.tlog.size" || body != "5\n" {
		t.Fatalf("forked checkpoint of the same size = %d %s %q, want 409 text/x.tlog.size \"5\\n\"", code, ctype, body)
	}
	if !strings.Contains(r.logs.String(), "level=ERROR") || !strings.Contains(r.logs.String(), "REFUSED") {
		t.Fatalf("a fork was not logged at ERROR:\n%s", r.logs)
	}

	// A larger forked tree with a proof from its own history: the proof
	// does not verify against what the witness cosigned (422 per
	// c2sp.org/tlog-witness).
	r.logs.Reset()
	fork.grow(9)
	code, _, body = r.post(t, 5, fork.proof(5), fork.checkpoint())
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("forked larger checkpoint = %d %q, want 422", code, body)
	}
	if !strings.Contains(r.logs.String(), "level=ERROR") {
		t.Fatalf("an inconsistent checkpoint was not logged at ERROR:\n%s", r.logs)
	}

	// A stale old size is told the latest cosigned size.
	honest.grow(9)
	code, ctype, body = r.post(t, 3, honest.proof(3), honest.checkpoint())
	if code != http.StatusConflict || ctype != "text/x.tlog.size" || body != "5\n" {
		t.Fatalf("old size 3 = %d %s %q, want 409 \"5\\n\"", code, ctype, body)
	}

	// The honest log still gets its next checkpoint cosigned.
	cp := honest.checkpoint()
	code, _, body = r.post(t, 5, honest.proof(5), cp)
	if code != http.StatusOK {
		t.Fatalf("honest checkpoint after the fork = %d %q", code, body)
	}
	checkCosignature(t, r.vkey, cp, body)
}

func TestBadRequests(t *testing.T) {
	r := newRig(t)
	l := newMemLog(t, r.keys, "a")
	l.grow(4)
	other, _, _ := ledger.GenerateKeys("other.example/ledger")
	stranger := newMemLog(t, other, "a")
	stranger.grow(4)
	impostorKeys, _, _ := ledger.GenerateKeys(origin)
	impostor := newMemLog(t, impostorKeys, "a")
	impostor.grow(4)

	tests := []struct {
		name string
		body string
		want int
	}{
		{"unknown origin", "old 0\n\n" + string(stranger.checkpoint()), http.StatusNotFound},
		{"signed by another key", "old 0\n\n" + string(impostor.checkpoint()), http.StatusForbidden},
		{"old larger than size", "old 7\n\n" + string(l.checkpoint()), http.StatusBadRequest},
		{"leading zero", "old 00\n\n" + string(l.checkpoint()), http.StatusBadRequest},
		{"no old line", string(l.checkpoint()), http.StatusBadRequest},
		{"proof line not a hash", "old 0\nnot-base64\n\n" + string(l.checkpoint()), http.StatusBadRequest},
		{"proof with old size zero", "old 0\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n\n" + string(l.checkpoint()), http.StatusUnprocessableEntity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Post(r.srv.URL+"/add-checkpoint", "text/plain", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
	res, err := http.Get(r.srv.URL + "/add-checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET add-checkpoint = %d, want 405", res.StatusCode)
	}
}

func TestClientCatchesUp(t *testing.T) {
	r := newRig(t)
	l := newMemLog(t, r.keys, "a")
	l.grow(6)
	if code, _, body := r.post(t, 0, nil, l.checkpoint()); code != http.StatusOK {
		t.Fatalf("first checkpoint = %d %q", code, body)
	}
	// A client that does not know the witness saw size 6 learns it from
	// the 409 and sends a proof from there.
	v, _ := witness.NewVerifier(r.vkey)
	c := &witness.Client{URL: r.srv.URL, Verifier: v}
	l.grow(20)
	cp := l.checkpoint()
	sigs, err := c.Submit(t.Context(), cp, func(_ context.Context, old, n int64) (tlog.TreeProof, error) { return l.proof(old), nil })
	if err != nil {
		t.Fatal(err)
	}
	checkCosignature(t, r.vkey, cp, string(sigs))
}

func TestClientReportsRefusal(t *testing.T) {
	r := newRig(t)
	honest := newMemLog(t, r.keys, "a")
	honest.grow(5)
	if code, _, body := r.post(t, 0, nil, honest.checkpoint()); code != http.StatusOK {
		t.Fatalf("first checkpoint = %d %q", code, body)
	}
	v, _ := witness.NewVerifier(r.vkey)
	fork := newMemLog(t, r.keys, "b")
	for _, size := range []int64{5, 8} {
		fork.grow(size)
		c := &witness.Client{URL: r.srv.URL, Verifier: v}
		_, err := c.Submit(t.Context(), fork.checkpoint(), func(_ context.Context, old, n int64) (tlog.TreeProof, error) { return fork.proof(old), nil })
		if !errors.Is(err, witness.ErrRefused) {
			t.Errorf("Submit(forked checkpoint of size %d) = %v, want ErrRefused", size, err)
		}
	}
}
