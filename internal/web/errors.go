package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

// httpError is an error with the status and the public message to show
// (Key, with Args for its placeholders). Err is the internal cause,
// logged and never shown.
type httpError struct {
	Code int
	Key  string
	Args []any
	Err  error
}

func (e *httpError) Error() string {
	if e.Err != nil {
		return e.Key + ": " + e.Err.Error()
	}
	return e.Key
}

func (e *httpError) Unwrap() error { return e.Err }

func notFound() error  { return &httpError{Code: http.StatusNotFound, Key: "error_404"} }
func forbidden() error { return &httpError{Code: http.StatusForbidden, Key: "error_403"} }
func badRequest(err error) error {
	return &httpError{Code: http.StatusBadRequest, Key: "error_400", Err: err}
}

// fieldError is one field's translated message in an API error.
type fieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiError is the JSON body of every API error.
type apiError struct {
	Status    int          `json:"status"`
	Code      string       `json:"code"`
	Message   string       `json:"message"`
	Fields    []fieldError `json:"fields,omitempty"`
	RequestID string       `json:"request_id"`
}

// classify maps an error to its status and public message key, with the
// key's arguments if it has any.
func classify(err error) (int, string, []any, *fielderr.Invalid) {
	var inv *fielderr.Invalid
	var he *httpError
	switch {
	case errors.As(err, &inv):
		return http.StatusUnprocessableEntity, "error_422", nil, inv
	case errors.As(err, &he):
		return he.Code, he.Key, he.Args, nil
	case errors.Is(err, identity.ErrForbidden):
		return http.StatusForbidden, "error_403", nil, nil
	case errors.Is(err, db.ErrNotFound):
		return http.StatusNotFound, "error_404", nil, nil
	case errors.Is(err, db.ErrConflict):
		return http.StatusConflict, "error_409", nil, nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, "error_413", nil, nil
	}
	return http.StatusInternalServerError, "error_500", nil, nil
}

// translateFields renders field failures in the user's language.
func translateFields(l i18n.Lang, inv *fielderr.Invalid) []fieldError {
	if inv == nil {
		return nil
	}
	out := make([]fieldError, 0, len(inv.Fields))
	for _, f := range inv.Fields {
		out = append(out, fieldError{Field: f.Field, Code: f.Key, Message: i18n.T(l, f.Key, f.Params...)})
	}
	return out
}

// fail writes the response for err: JSON for the API, a page for people,
// a redirect to sign-in for anonymous visitors of a page that needs it.
// Server errors are logged with the request ID; their details never reach
// the client.
func (s *Server) fail(req *request, err error) {
	code, key, args, inv := classify(err)
	if code >= 500 {
		s.Log.Error("request failed", "request_id", req.id, "method", req.r.Method, "path", req.r.URL.Path, "err", err)
	}
	msg := req.t(key, args...)
	if code >= 500 {
		msg = req.t(key, req.id)
	}
	if req.api {
		writeJSON(req.w, code, apiError{Status: code, Code: key, Message: msg, Fields: translateFields(req.lang, inv), RequestID: req.id})
		return
	}
	if code == http.StatusUnauthorized && req.r.Method == http.MethodGet {
		http.Redirect(req.w, req.r, "/login?next="+url.QueryEscape(req.r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	s.renderError(req, code, msg)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}
