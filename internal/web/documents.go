package web

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/fielderr"
)

// uploadDocument takes one staff document for a task (multipart field
// "file").
func (s *Server) uploadDocument(req *request) (*application.Document, error) {
	limit := s.Applications.UploadLimit()
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, limit+1<<20)
	mr, err := req.r.MultipartReader()
	if err != nil {
		return nil, fielderr.New("file", "file_required")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, fielderr.New("file", "file_required")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, fielderr.New("file", "file_too_large", limit>>20)
			}
			return nil, badRequest(err)
		}
		if part.FormName() != "file" {
			continue
		}
		d, err := s.Applications.AttachDocument(req.ctx(), req.p, req.r.PathValue("id"), part.FileName(), part)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fielderr.New("file", "file_too_large", limit>>20)
		}
		return d, err
	}
}

func (s *Server) taskDocumentUpload(req *request) error {
	if _, err := s.uploadDocument(req); err != nil {
		return s.renderTaskError(req, appError(err), nil)
	}
	s.setFlash(req, "document_attached")
	return s.redirect(req, "/staff/tasks/"+req.r.PathValue("id")+"#documents")
}

// documentDownload serves a staff document, always as an attachment.
func (s *Server) documentDownload(req *request) error {
	d, rc, err := s.Applications.OpenDocument(req.ctx(), req.p, req.r.PathValue("id"), req.r.PathValue("did"))
	if err != nil {
		return err
	}
	defer rc.Close()
	h := req.w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.FileName}))
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, err = io.Copy(req.w, rc)
	return err
}

func (s *Server) apiAttachDocument(req *request) error {
	d, err := s.uploadDocument(req)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiDocuments(req *request) error {
	docs, err := s.Applications.Documents(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(docs))
	return nil
}
