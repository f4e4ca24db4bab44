package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
)

// maxJSONBytes bounds ordinary JSON request bodies.
const maxJSONBytes = 1 << 20

// decodeJSON reads a JSON body into v, rejecting unknown fields so typos
// in field names are reported instead of silently ignored.
func decodeJSON(req *request, v any) error {
	return decodeRequestBody(req, v, false)
}

// decodeJSONOrYAML is decodeJSON for a body that may also be YAML, by its
// Content-Type (application/yaml): read as the JSON it stands for.
func decodeJSONOrYAML(req *request, v any) error {
	return decodeRequestBody(req, v, isYAML(req.r.Header.Get("Content-Type")))
}

func decodeRequestBody(req *request, v any, yamlBody bool) error {
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, maxJSONBytes)
	// Read whole, so that a value of the wrong kind can be named by where
	// it is in the document (jsonError).
	doc, err := io.ReadAll(req.r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return jsonError("body", nil, err)
	}
	if yamlBody {
		if doc, err = yamlToJSON("body", doc); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError("body", doc, err)
	}
	if dec.More() {
		return fielderr.New("body", "json_trailing")
	}
	return nil
}

// jsonError turns what encoding/json says of a document that does not
// decode into a field error in words a user can read: a value of the
// wrong kind on the field it belongs to, an unknown field by its name, a
// syntax error by where it is. field names the document itself (the body,
// or a form field holding JSON); doc is the document, which names a value
// inside an array by its index (steps[3].days: encoding/json says only
// steps.days).
func jsonError(field string, doc []byte, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return fielderr.New(field, "json_empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fielderr.New(field, "json_truncated")
	case errors.As(err, &syn):
		return fielderr.New(field, "json_syntax", syn.Offset)
	case errors.As(err, &typ):
		at := jsonPath(doc, typ)
		if at == "" {
			at = field
		}
		return fielderr.New(at, "json_type_"+jsonKind(typ.Type), at)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return fielderr.New(name, "json_unknown_field", name)
	}
	return fielderr.New(field, "json_invalid", err.Error())
}

// jsonErrorIn is jsonError for a document typed into one input of an HTML
// form (field): every problem is reported on that input, the path inside
// the document in the message, so it is not mistaken for another input
// of the form with the same name.
func jsonErrorIn(field string, doc []byte, err error) error {
	var inv *fielderr.Invalid
	if !errors.As(jsonError(field, doc, err), &inv) {
		return err
	}
	var fe fielderr.Errors
	for _, f := range inv.Fields {
		fe.Add(field, f.Key, f.Params...)
	}
	return fe.Err()
}

// jsonPath returns the path in doc of the value a type error is about,
// with the index of each array element on the way: the last value at the
// error's field path (which has the object keys only) that starts before
// the error's offset. Without a document, or if it cannot be found, it
// is the error's own field path.
func jsonPath(doc []byte, typ *json.UnmarshalTypeError) string {
	if doc == nil || typ.Field == "" {
		return typ.Field
	}
	// A frame is an open object (key: the current key, next: a key comes
	// next) or array (index: of the current element).
	type frame struct {
		array bool
		key   string
		next  bool
		index int
	}
	var stack []frame
	paths := func() (keys, full string) {
		var k, f strings.Builder
		for _, fr := range stack {
			if fr.array {
				f.WriteString("[" + strconv.Itoa(fr.index) + "]")
				continue
			}
			if k.Len() > 0 {
				k.WriteByte('.')
			}
			k.WriteString(fr.key)
			if f.Len() > 0 {
				f.WriteByte('.')
			}
			f.WriteString(fr.key)
		}
		return k.String(), f.String()
	}
	// done moves the innermost container past the value just read.
	done := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].next = true
			}
		}
	}
	found := typ.Field
	dec := json.NewDecoder(bytes.NewReader(doc))
	for dec.InputOffset() < typ.Offset {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].next {
			if d, ok := tok.(json.Delim); !ok || d != '}' {
				stack[n-1].key, _ = tok.(string)
				stack[n-1].next = false
				continue
			}
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		// A value starts here.
		if keys, full := paths(); keys == typ.Field {
			found = full
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{array: d == '[', next: d == '{'})
			continue
		}
		done()
	}
	return found
}

// jsonKind names the kind of JSON value a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "value"
}

type listResponse[T any] struct {
	Items []T `json:"items"`
	Count int `json:"count"`
}

func list[T any](items []T) listResponse[T] {
	if items == nil {
		items = []T{}
	}
	return listResponse[T]{Items: items, Count: len(items)}
}

func (s *Server) apiServices(req *request) error {
	f, err := s.filterFrom(req)
	if err != nil {
		return err
	}
	out, err := s.Catalog.List(req.ctx(), f)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

func (s *Server) apiService(req *request) error {
	svc, err := s.Catalog.Published(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, svc)
	return nil
}

func (s *Server) apiServiceVersion(req *request) error {
	v, err := strconv.Atoi(req.r.PathValue("version"))
	if err != nil || v < 1 {
		return notFound()
	}
	svc, err := s.Catalog.Version(req.ctx(), req.r.PathValue("code"), v)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, svc)
	return nil
}

func (s *Server) apiSearch(req *request) error {
	q := req.r.URL.Query().Get("q")
	limit := atoiDefault(req.r.URL.Query().Get("limit"), 20)
	hits, err := s.Catalog.Search(req.ctx(), q, limit)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, struct {
		Query string `json:"query"`
		listResponse[catalog.Hit]
	}{q, list(hits)})
	return nil
}

func (s *Server) apiThemes(req *request) error {
	t, err := s.Catalog.Themes(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(t))
	return nil
}

func (s *Server) apiTheme(req *request) error {
	t, err := s.Catalog.Theme(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, t)
	return nil
}

func (s *Server) apiDepartments(req *request) error {
	d, err := s.Org.Departments(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(d))
	return nil
}

func (s *Server) apiDepartment(req *request) error {
	d, err := s.Org.Department(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, d)
	return nil
}

func (s *Server) apiDivisions(req *request) error {
	d, err := s.Org.Divisions(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(d))
	return nil
}

type loginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// apiLogin signs in and sets the session cookie; programs keep the cookie
// like a browser does.
func (s *Server) apiLogin(req *request) error {
	var in loginInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	var fe fielderr.Errors
	if strings.TrimSpace(in.Username) == "" {
		fe.Add("username", "required")
	}
	if in.Password == "" {
		fe.Add("password", "required")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	username := strings.ToLower(strings.TrimSpace(in.Username))
	if err := s.allow(req, s.loginChecks(req, username)...); err != nil {
		return err
	}
	acct, err := s.Identity.Authenticate(req.ctx(), username, in.Password)
	switch {
	case errors.Is(err, identity.ErrLocked):
		return &httpError{Code: http.StatusTooManyRequests, Key: "login_locked"}
	case errors.Is(err, identity.ErrBadCredentials):
		return &httpError{Code: http.StatusUnauthorized, Key: "login_failed"}
	case err != nil:
		return err
	}
	sess, err := s.Identity.CreateSession(req.ctx(), acct.ID)
	if err != nil {
		return err
	}
	s.setSession(req, sess.Token)
	p, err := s.Identity.Principal(req.ctx(), acct.ID)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, meResponse(p, nil))
	return nil
}

func (s *Server) apiLogout(req *request) error {
	if c, err := req.r.Cookie(sessionCookie); err == nil {
		if err := s.Identity.EndSession(req.ctx(), c.Value); err != nil {
			return err
		}
	}
	s.clearSession(req)
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiRegister(req *request) error {
	var in identity.PersonInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	acct, err := s.Identity.RegisterPerson(req.ctx(), in)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, acct)
	return nil
}

type me struct {
	Account       *identity.Account        `json:"account"`
	Roles         []identity.RoleGrant     `json:"roles"`
	Organizations []*identity.Organization `json:"organizations"`
}

func meResponse(p *identity.Principal, orgs []*identity.Organization) me {
	if orgs == nil {
		orgs = []*identity.Organization{}
	}
	return me{Account: p.Account, Roles: p.Grants, Organizations: orgs}
}

func (s *Server) apiMe(req *request) error {
	orgs, err := s.Identity.Organizations(req.ctx(), req.p.Account.ID)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, meResponse(req.p, orgs))
	return nil
}

func (s *Server) apiRegisterOrganization(req *request) error {
	var in identity.OrganizationInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	o, err := s.Identity.RegisterOrganization(req.ctx(), req.p, in)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, o)
	return nil
}

func (s *Server) apiAdminServices(req *request) error {
	depts, all := req.p.Departments(identity.PermCatalogEdit)
	entries, err := s.Catalog.Entries(req.ctx(), depts, all)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(entries))
	return nil
}

func (s *Server) apiAdminCreateService(req *request) error {
	var svc catalog.Service
	if err := decodeJSON(req, &svc); err != nil {
		return err
	}
	e, err := s.Catalog.Create(req.ctx(), req.p, svc)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiAdminService(req *request) error {
	e, err := s.Catalog.Entry(req.ctx(), req.p, req.r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, e)
	return nil
}

func (s *Server) apiAdminUpdateService(req *request) error {
	var svc catalog.Service
	if err := decodeJSON(req, &svc); err != nil {
		return err
	}
	e, err := s.Catalog.UpdateDraft(req.ctx(), req.p, req.r.PathValue("code"), svc)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, e)
	return nil
}

func (s *Server) apiAdminPublish(req *request) error {
	code := req.r.PathValue("code")
	svc, err := s.Catalog.Publish(req.ctx(), req.p, code)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, svc)
	return nil
}

func (s *Server) apiAdminWithdraw(req *request) error {
	if err := s.Catalog.Withdraw(req.ctx(), req.p, req.r.PathValue("code")); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAdminSynonyms(req *request) error {
	l, err := s.Catalog.Synonyms(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(l))
	return nil
}

func (s *Server) apiAdminPutSynonym(req *request) error {
	var in struct {
		Expansions []string `json:"expansions"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	sy, err := s.Catalog.PutSynonym(req.ctx(), req.p, catalog.Synonym{Term: req.r.PathValue("term"), Expansions: in.Expansions})
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, sy)
	return nil
}

func (s *Server) apiAdminDeleteSynonym(req *request) error {
	if err := s.Catalog.DeleteSynonym(req.ctx(), req.p, req.r.PathValue("term")); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAdminPutTheme(req *request) error {
	var t catalog.Theme
	if err := decodeJSON(req, &t); err != nil {
		return err
	}
	t.Code = req.r.PathValue("code")
	out, err := s.Catalog.PutTheme(req.ctx(), req.p, t)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, out)
	return nil
}

func (s *Server) apiAdminDeleteTheme(req *request) error {
	if err := s.Catalog.DeleteTheme(req.ctx(), req.p, req.r.PathValue("code")); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAdminExport(req *request) error {
	var buf bytes.Buffer
	if err := s.Catalog.Export(req.ctx(), req.p, s.Org, &buf); err != nil {
		return err
	}
	req.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	req.w.Header().Set("Cache-Control", "no-store")
	req.w.Write(buf.Bytes())
	return nil
}

func (s *Server) apiAdminImport(req *request) error {
	body := http.MaxBytesReader(req.w, req.r.Body, maxImportBytes)
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	res, err := s.Catalog.Import(req.ctx(), req.p, s.Org, bytes.NewReader(b))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, res)
	return nil
}

type staffView struct {
	Account *identity.Account    `json:"account"`
	Roles   []identity.RoleGrant `json:"roles"`
}

func (s *Server) apiAdminStaff(req *request) error {
	dept := req.r.URL.Query().Get("department")
	if dept == "" {
		dept = req.p.Account.DepartmentCode
	}
	if !req.p.CanIn(identity.PermStaffManage, dept) {
		return forbidden()
	}
	staff, err := s.Identity.Staff(req.ctx(), dept)
	if err != nil {
		return err
	}
	out := make([]staffView, len(staff))
	for i, p := range staff {
		out[i] = staffView{p.Account, p.Grants}
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

func (s *Server) apiAdminCreateStaff(req *request) error {
	var in identity.StaffInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	a, err := s.Identity.CreateStaff(req.ctx(), req.p, in)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiAdminSetRoles(req *request) error {
	var in struct {
		Roles []identity.RoleGrant `json:"roles"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if _, err := s.managedStaff(req, id); err != nil {
		return err
	}
	if err := s.Identity.SetStaffRoles(req.ctx(), req.p, id, in.Roles); err != nil {
		return err
	}
	p, err := s.Identity.Principal(req.ctx(), id)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, staffView{p.Account, p.Grants})
	return nil
}

func (s *Server) apiAdminPutDivision(req *request) error {
	var v org.Division
	if err := decodeJSON(req, &v); err != nil {
		return err
	}
	v.Code = req.r.PathValue("code")
	err := s.DB.Tx(req.ctx(), func(tx *db.Tx) error { return s.Org.PutDivision(req.ctx(), tx, v) })
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, v)
	return nil
}

func (s *Server) apiAdminPutDepartment(req *request) error {
	var d org.Department
	if err := decodeJSON(req, &d); err != nil {
		return err
	}
	d.Code = req.r.PathValue("code")
	err := s.DB.Tx(req.ctx(), func(tx *db.Tx) error { return s.Org.PutDepartment(req.ctx(), tx, d) })
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, d)
	return nil
}

func (s *Server) apiSupervisionCatalog(req *request) error {
	rows, err := s.supervisionRows(req)
	if err != nil {
		return err
	}
	type row struct {
		Department        string   `json:"department_code"`
		Published         int      `json:"published"`
		Drafts            int      `json:"drafts"`
		Withdrawn         int      `json:"withdrawn"`
		FullOnlinePercent float64  `json:"full_online_percent"`
		AvgPromisedDays   float64  `json:"avg_promised_days"`
		AvgStatutoryDays  *float64 `json:"avg_statutory_days"`
	}
	out := make([]row, len(rows))
	for i, r := range rows {
		out[i] = row{r.Department.Code, r.Published, r.Drafts, r.Withdrawn, r.FullOnline, r.AvgPromisedDays, r.AvgStatutoryDay}
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

// openapi serves the API description.
func (s *Server) openapi(req *request) error {
	req.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	req.w.Header().Set("Access-Control-Allow-Origin", "*")
	req.w.Write(openapiDoc)
	return nil
}
