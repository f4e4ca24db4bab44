package witness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/ledger"
)

// ErrRefused is returned by [Client.Submit] when the witness says the
// checkpoint is not consistent with the one it cosigned before (a 409 for
// the same size, or a 422): the log's operator must find out why at once.
var ErrRefused = errors.New("witness refused the checkpoint as inconsistent with the one it cosigned")

// maxBody bounds an add-checkpoint request: a checkpoint, a few signatures
// and at most 63 proof lines fit in far less.
const maxBody = 64 << 10

// Handler serves POST <prefix>/add-checkpoint.
func (w *Witness) Handler(prefix string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+strings.TrimRight(prefix, "/")+"/add-checkpoint", w.serveAddCheckpoint)
	return mux
}

func (w *Witness) serveAddCheckpoint(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxBody))
	if err != nil {
		plain(rw, http.StatusRequestEntityTooLarge, "request too large\n")
		return
	}
	req, err := ParseRequest(body)
	var sigs []byte
	if err == nil {
		sigs, err = w.AddCheckpoint(r.Context(), req)
	}
	var conflict *ConflictError
	switch {
	case err == nil:
		plain(rw, http.StatusOK, string(sigs))
	case errors.As(err, &conflict):
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", conflict.Size)
	case errors.Is(err, ErrUnknownLog):
		plain(rw, http.StatusNotFound, "unknown log\n")
	case errors.Is(err, ErrBadSignature):
		plain(rw, http.StatusForbidden, "no valid signature from the log's keys\n")
	case errors.Is(err, ErrMalformed):
		plain(rw, http.StatusBadRequest, err.Error()+"\n")
	case errors.Is(err, ErrInconsistent):
		plain(rw, http.StatusUnprocessableEntity, "the consistency proof does not verify\n")
	default:
		w.Log.Error("witness: add-checkpoint", "err", err)
		plain(rw, http.StatusInternalServerError, "internal error\n")
	}
}

func plain(rw http.ResponseWriter, code int, body string) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.WriteHeader(code)
	io.WriteString(rw, body)
}

// FileStore keeps each log's latest cosigned checkpoint in a file of Dir,
// named by the SHA-256 of the origin, replaced atomically (write, sync,
// rename).
type FileStore struct {
	Dir string
}

func (s *FileStore) path(origin string) string {
	h := sha256.Sum256([]byte(origin))
	return filepath.Join(s.Dir, "checkpoint-"+hex.EncodeToString(h[:8]))
}

// Latest implements [Store].
func (s *FileStore) Latest(origin string) ([]byte, error) {
	b, err := os.ReadFile(s.path(origin))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness: state: %w", err)
	}
	return b, nil
}

// Save implements [Store].
func (s *FileStore) Save(origin string, checkpoint []byte) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("witness: state: %w", err)
	}
	f, err := os.CreateTemp(s.Dir, ".checkpoint-*")
	if err != nil {
		return fmt.Errorf("witness: state: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(checkpoint); err != nil {
		f.Close()
		return fmt.Errorf("witness: state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("witness: state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("witness: state: %w", err)
	}
	if err := os.Rename(f.Name(), s.path(origin)); err != nil {
		return fmt.Errorf("witness: state: %w", err)
	}
	if d, err := os.Open(s.Dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Client submits a log's checkpoints to one witness.
type Client struct {
	// URL is the witness's submission prefix; requests go to
	// URL + "/add-checkpoint".
	URL string
	// Verifier checks the witness's cosignatures.
	Verifier note.Verifier
	HTTP     *http.Client

	// size is the latest size the witness cosigned, as far as this client
	// knows; it learns the truth from a 409. cosigned is whether this
	// client got a cosignature for size.
	size     int64
	cosigned bool
	// After a failure the client waits (retryAt), twice as long each
	// time up to five minutes, so a witness that is down is not
	// hammered, nor the log flooded with its errors.
	retryAt time.Time
	backoff time.Duration
}

// ProofFunc returns a consistency proof from the tree of size old to the
// tree of size n.
type ProofFunc func(ctx context.Context, old, n int64) (tlog.TreeProof, error)

// Submit asks the witness to cosign checkpoint and returns the witness's
// verified signature lines, ready to append to the checkpoint. When the
// witness knows a different latest size (409), it retries once from that
// size.
func (c *Client) Submit(ctx context.Context, checkpoint []byte, proof ProofFunc) ([]byte, error) {
	text, _, ok := bytes.Cut(checkpoint, []byte("\n\n"))
	if !ok {
		return nil, errors.New("witness: malformed checkpoint")
	}
	_, tree, err := ledger.ParseCheckpoint(string(text) + "\n")
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		old := c.size
		if old > tree.N {
			return nil, fmt.Errorf("witness %s has cosigned size %d, larger than this log's %d", c.URL, old, tree.N)
		}
		req := &Request{Old: old, Checkpoint: checkpoint}
		if old > 0 && old < tree.N {
			if req.Proof, err = proof(ctx, old, tree.N); err != nil {
				return nil, err
			}
		}
		code, size, body, err := c.post(ctx, req.Body())
		if err != nil {
			return nil, err
		}
		switch {
		case code == http.StatusOK:
			sigs, err := c.check(checkpoint, body)
			if err != nil {
				return nil, err
			}
			c.size, c.cosigned = tree.N, true
			return sigs, nil
		case code == http.StatusConflict && size >= 0 && size != old && attempt == 0:
			c.size, c.cosigned = size, false
			continue
		case code == http.StatusConflict && size == old || code == http.StatusUnprocessableEntity:
			return nil, fmt.Errorf("%w: witness %s, size %d (old %d): %d %s", ErrRefused, c.URL, tree.N, old, code, strings.TrimSpace(string(body)))
		default:
			return nil, fmt.Errorf("witness %s refused the checkpoint of size %d (old %d): %d %s", c.URL, tree.N, old, code, strings.TrimSpace(string(body)))
		}
	}
}

func (c *Client) post(ctx context.Context, body []byte) (code int, size int64, resp []byte, err error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.URL, "/")+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return 0, -1, nil, fmt.Errorf("witness: %w", err)
	}
	res, err := hc.Do(r)
	if err != nil {
		return 0, -1, nil, fmt.Errorf("witness: %w", err)
	}
	defer res.Body.Close()
	resp, err = io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return 0, -1, nil, fmt.Errorf("witness: %w", err)
	}
	size = -1
	if res.StatusCode == http.StatusConflict && res.Header.Get("Content-Type") == "text/x.tlog.size" {
		if n, err := strconv.ParseInt(strings.TrimSuffix(string(resp), "\n"), 10, 64); err == nil && n >= 0 {
			size = n
		}
	}
	return res.StatusCode, size, resp, nil
}

// check verifies the witness's answer against its key and returns only the
// signature lines from that key.
func (c *Client) check(checkpoint, resp []byte) ([]byte, error) {
	n, err := note.Open(append(bytes.Clone(checkpoint), resp...), note.VerifierList(c.Verifier))
	if err != nil {
		return nil, fmt.Errorf("witness %s: cosignature does not verify: %w", c.URL, err)
	}
	var out bytes.Buffer
	for _, s := range n.Sigs {
		if s.Name == c.Verifier.Name() && s.Hash == c.Verifier.KeyHash() {
			fmt.Fprintf(&out, "— %s %s\n", s.Name, s.Base64)
		}
	}
	return out.Bytes(), nil
}

// CosignLatest submits the log's latest checkpoint to each witness that has
// not cosigned it yet and stores the cosignatures with the checkpoint. A
// witness that is down or refuses does not stop the others; their errors
// are joined.
func CosignLatest(ctx context.Context, l *ledger.Log, clients []*Client) error {
	if len(clients) == 0 {
		return nil
	}
	cp, err := l.Checkpoint(ctx)
	if errors.Is(err, db.ErrNotFound) {
		return nil // nothing signed yet
	}
	if err != nil {
		return err
	}
	text, _, _ := bytes.Cut(cp, []byte("\n\n"))
	_, tree, err := ledger.ParseCheckpoint(string(text) + "\n")
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range clients {
		if c.cosigned && c.size == tree.N || time.Now().Before(c.retryAt) {
			continue
		}
		if _, err := note.Open(cp, note.VerifierList(c.Verifier)); err == nil {
			// Cosigned already (by this node before a restart, or
			// another): one cosignature per witness is enough.
			c.size, c.cosigned = tree.N, true
			continue
		}
		sigs, err := c.Submit(ctx, cp, l.ConsistencyProof)
		if err == nil {
			err = l.AddCosignatures(ctx, tree.N, sigs)
		}
		if err != nil {
			c.backoff = min(max(2*c.backoff, 5*time.Second), 5*time.Minute)
			c.retryAt = time.Now().Add(c.backoff)
			errs = append(errs, err)
			continue
		}
		c.backoff, c.retryAt = 0, time.Time{}
	}
	return errors.Join(errs...)
}
