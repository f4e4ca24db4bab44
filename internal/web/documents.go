package web

import (
	"io"
	"mime"
	"net/http"

	"github.com/tongban/tongban/internal/application"
)

// uploadDocument takes one staff document for a task (multipart field
// "file").
func (s *Server) uploadDocument(req *request) (*application.Document, error) {
	var d *application.Document
	err := streamUpload(req, s.Applications.UploadLimit(), nil, func(name string, r io.Reader) error {
		var err error
		d, err = s.Applications.AttachDocument(req.ctx(), req.p, req.r.PathValue("id"), name, r)
		return err
	})
	return d, err
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
	return serveUpload(req, d.FileName, d.ContentType, rc)
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

// serveUpload sends a file someone uploaded (a material, a staff document,
// a ticket attachment) and closes rc. It always goes as an attachment, in
// a sandbox, never cached: a PDF or image shown inline could otherwise run
// in the site's origin.
func serveUpload(req *request, name, contentType string, rc io.ReadCloser) error {
	defer rc.Close()
	h := req.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, err := io.Copy(req.w, rc)
	return err
}
