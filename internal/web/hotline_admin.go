package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/ratelimit"
)

// The dispatcher's telephone intake (电话登记) and the platform admin's
// hotline settings: the category tree with its Open311 questions, the
// dispatch rules, the working-day limits per kind and the Open311 API
// keys. Each page is a thin skin over one hotline.Store call, and each has
// its JSON API twin.

// --- Telephone intake ---

// hotlineCallPage is the intake form: first a category, then the call.
func (s *Server) hotlineCallPage(req *request) error {
	v, err := s.fileView(req, req.r.URL.Query().Get("category"))
	if err != nil {
		return err
	}
	v.Call = true
	return s.render(req, http.StatusOK, "hotline_new", req.t("hotline_call_title"), v)
}

// hotlineCallSubmit files a telephone call and opens the ticket, where the
// suggested department is preselected for dispatch. The caller's phone
// travels in the body only.
func (s *Server) hotlineCallSubmit(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	form := map[string][]string(req.r.PostForm)
	in, err := ticketInputFromForm(form)
	var t *hotline.Ticket
	if err == nil {
		t, err = s.Hotline.File(req.ctx(), req.p, hotline.Phone, in, nil)
	}
	if err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return hotlineError(err)
		}
		v, verr := s.fileView(req, in.Category)
		if verr != nil {
			return verr
		}
		v.Call = true
		values := map[string]string{}
		for k, vs := range form {
			if len(vs) > 0 {
				values[k] = vs[0]
			}
		}
		return s.renderPage(req, http.StatusUnprocessableEntity, "hotline_new", &page{Title: req.t("hotline_call_title"), Data: v, Errors: msgs, Form: values})
	}
	if t.SuggestedDepartment != "" {
		names, _, err := s.deptNames(req.ctx(), req.lang)
		if err != nil {
			return err
		}
		s.setFlash(req, "hotline_call_filed", t.Number, names[t.SuggestedDepartment])
	} else {
		s.setFlash(req, "hotline_call_filed_no_rule", t.Number)
	}
	return s.redirect(req, "/hotline/tickets/"+t.ID+"#dispatch")
}

// apiFileCall files a telephone call (channel phone) with the caller's
// details; the answer carries the suggested department.
func (s *Server) apiFileCall(req *request) error {
	var in hotline.Input
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	t, err := s.Hotline.File(req.ctx(), req.p, hotline.Phone, in, nil)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, t)
	return nil
}

// --- Settings: the overview ---

// hotlineAdminView is the settings page: the category tree, the rules, the
// limits per kind and the API keys; NewKey is a key just issued, shown
// once.
type hotlineAdminView struct {
	Categories []hotline.Category
	CatNames   map[string]string
	Rules      []hotline.Rule
	Divisions  []org.Division
	DivNames   map[string]string
	Depts      []org.Department
	DeptNames  map[string]string
	Kinds      []hotline.Kind
	Deadlines  map[hotline.Kind]int
	Keys       []hotline.APIKey
	// KeyIssued is when each key was issued, in the platform's time zone.
	KeyIssued map[string]string
	// DefaultKeyRate is the rate of keys without their own.
	DefaultKeyRate string
	NewKey         string
	NewKeyName     string
}

func (s *Server) hotlineAdminView(req *request) (*hotlineAdminView, error) {
	ctx := req.ctx()
	v := &hotlineAdminView{Kinds: hotline.Kinds, CatNames: map[string]string{}, DivNames: map[string]string{}}
	var err error
	if v.Categories, err = s.Hotline.Categories(ctx); err != nil {
		return nil, err
	}
	for _, c := range v.Categories {
		v.CatNames[c.Code] = c.Name
		if req.lang == i18n.EN && c.NameEn != "" {
			v.CatNames[c.Code] = c.NameEn
		}
	}
	if v.Rules, err = s.Hotline.Rules(ctx); err != nil {
		return nil, err
	}
	if v.Divisions, err = s.Org.Divisions(ctx); err != nil {
		return nil, err
	}
	for _, d := range v.Divisions {
		v.DivNames[d.Code] = d.Name
	}
	if v.DeptNames, v.Depts, err = s.deptNames(ctx, req.lang); err != nil {
		return nil, err
	}
	if v.Deadlines, err = s.Hotline.Deadlines(ctx); err != nil {
		return nil, err
	}
	if v.Keys, err = s.Hotline.Keys(ctx, req.p); err != nil {
		return nil, err
	}
	v.DefaultKeyRate = s.Config.RateLimits.Rate(ratelimit.Open311Key).String()
	v.KeyIssued = map[string]string{}
	for _, k := range v.Keys {
		v.KeyIssued[k.ID] = k.CreatedAt.In(s.Config.Location).Format("2006-01-02 15:04")
	}
	return v, nil
}

func (s *Server) hotlineAdminPage(req *request) error {
	v, err := s.hotlineAdminView(req)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "admin_hotline", req.t("hotline_admin_title"), v)
}

// hotlineAdminFailed shows the settings page again with a form's errors,
// or returns err when it is not about the input.
func (s *Server) hotlineAdminFailed(req *request, err error, fields ...string) error {
	msgs, ok := formErrors(req.lang, err)
	if !ok {
		return err
	}
	v, verr := s.hotlineAdminView(req)
	if verr != nil {
		return verr
	}
	return s.renderPage(req, http.StatusUnprocessableEntity, "admin_hotline", &page{Title: req.t("hotline_admin_title"), Data: v, Errors: msgs, Form: formMap(req, fields...)})
}

// --- Categories ---

// categoryEditView is the form for one category; New when creating.
type categoryEditView struct {
	Cat        hotline.Category
	New        bool
	Categories []hotline.Category
	// Rows are the question rows the form shows: the category's
	// questions and two empty ones to add more.
	Rows []hotline.Attribute
}

func (s *Server) renderCategory(req *request, status int, v *categoryEditView, msgs map[string]string) error {
	cats, err := s.Hotline.Categories(req.ctx())
	if err != nil {
		return err
	}
	v.Categories = cats
	v.Rows = append(append([]hotline.Attribute{}, v.Cat.Attributes...), hotline.Attribute{}, hotline.Attribute{})
	title := req.t("hotline_category_new")
	if !v.New {
		title = req.t("hotline_category_edit", v.Cat.Name)
	}
	return s.renderPage(req, status, "admin_hotline_category", &page{Title: title, Data: v, Errors: msgs})
}

func (s *Server) hotlineCategoryNewPage(req *request) error {
	return s.renderCategory(req, http.StatusOK, &categoryEditView{New: true, Cat: hotline.Category{Active: true, ParentCode: req.r.URL.Query().Get("parent")}}, nil)
}

func (s *Server) hotlineCategoryPage(req *request) error {
	c, err := s.Hotline.Category(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	return s.renderCategory(req, http.StatusOK, &categoryEditView{Cat: *c}, nil)
}

// categoryFromForm reads the category form. Question rows are
// attr.N.code, attr.N.description, attr.N.datatype, attr.N.required and
// attr.N.values (one choice a line, "key=name"); a row left empty is
// dropped, so clearing a row removes the question.
func categoryFromForm(req *request, code string) (hotline.Category, error) {
	f := req.r.PostForm
	c := hotline.Category{Code: strings.TrimSpace(code), ParentCode: f.Get("parent_code"), Name: f.Get("name"), NameEn: strings.TrimSpace(f.Get("name_en")),
		Description: strings.TrimSpace(f.Get("description")), Active: f.Get("active") == "1", Attributes: []hotline.Attribute{}}
	var e fielderr.Errors
	if p := strings.TrimSpace(f.Get("position")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 9999 {
			e.Add("position", "hotline_position_invalid")
		}
		c.Position = n
	}
	for i := 0; i < 40; i++ {
		at := fmt.Sprintf("attr.%d.", i)
		if _, ok := f[at+"code"]; !ok {
			continue
		}
		a := hotline.Attribute{Code: strings.TrimSpace(f.Get(at + "code")), Description: strings.TrimSpace(f.Get(at + "description")),
			Datatype: f.Get(at + "datatype"), Required: f.Get(at+"required") == "1"}
		values := strings.TrimSpace(f.Get(at + "values"))
		if a.Code == "" && a.Description == "" && values == "" {
			continue
		}
		for _, line := range strings.Split(values, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			k, n, ok := strings.Cut(line, "=")
			if !ok {
				n = k
			}
			a.Values = append(a.Values, hotline.AttrValue{Key: strings.TrimSpace(k), Name: strings.TrimSpace(n)})
		}
		c.Attributes = append(c.Attributes, a)
	}
	return c, e.Err()
}

func (s *Server) hotlineCategorySave(req *request, code string, isNew bool) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	c, err := categoryFromForm(req, code)
	switch {
	case err != nil:
	case isNew:
		// Creating never overwrites a category of the same code.
		_, err = s.Hotline.CreateCategory(req.ctx(), req.p, c)
	default:
		_, err = s.Hotline.PutCategory(req.ctx(), req.p, c)
	}
	if err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return err
		}
		return s.renderCategory(req, http.StatusUnprocessableEntity, &categoryEditView{Cat: c, New: isNew}, msgs)
	}
	s.setFlash(req, "hotline_category_saved", c.Name)
	return s.redirect(req, "/admin/hotline#categories")
}

func (s *Server) hotlineCategoryCreate(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	return s.hotlineCategorySave(req, req.r.PostFormValue("code"), true)
}

func (s *Server) hotlineCategoryUpdate(req *request) error {
	if _, err := s.Hotline.Category(req.ctx(), req.r.PathValue("code")); err != nil {
		return err
	}
	return s.hotlineCategorySave(req, req.r.PathValue("code"), false)
}

// --- Rules, deadlines, keys ---

func (s *Server) hotlineRuleCreate(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	f := req.r.PostForm
	_, err := s.Hotline.PutRule(req.ctx(), req.p, hotline.Rule{CategoryCode: f.Get("category_code"), DivisionCode: f.Get("division_code"), DepartmentCode: f.Get("department_code")})
	if err != nil {
		return s.hotlineAdminFailed(req, err, "category_code", "division_code", "department_code")
	}
	s.setFlash(req, "hotline_rule_saved")
	return s.redirect(req, "/admin/hotline#rules")
}

func (s *Server) hotlineRuleDelete(req *request) error {
	if err := s.Hotline.DeleteRule(req.ctx(), req.p, req.r.PathValue("id")); err != nil {
		return err
	}
	s.setFlash(req, "hotline_rule_deleted")
	return s.redirect(req, "/admin/hotline#rules")
}

// parseDays reads a number of working days from a form or fails on field.
func parseDays(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fielderr.New("days", "hotline_days_range", 1, 60)
	}
	return n, nil
}

func (s *Server) hotlineDeadlineSave(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	kind := hotline.Kind(req.r.PathValue("kind"))
	if !kind.Valid() {
		return notFound()
	}
	days, err := parseDays(req.r.PostFormValue("days"))
	if err == nil {
		err = s.Hotline.SetDeadline(req.ctx(), req.p, kind, days)
	}
	if err != nil {
		// Each kind has its own form: its field is days.<kind>.
		var inv *fielderr.Invalid
		if !errors.As(err, &inv) {
			return err
		}
		var e fielderr.Errors
		for _, f := range inv.Fields {
			e.Add(f.Field+"."+string(kind), f.Key, f.Params...)
		}
		msgs, _ := formErrors(req.lang, e.Err())
		v, verr := s.hotlineAdminView(req)
		if verr != nil {
			return verr
		}
		form := map[string]string{"days." + string(kind): req.r.PostFormValue("days")}
		return s.renderPage(req, http.StatusUnprocessableEntity, "admin_hotline", &page{Title: req.t("hotline_admin_title"), Data: v, Errors: msgs, Form: form})
	}
	s.setFlash(req, "hotline_deadline_saved", req.t("hotline_kind_"+string(kind)), days)
	return s.redirect(req, "/admin/hotline#deadlines")
}

// hotlineKeyIssue issues a key and shows it on the page that answers the
// form, once: it is never put in a URL, a cookie or a log.
func (s *Server) hotlineKeyIssue(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	key, k, err := s.Hotline.IssueKey(req.ctx(), req.p, req.r.PostFormValue("name"))
	if err != nil {
		return s.hotlineAdminFailed(req, err, "name")
	}
	v, err := s.hotlineAdminView(req)
	if err != nil {
		return err
	}
	v.NewKey, v.NewKeyName = key, k.Name
	req.w.Header().Set("Cache-Control", "no-store")
	return s.renderPage(req, http.StatusOK, "admin_hotline", &page{Title: req.t("hotline_admin_title"), Data: v, Flash: req.t("hotline_key_issued", k.Name)})
}

func (s *Server) hotlineKeyRevoke(req *request) error {
	if err := s.Hotline.RevokeKey(req.ctx(), req.p, req.r.PathValue("id")); err != nil {
		return err
	}
	s.setFlash(req, "hotline_key_revoked")
	return s.redirect(req, "/admin/hotline#keys")
}

// --- JSON API ---

// apiAdminHotlineCategories lists every category, the inactive ones too.
func (s *Server) apiAdminHotlineCategories(req *request) error {
	cats, err := s.Hotline.Categories(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(cats))
	return nil
}

func (s *Server) apiAdminPutHotlineCategory(req *request) error {
	var c hotline.Category
	if err := decodeJSON(req, &c); err != nil {
		return err
	}
	c.Code = req.r.PathValue("code")
	out, err := s.Hotline.PutCategory(req.ctx(), req.p, c)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, out)
	return nil
}

func (s *Server) apiAdminHotlineRules(req *request) error {
	rules, err := s.Hotline.Rules(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(rules))
	return nil
}

func (s *Server) apiAdminPutHotlineRule(req *request) error {
	var r hotline.Rule
	if err := decodeJSON(req, &r); err != nil {
		return err
	}
	out, err := s.Hotline.PutRule(req.ctx(), req.p, r)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiAdminDeleteHotlineRule(req *request) error {
	if err := s.Hotline.DeleteRule(req.ctx(), req.p, req.r.PathValue("id")); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// deadlineOut is one kind's limit.
type deadlineOut struct {
	Kind hotline.Kind `json:"kind"`
	Days int          `json:"days"`
}

func (s *Server) apiAdminHotlineDeadlines(req *request) error {
	d, err := s.Hotline.Deadlines(req.ctx())
	if err != nil {
		return err
	}
	out := make([]deadlineOut, 0, len(hotline.Kinds))
	for _, k := range hotline.Kinds {
		out = append(out, deadlineOut{k, d[k]})
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

func (s *Server) apiAdminPutHotlineDeadline(req *request) error {
	var in struct {
		Days int `json:"days"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	kind := hotline.Kind(req.r.PathValue("kind"))
	if !kind.Valid() {
		return notFound()
	}
	if err := s.Hotline.SetDeadline(req.ctx(), req.p, kind, in.Days); err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, deadlineOut{kind, in.Days})
	return nil
}

func (s *Server) apiAdminHotlineKeys(req *request) error {
	keys, err := s.Hotline.Keys(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(keys))
	return nil
}

// issuedKey is a key just issued: the only time the key is shown.
type issuedKey struct {
	hotline.APIKey
	Key string `json:"key"`
}

func (s *Server) apiAdminIssueHotlineKey(req *request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	key, k, err := s.Hotline.IssueKey(req.ctx(), req.p, in.Name)
	if err != nil {
		return err
	}
	req.w.Header().Set("Cache-Control", "no-store")
	writeJSON(req.w, http.StatusCreated, issuedKey{APIKey: *k, Key: key})
	return nil
}

func (s *Server) apiAdminRevokeHotlineKey(req *request) error {
	if err := s.Hotline.RevokeKey(req.ctx(), req.p, req.r.PathValue("id")); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// hotlineKeyRate gives an Open311 app's key its own rate limit, or the
// platform's default again when the field is left empty.
func (s *Server) hotlineKeyRate(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	if err := s.Hotline.SetKeyRate(req.ctx(), req.p, req.r.PathValue("id"), req.r.PostFormValue("rate_limit")); err != nil {
		return s.hotlineAdminFailed(req, err, "rate_limit", "key_id")
	}
	s.setFlash(req, "hotline_key_rate_saved")
	return s.redirect(req, "/admin/hotline#keys")
}

// keyRateInput is the body of PUT …/keys/{id}/rate-limit.
type keyRateInput struct {
	RateLimit string `json:"rate_limit"`
}

func (s *Server) apiAdminSetHotlineKeyRate(req *request) error {
	var in keyRateInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	if err := s.Hotline.SetKeyRate(req.ctx(), req.p, req.r.PathValue("id"), in.RateLimit); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
