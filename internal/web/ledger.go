package web

import (
	"compress/gzip"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/ledger"
)

// The public log, exactly per c2sp.org/tlog-tiles: the checkpoint, Merkle
// tiles and entry bundles, and the verifier keys. These answer in plain
// text, not the site's HTML error pages, since tools read them.

// ledgerError answers a ledger request with a plain-text status.
func ledgerError(req *request, code int) error {
	req.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	req.w.Header().Set("Cache-Control", "no-store")
	req.w.WriteHeader(code)
	req.w.Write([]byte(http.StatusText(code) + "\n"))
	return nil
}

// ledgerCheckpoint serves the latest signed checkpoint. It changes every
// few seconds, so caches may keep it for two.
func (s *Server) ledgerCheckpoint(req *request) error {
	if s.Ledger == nil {
		return ledgerError(req, http.StatusNotFound)
	}
	cp, err := s.Ledger.Checkpoint(req.ctx())
	if errors.Is(err, db.ErrNotFound) {
		return ledgerError(req, http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	h := req.w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=2")
	req.w.Write(cp)
	return nil
}

// ledgerKey serves the log's verifier keys in note format, one a line:
// Ed25519 first, then SM2.
func (s *Server) ledgerKey(req *request) error {
	if s.Ledger == nil || s.Ledger.Keys == nil {
		return ledgerError(req, http.StatusNotFound)
	}
	h := req.w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	req.w.Write([]byte(s.Ledger.Keys.Ed25519Verifier + "\n" + s.Ledger.Keys.SM2Verifier + "\n"))
	return nil
}

// ledgerTile serves a tile or an entry bundle. A malformed path is 400;
// a tile the tree does not cover (yet) is 404. Tiles never change, so
// caches may keep them for a year.
func (s *Server) ledgerTile(req *request) error {
	if s.Ledger == nil {
		return ledgerError(req, http.StatusNotFound)
	}
	t, err := ledger.ParseTilePath("tile/" + req.r.PathValue("path"))
	if err != nil {
		return ledgerError(req, http.StatusBadRequest)
	}
	data, err := s.Ledger.ReadTile(req.ctx(), t)
	if errors.Is(err, db.ErrNotFound) {
		return ledgerError(req, http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	h := req.w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	if t.L < 0 {
		h.Set("Vary", "Accept-Encoding")
		if strings.Contains(req.r.Header.Get("Accept-Encoding"), "gzip") {
			h.Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(req.w)
			zw.Write(data)
			return zw.Close()
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	req.w.Write(data)
	return nil
}

// receiptDownload serves a .tlog-proof receipt for one of an application's
// ledger entries, to those allowed to see the application.
func (s *Server) receiptDownload(req *request) error {
	id := req.r.PathValue("id")
	if _, err := s.Applications.Get(req.ctx(), req.p, id); err != nil {
		return err
	}
	return s.serveReceipt(req, application.LedgerObject, id)
}

// ticketReceiptDownload serves a .tlog-proof receipt for one of a hotline
// ticket's ledger entries, to those allowed to see the ticket.
func (s *Server) ticketReceiptDownload(req *request) error {
	id := req.r.PathValue("id")
	if _, err := s.Hotline.Get(req.ctx(), req.p, id); err != nil {
		return err
	}
	return s.serveReceipt(req, hotline.LedgerObject, id)
}

// serveReceipt answers with the receipt named by the path's {file}, an
// entry of the object's; the caller has checked who may see the object.
func (s *Server) serveReceipt(req *request, objectType, id string) error {
	entry, ok := strings.CutSuffix(req.r.PathValue("file"), ".tlog-proof")
	if !ok || s.Ledger == nil {
		return notFound()
	}
	stamps, err := s.Ledger.Stamps(req.ctx(), objectType, id)
	if err != nil {
		return err
	}
	found := false
	for _, st := range stamps {
		found = found || st.ID == entry
	}
	if !found {
		return notFound()
	}
	proof, err := s.Ledger.Receipt(req.ctx(), entry)
	if errors.Is(err, ledger.ErrPending) {
		return &httpError{Code: http.StatusConflict, Key: "receipt_pending", Err: err}
	}
	if err != nil {
		return err
	}
	h := req.w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+entry+`.tlog-proof"`)
	h.Set("Cache-Control", "private, no-store")
	req.w.Write(proof)
	return nil
}
