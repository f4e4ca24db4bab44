package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
)

// licenseError maps the license package's state conflicts to a 409 that
// says so.
func licenseError(err error) error {
	if errors.Is(err, license.ErrState) {
		return &httpError{Code: http.StatusConflict, Key: "license_state_conflict", Err: err}
	}
	return err
}

// checkURL is the public verification page a license's QR code opens.
func (s *Server) checkURL(l *license.License) string {
	return s.Config.BaseURL + "/licenses/check/" + l.ID + "/" + l.Code()
}

// shareURL is the public page of a share link.
func (s *Server) shareURL(token string) string {
	return s.Config.BaseURL + "/licenses/shared?t=" + url.QueryEscape(token)
}

// licenseRow is a license with its words in the reader's language.
type licenseRow struct {
	L        *license.License
	TypeName string
	State    string
	Until    string
	// Issued is the day of issue in the platform's time zone.
	Issued string
}

func (s *Server) licenseRows(req *request, list []*license.License) []licenseRow {
	out := make([]licenseRow, len(list))
	for i, l := range list {
		out[i] = licenseRow{L: l, TypeName: l.TypeName, State: req.t("license_state_" + string(l.State)), Until: l.Until(),
			Issued: l.IssuedAt.In(s.Config.Location).Format("2006-01-02")}
		if req.lang == i18n.EN && l.TypeNameEn != "" {
			out[i].TypeName = l.TypeNameEn
		}
		if out[i].Until == "" {
			out[i].Until = req.t("license_indefinite")
		}
	}
	return out
}

// Wallet pages (the holder).

func (s *Server) walletPage(req *request) error {
	held, err := s.Licenses.Wallet(req.ctx(), req.p)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "licenses", req.t("licenses_title"), s.licenseRows(req, held))
}

// licenseView is what the license page shows.
type licenseView struct {
	licenseRow
	Fields   []license.PublicField
	Holder   bool
	Manage   bool
	CheckURL string
	Shares   []shareRow
	// NewShare is the link just made: its token is shown this once.
	NewShare string
}

type shareRow struct {
	S       *license.Share
	Active  bool
	Created string
	Expires string
}

func (s *Server) licenseView(req *request, id string) (*licenseView, error) {
	l, err := s.Licenses.Get(req.ctx(), req.p, id)
	if err != nil {
		return nil, err
	}
	v := &licenseView{licenseRow: s.licenseRows(req, []*license.License{l})[0], CheckURL: s.checkURL(l),
		Manage: req.p.CanIn(identity.PermLicenseManage, l.Department)}
	if t, err := s.Licenses.Type(req.ctx(), l.Type); err == nil {
		for _, f := range t.Fields {
			if val, ok := l.Fields[f.Name]; ok {
				label := f.Label
				if req.lang == i18n.EN && f.LabelEn != "" {
					label = f.LabelEn
				}
				v.Fields = append(v.Fields, license.PublicField{Name: f.Name, Label: label, Value: val})
			}
		}
	}
	if req.p.Can(identity.PermLicenseHold) {
		shares, err := s.Licenses.Shares(req.ctx(), req.p, id)
		if err == nil {
			v.Holder = true
			now := s.Now()
			for _, sh := range shares {
				v.Shares = append(v.Shares, shareRow{S: sh, Active: sh.Active(now), Created: sh.CreatedAt.In(s.Config.Location).Format("2006-01-02 15:04"), Expires: sh.ExpiresAt.In(s.Config.Location).Format("2006-01-02 15:04")})
			}
		}
	}
	return v, nil
}

func (s *Server) licensePage(req *request) error {
	v, err := s.licenseView(req, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "license", v.TypeName, v)
}

func (s *Server) licensePDF(req *request) error {
	l, err := s.Licenses.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	t, err := s.Licenses.Type(req.ctx(), l.Type)
	if err != nil {
		return err
	}
	key := "license_pdf_id_number"
	if l.HolderKind == license.Organization {
		key = "license_pdf_credit_code"
	}
	txt := license.PDFText{Holder: req.t("license_pdf_holder"), HolderKey: req.t(key), Validity: req.t("license_validity"),
		Indefinite: req.t("license_indefinite"), Issuer: req.t("license_issuer"), IssuedOn: req.t("license_issued_on"),
		Number: req.t("license_number"), Scan: req.t("license_pdf_scan"), Signed: req.t("license_pdf_signed", l.DepartmentName),
		IssuedDate: l.IssuedAt.In(s.Config.Location).Format("2006-01-02")}
	if l.State != license.Valid {
		txt.StateNote = req.t("license_state_" + string(l.State))
	}
	pdf, err := l.PDF(t, s.checkURL(l), txt)
	if err != nil {
		return err
	}
	h := req.w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="license-`+l.Number+`.pdf"`)
	h.Set("Cache-Control", "no-store")
	req.w.Write(pdf)
	return nil
}

func (s *Server) licenseSigned(req *request) error {
	l, err := s.Licenses.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := l.Signed()
	if err != nil {
		return err
	}
	h := req.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="license-`+l.Number+`.json"`)
	h.Set("Cache-Control", "no-store")
	req.w.Write(append(b, '\n'))
	return nil
}

func (s *Server) shareCreate(req *request) error {
	id := req.r.PathValue("id")
	sh, err := s.Licenses.CreateShare(req.ctx(), req.p, id, req.r.PostFormValue("expires_in"))
	if err != nil {
		if errs, ok := formErrors(req.lang, err); ok {
			v, verr := s.licenseView(req, id)
			if verr != nil {
				return verr
			}
			return s.renderPage(req, http.StatusUnprocessableEntity, "license", &page{Title: v.TypeName, Data: v, Errors: errs})
		}
		return err
	}
	v, err := s.licenseView(req, id)
	if err != nil {
		return err
	}
	v.NewShare = s.shareURL(sh.Token)
	return s.renderPage(req, http.StatusCreated, "license", &page{Title: v.TypeName, Data: v, Flash: req.t("license_share_created")})
}

func (s *Server) shareRevoke(req *request) error {
	id := req.r.PathValue("id")
	if _, err := s.Licenses.RevokeShare(req.ctx(), req.p, id, req.r.PathValue("sid")); err != nil {
		return licenseError(err)
	}
	s.setFlash(req, "license_share_revoked")
	return s.redirect(req, "/licenses/"+id)
}

// Public verification.

// verificationView is the verification page's content.
type verificationView struct {
	V        *license.Verification
	Outcome  string
	Problem  string
	TypeName string
	Fields   []license.PublicField
	StateAt  string
	Shared   string
	Checked  string
	// Upload is true on the upload form.
	Upload bool
}

func (s *Server) verificationView(req *request, v *license.Verification) *verificationView {
	out := &verificationView{V: v, Outcome: req.t("license_outcome_" + string(v.Outcome)),
		Checked: v.CheckedAt.In(s.Config.Location).Format("2006-01-02 15:04:05")}
	if v.Problem != "" {
		out.Problem = req.t("license_problem_" + v.Problem)
	}
	if v.StateAt != nil {
		out.StateAt = v.StateAt.In(s.Config.Location).Format("2006-01-02 15:04")
	}
	if v.SharedUntil != nil {
		out.Shared = v.SharedUntil.In(s.Config.Location).Format("2006-01-02 15:04")
	}
	if l := v.License; l != nil {
		out.TypeName = l.TypeName
		if req.lang == i18n.EN && l.TypeNameEn != "" {
			out.TypeName = l.TypeNameEn
		}
		for _, f := range l.Fields {
			if req.lang == i18n.EN && f.LabelEn != "" {
				f.Label = f.LabelEn
			}
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}

func (s *Server) renderVerification(req *request, v *license.Verification) error {
	req.w.Header().Set("Cache-Control", "no-store")
	return s.render(req, http.StatusOK, "license_verify", req.t("license_verify_title"), s.verificationView(req, v))
}

func (s *Server) licenseCheckPage(req *request) error {
	v, err := s.Licenses.Check(req.ctx(), req.r.PathValue("id"), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	return s.renderVerification(req, v)
}

func (s *Server) licenseSharedPage(req *request) error {
	v, err := s.Licenses.CheckShare(req.ctx(), req.r.URL.Query().Get("t"))
	if err != nil {
		return err
	}
	return s.renderVerification(req, v)
}

func (s *Server) licenseVerifyForm(req *request) error {
	return s.render(req, http.StatusOK, "license_verify", req.t("license_verify_title"), &verificationView{Upload: true})
}

// maxSignedBytes bounds an uploaded signed license.
const maxSignedBytes = 256 << 10

// licenseVerifyUpload checks a signed license uploaded as a file (field
// "file") or pasted (field "signed").
func (s *Server) licenseVerifyUpload(req *request) error {
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, maxSignedBytes)
	var raw []byte
	f, _, err := req.r.FormFile("file")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case err == nil:
		raw, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			return badRequest(err)
		}
	}
	if len(raw) == 0 {
		raw = []byte(req.r.PostFormValue("signed"))
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return s.renderPage(req, http.StatusUnprocessableEntity, "license_verify", &page{Title: req.t("license_verify_title"),
			Data: &verificationView{Upload: true}, Errors: map[string]string{"file": req.t("required")}})
	}
	v, err := s.Licenses.CheckSigned(req.ctx(), raw)
	if err != nil {
		return err
	}
	return s.renderVerification(req, v)
}

func (s *Server) licenseKeys(req *request) error {
	keys, err := s.Licenses.PublicKeys(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, map[string]any{"format": license.SignedFormat, "keys": keys})
	return nil
}

// Department pages: issued licenses, revoking, suspending, reinstating.

type staffLicensesView struct {
	Rows   []licenseRow
	Number string
}

func (s *Server) staffLicensesPage(req *request) error {
	number := req.r.URL.Query().Get("number")
	issued, err := s.Licenses.Issued(req.ctx(), req.p, number)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "staff_licenses", req.t("staff_licenses_title"), &staffLicensesView{Rows: s.licenseRows(req, issued), Number: number})
}

func (s *Server) staffLicenseState(req *request) error {
	id := req.r.PathValue("id")
	_, err := s.Licenses.Change(req.ctx(), req.p, id, license.Action(req.r.PostFormValue("action")), req.r.PostFormValue("reason"))
	if err != nil {
		if errs, ok := formErrors(req.lang, err); ok {
			v, verr := s.licenseView(req, id)
			if verr != nil {
				return verr
			}
			return s.renderPage(req, http.StatusUnprocessableEntity, "license", &page{Title: v.TypeName, Data: v, Errors: errs,
				Form: map[string]string{"reason": req.r.PostFormValue("reason")}})
		}
		return licenseError(err)
	}
	s.setFlash(req, "license_state_changed")
	return s.redirect(req, "/licenses/"+id)
}

// License types (department admins).

type licenseTypesView struct {
	Types []*license.Type
	// Edit is the type in the form; FieldsJSON its fields as JSON text.
	Edit       *license.Type
	FieldsJSON string
	Names      map[string]string
}

func fieldsText(t *license.Type) string {
	if t == nil {
		return "[]"
	}
	b, _ := json.MarshalIndent(t.Fields, "", "  ")
	return string(b)
}

func (s *Server) licenseTypesPage(req *request) error {
	types, err := s.Licenses.ManagedTypes(req.ctx(), req.p)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "admin_license_types", req.t("license_types_title"),
		&licenseTypesView{Types: types, FieldsJSON: "[]", Names: s.departmentNames(req)})
}

func (s *Server) licenseTypePage(req *request) error {
	t, err := s.Licenses.Type(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	if !req.p.CanIn(identity.PermLicenseTypes, t.Department) {
		return notFound()
	}
	return s.render(req, http.StatusOK, "admin_license_types", t.Name, &licenseTypesView{Edit: t, FieldsJSON: fieldsText(t), Names: s.departmentNames(req)})
}

func (s *Server) licenseTypeSave(req *request) error {
	if err := req.r.ParseForm(); err != nil {
		return badRequest(err)
	}
	f := req.r.PostForm
	t := license.Type{Code: f.Get("code"), Department: f.Get("department_code"), Name: f.Get("name"), NameEn: f.Get("name_en"),
		Prefix: f.Get("prefix"), HolderKind: license.HolderKind(f.Get("holder_kind"))}
	years, yerr := strconv.Atoi(strings.TrimSpace(f.Get("validity_years")))
	t.ValidityYears = years
	ferr := json.Unmarshal([]byte(f.Get("fields")), &t.Fields)
	var err error
	switch {
	case yerr != nil && strings.TrimSpace(f.Get("validity_years")) != "":
		err = fielderr.New("validity_years", "license_validity_range")
	case ferr != nil:
		err = jsonErrorIn("fields", []byte(f.Get("fields")), ferr)
	default:
		_, err = s.Licenses.PutType(req.ctx(), req.p, t)
	}
	if err != nil {
		errs, ok := formErrors(req.lang, err)
		if !ok {
			return err
		}
		form := map[string]string{}
		for k := range f {
			form[k] = f.Get(k)
		}
		return s.renderPage(req, http.StatusUnprocessableEntity, "admin_license_types", &page{Title: req.t("license_types_title"),
			Data: &licenseTypesView{Edit: &t, FieldsJSON: f.Get("fields"), Names: s.departmentNames(req)}, Errors: errs, Form: form})
	}
	s.setFlash(req, "saved")
	return s.redirect(req, "/admin/license-types/"+t.Code)
}

// JSON API.

func (s *Server) apiWallet(req *request) error {
	held, err := s.Licenses.Wallet(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(held))
	return nil
}

func (s *Server) apiLicense(req *request) error {
	l, err := s.Licenses.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, struct {
		*license.License
		CheckURL string `json:"check_url"`
	}{l, s.checkURL(l)})
	return nil
}

func (s *Server) apiShares(req *request) error {
	shares, err := s.Licenses.Shares(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(shares))
	return nil
}

func (s *Server) apiCreateShare(req *request) error {
	var in struct {
		ExpiresIn string `json:"expires_in"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	sh, err := s.Licenses.CreateShare(req.ctx(), req.p, req.r.PathValue("id"), in.ExpiresIn)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, struct {
		*license.Share
		URL string `json:"url"`
	}{sh, s.shareURL(sh.Token)})
	return nil
}

func (s *Server) apiRevokeShare(req *request) error {
	sh, err := s.Licenses.RevokeShare(req.ctx(), req.p, req.r.PathValue("id"), req.r.PathValue("sid"))
	if err != nil {
		return licenseError(err)
	}
	writeJSON(req.w, http.StatusOK, sh)
	return nil
}

func (s *Server) apiLicenseCheck(req *request) error {
	v, err := s.Licenses.Check(req.ctx(), req.r.PathValue("id"), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, v)
	return nil
}

func (s *Server) apiLicenseShared(req *request) error {
	v, err := s.Licenses.CheckShare(req.ctx(), req.r.URL.Query().Get("t"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, v)
	return nil
}

// apiLicenseVerify checks a signed license sent as the request body.
func (s *Server) apiLicenseVerify(req *request) error {
	raw, err := io.ReadAll(http.MaxBytesReader(req.w, req.r.Body, maxSignedBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if err != nil {
		return badRequest(err)
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return fielderr.New("body", "required")
	}
	v, err := s.Licenses.CheckSigned(req.ctx(), raw)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, v)
	return nil
}

// maskedLicenses hides holders' ID numbers in a department's list: staff look
// a license up by its number, not by the person.
func maskedLicenses(list []*license.License) []license.License {
	out := make([]license.License, len(list))
	for i, l := range list {
		out[i] = *l
		if l.HolderKind == license.Person {
			out[i].HolderKey = idcheck.MaskIDNumber(l.HolderKey)
		}
	}
	return out
}

func (s *Server) apiIssuedLicenses(req *request) error {
	issued, err := s.Licenses.Issued(req.ctx(), req.p, req.r.URL.Query().Get("number"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(maskedLicenses(issued)))
	return nil
}

func (s *Server) apiLicenseState(req *request) error {
	var in struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	l, err := s.Licenses.Change(req.ctx(), req.p, req.r.PathValue("id"), license.Action(in.Action), in.Reason)
	if err != nil {
		return licenseError(err)
	}
	writeJSON(req.w, http.StatusOK, maskedLicenses([]*license.License{l})[0])
	return nil
}

func (s *Server) apiLicenseTypes(req *request) error {
	types, err := s.Licenses.ManagedTypes(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(types))
	return nil
}

func (s *Server) apiLicenseType(req *request) error {
	t, err := s.Licenses.Type(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	if !req.p.CanIn(identity.PermLicenseTypes, t.Department) {
		return notFound()
	}
	writeJSON(req.w, http.StatusOK, t)
	return nil
}

func (s *Server) apiPutLicenseType(req *request) error {
	var t license.Type
	if err := decodeJSON(req, &t); err != nil {
		return err
	}
	t.Code = req.r.PathValue("code")
	out, err := s.Licenses.PutType(req.ctx(), req.p, t)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, out)
	return nil
}
