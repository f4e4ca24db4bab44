package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/rating"
)

// appError maps the application package's state errors to responses that
// say what happened.
func appError(err error) error {
	switch {
	case errors.Is(err, application.ErrNotAssignee):
		return &httpError{Code: http.StatusConflict, Key: "task_claimed_by_other", Err: err}
	case errors.Is(err, application.ErrStale):
		return &httpError{Code: http.StatusConflict, Key: "changed_by_other", Err: err}
	case errors.Is(err, application.ErrState):
		return &httpError{Code: http.StatusConflict, Key: "not_in_this_state", Err: err}
	}
	return err
}

// applicationView is what the application page shows.
type applicationView struct {
	App     *application.Application
	Service *catalog.Service
	// ServiceName is the service's name in the page's language: in
	// English the version's English name, where it has one; else the
	// name the application keeps.
	ServiceName string
	Fields      []formField
	Materials   []materialRow
	Orgs        []*identity.Organization
	DeptNames   map[string]string
	StepNames   map[string]string
	Supplement  *application.SupplementRequest
	Upload      int64
	// Verified are the draft form's verified-identity fields and values.
	Verified map[string]string
	// Stamps are the application's ledger entries (上链盖戳), each with
	// a receipt once integrated.
	Stamps []ledger.Stamp
	// License is the electronic license the conclusion issued, when the
	// viewer may see it.
	License *license.License
	// Rating is the rating section (好差评), nil when there is none.
	Rating *ratingBlock
	// Staff is set when staff, not the applicant, look at it (the task
	// page), for the states that read differently to them.
	Staff bool
	// Unsaved is set when the form shows what was typed but not saved (a
	// save or submission refused): an upload must save it first.
	Unsaved bool
	// ErrorLinks are the errors the page shows beside their fields, each
	// with a link to its field, for the summary at the top of the page;
	// Loose are the errors the page has no field for, and Notice a word
	// about the draft that is not an error (see sortErrors).
	ErrorLinks []errorLink
	Loose      []string
	Notice     string
}

// errorLink is one entry of the error summary: the message, named by its
// field, and where the field is on the page.
type errorLink struct{ Href, Text string }

// sortErrors splits a page's errors into those shown beside their fields,
// linked in the page's order from the summary at the top, and the loose
// ones, shown there alone. The field "state" has places of its own and is
// left out.
func (v *applicationView) sortErrors(lang i18n.Lang, msgs map[string]string) {
	a := v.App
	draft := a.State == application.Draft
	asked := func(field string) bool {
		if v.Supplement == nil {
			return false
		}
		for _, it := range v.Supplement.Items {
			if it.Field == field {
				return true
			}
		}
		return false
	}
	done := map[string]bool{"state": true}
	colon := i18n.T(lang, "colon")
	link := func(key, href, name string) {
		msg, ok := msgs[key]
		if !ok || done[key] {
			return
		}
		done[key] = true
		if name != "" {
			msg = name + colon + msg
		}
		v.ErrorLinks = append(v.ErrorLinks, errorLink{Href: href, Text: msg})
	}
	if draft || v.Supplement != nil {
		link("file", "#materials", "")
		link("requirement", "#materials", "")
		for _, m := range v.Materials {
			link("materials."+m.Req.Code, "#material-"+m.Req.Code, m.Req.Name)
		}
	}
	if draft {
		link("form", "#form", "")
	}
	for _, f := range v.Fields {
		if !draft && !asked(f.Name) {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(msgs)) {
			if k == "form."+f.Name || strings.HasPrefix(k, "form."+f.Name+".") {
				link(k, "#f-"+f.Name, f.Title)
			}
		}
	}
	if v.Supplement != nil {
		link("note", "#note", i18n.T(lang, "supplement_note"))
	}
	if a.Withdrawable() {
		link("reason", "#reason", i18n.T(lang, "withdraw_reason"))
	}
	for _, k := range slices.Sorted(maps.Keys(msgs)) {
		if !done[k] {
			v.Loose = append(v.Loose, msgs[k])
		}
	}
}

// materialRow pairs a requirement with the files uploaded for it.
type materialRow struct {
	Req       catalog.MaterialRequirement
	Files     []application.Material
	Requested string // the supplement request's reason, when it asks for this
	// Fulfilled is set when a license or shared data provides the
	// material (免提交); Lapsed when one did until its license or grant
	// lapsed, so it must be uploaded after all.
	Fulfilled, Lapsed *application.Fulfilment
}

// FulfilledCount is how many materials need no upload.
func (v *applicationView) FulfilledCount() int {
	n := 0
	for _, m := range v.Materials {
		if m.Fulfilled != nil {
			n++
		}
	}
	return n
}

// markPrefilled flags the form fields the schema prefills: the verified
// identity fields are locked and show the verified value; fields taken
// from a license are marked as such.
func markPrefilled(fields []formField, schema json.RawMessage, verified map[string]string) []formField {
	pre, err := catalog.Prefills(schema)
	if err != nil {
		return fields
	}
	for i := range fields {
		p, ok := pre[fields[i].Name]
		if !ok {
			continue
		}
		if v, ok := verified[fields[i].Name]; ok {
			fields[i].Locked, fields[i].Value = true, v
		} else if !p.Identity {
			fields[i].FromLicense = fields[i].Value != ""
		}
	}
	return fields
}

// ItemName names what a supplement item asks for as the applicant knows
// it: the material's name or the form field's title.
func (v *applicationView) ItemName(it application.SupplementItem) string {
	for _, m := range v.Materials {
		if it.Material != "" && m.Req.Code == it.Material {
			return m.Req.Name
		}
	}
	for _, f := range v.Fields {
		if it.Field != "" && f.Name == it.Field {
			return f.Title
		}
	}
	return it.Material + it.Field
}

// localFulfilment is f as the page's reader reads it: a fulfilment keeps
// the names of the license type, the data resource and the department as
// they were when it was taken, in Chinese; in English they are read from
// the license types, the resources and deptNames (names in the page's
// language), where those have English names.
func (s *Server) localFulfilment(req *request, f *application.Fulfilment, deptNames map[string]string) (*application.Fulfilment, error) {
	if req.lang != i18n.EN {
		return f, nil
	}
	out := *f
	if name := deptNames[f.Department]; name != "" {
		out.DepartmentName = name
	}
	switch f.Source {
	case application.FromLicense:
		t, err := s.Licenses.Type(req.ctx(), f.LicenseType)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
		if t != nil && t.NameEn != "" {
			out.LicenseTypeName = t.NameEn
		}
	default:
		r, err := s.Exchange.Resource(req.ctx(), f.Resource)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
		if r != nil && r.NameEn != "" {
			out.ResourceName = r.NameEn
		}
	}
	return &out, nil
}

func (s *Server) viewApplication(req *request, a *application.Application) (*applicationView, error) {
	svc, err := s.Catalog.Version(req.ctx(), a.ServiceCode, a.ServiceVersion)
	if err != nil {
		return nil, err
	}
	v := &applicationView{App: a, Service: svc, ServiceName: a.ServiceName, Upload: s.Applications.UploadLimit() >> 20, Supplement: a.OpenSupplement()}
	if req.lang == i18n.EN && svc.NameEn != "" {
		v.ServiceName = svc.NameEn
	}
	if a.State == application.Draft {
		if v.Verified, err = s.Applications.VerifiedFields(req.ctx(), a, svc.FormSchema); err != nil {
			return nil, err
		}
	}
	v.Fields = markPrefilled(fillFields(schemaFields(svc.FormSchema), a.Form), svc.FormSchema, v.Verified)
	if v.DeptNames, _, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return nil, err
	}
	for _, m := range svc.Guide.Materials {
		row := materialRow{Req: m}
		if f := a.Fulfilment(m.Code); f != nil {
			if f, err = s.localFulfilment(req, f, v.DeptNames); err != nil {
				return nil, err
			}
			if f.Active() {
				row.Fulfilled = f
			} else {
				row.Lapsed = f
			}
		}
		for _, f := range a.Materials {
			if f.RequirementCode == m.Code {
				row.Files = append(row.Files, f)
			}
		}
		if v.Supplement != nil {
			for _, it := range v.Supplement.Items {
				if it.Material == m.Code {
					row.Requested = it.Reason
				}
			}
		}
		v.Materials = append(v.Materials, row)
	}
	v.StepNames = s.Applications.StepNames(req.ctx(), a, req.lang == "en")
	if a.State == application.Concluded && svc.IssuesLicense != nil {
		if v.License, err = s.Licenses.IssuedFor(req.ctx(), req.p, a.ID); err != nil {
			return nil, err
		}
	}
	if v.Rating, err = s.ratingBlock(req, rating.ApplicationObject, a.ID, "/applications/"+a.ID); err != nil {
		return nil, err
	}
	if s.Ledger != nil {
		if v.Stamps, err = s.Ledger.Stamps(req.ctx(), application.LedgerObject, a.ID); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// applyStart creates a draft from the service page's "apply" button.
func (s *Server) applyStart(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	code := req.r.PostFormValue("service")
	a, err := s.Applications.CreateDraft(req.ctx(), req.p, code, application.Applicant{OrganizationID: req.r.PostFormValue("organization_id")}, req.r.PostFormValue("idempotency_key"))
	if err != nil {
		// Why not is said on the guide, beside the button: it was a
		// flash after a redirect, easily taken for a confirmation.
		if msgs, ok := formErrors(req.lang, err); ok {
			keys := slices.Sorted(maps.Keys(msgs))
			return s.renderGuide(req, code, http.StatusUnprocessableEntity, msgs[keys[0]])
		}
		return appError(err)
	}
	return s.redirect(req, "/applications/"+a.ID)
}

// applicationsView is the list of the applicant's applications.
type applicationsView struct {
	Apps []*application.Application
	// ServiceNames names each application's service in the page's
	// language, by application ID.
	ServiceNames map[string]string
}

func (s *Server) myApplicationsPage(req *request) error {
	apps, err := s.Applications.Mine(req.ctx(), req.p)
	if err != nil {
		return err
	}
	v := applicationsView{Apps: apps}
	if v.ServiceNames, err = s.appServiceNames(req, apps); err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "applications", req.t("my_applications"), v)
}

func (s *Server) applicationPage(req *request) error {
	a, err := s.Applications.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderApplication(req, http.StatusOK, a, nil, nil)
}

func (s *Server) renderApplication(req *request, status int, a *application.Application, form json.RawMessage, err error) error {
	return s.renderApplicationKept(req, status, a, form, nil, err)
}

// renderApplicationKept is renderApplication that also fills in again the
// plain inputs in kept (such as a supplement answer's note), so nothing
// typed is lost to an error.
func (s *Server) renderApplicationKept(req *request, status int, a *application.Application, form json.RawMessage, kept map[string]string, err error) error {
	var msgs map[string]string
	if err != nil {
		var ok bool
		if msgs, ok = formErrors(req.lang, err); !ok {
			return appError(err)
		}
		status = http.StatusUnprocessableEntity
	}
	return s.renderApplicationPage(req, status, a, form, kept, msgs, "")
}

// renderApplicationPage shows the application page with the form as typed
// (when form is set), the inputs in kept, the errors msgs (field →
// message) and a notice, both at the top of the page.
func (s *Server) renderApplicationPage(req *request, status int, a *application.Application, form json.RawMessage, kept, msgs map[string]string, notice string) error {
	v, err := s.viewApplication(req, a)
	if err != nil {
		return err
	}
	if form != nil {
		v.Fields = markPrefilled(fillFields(schemaFields(v.Service.FormSchema), form), v.Service.FormSchema, v.Verified)
	}
	v.Unsaved = form != nil || kept != nil
	v.Notice = notice
	v.sortErrors(req.lang, msgs)
	return s.renderPage(req, status, "application", &page{Title: v.ServiceName, Data: v, Form: kept, Errors: msgs})
}

// applicationSave stores the draft form ("save") or files it ("submit").
func (s *Server) applicationSave(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	a, err := s.Applications.Get(req.ctx(), req.p, id)
	if err != nil {
		return err
	}
	svc, err := s.Catalog.Version(req.ctx(), a.ServiceCode, a.ServiceVersion)
	if err != nil {
		return err
	}
	form, bad, err := formFromPost(schemaFields(svc.FormSchema), req.r.PostForm)
	if err != nil {
		return err
	}
	if a.State != application.Draft && (req.r.PostFormValue("submit") == "" || !sameForm(form, a.Form)) {
		// From a page shown while it was a draft (another tab, the back
		// button): the application as filed stays as it is, and the page
		// says so rather than seeming to have taken the change. A second
		// tap of "submit" with the same form is a retry and gets the
		// submission's answer below.
		loose := map[string]string{"filed": req.t("already_filed_not_saved", a.Number)}
		return s.renderApplicationPage(req, http.StatusConflict, a, nil, nil, loose, "")
	}
	if req.r.PostFormValue("submit") != "" {
		// A number that does not parse fails the form's validation with
		// the rest, so every mistake shows at once.
		b, err := s.Applications.Submit(req.ctx(), req.p, id, form)
		if err != nil {
			if a, gerr := s.Applications.Get(req.ctx(), req.p, id); gerr == nil {
				return s.renderApplication(req, http.StatusUnprocessableEntity, a, form, overFieldErrors(bad, err))
			}
			return appError(err)
		}
		s.setFlash(req, "application_submitted", b.Number)
		return s.redirect(req, "/applications/"+id)
	}
	if bad != nil {
		// Saved as text, it would show as wrong only at the submission:
		// say so now, on the page as typed, and keep the draft as it was.
		return s.renderApplication(req, http.StatusUnprocessableEntity, a, form, bad)
	}
	rev := atoiDefault(req.r.PostFormValue("revision"), a.Revision)
	if _, err := s.Applications.SaveDraft(req.ctx(), req.p, id, form, rev); err != nil {
		if errors.Is(err, application.ErrStale) {
			// Saved meanwhile in another tab or on another device: the
			// page keeps what was typed and takes the latest revision, so
			// saving again replaces that save, as the notice says.
			latest, gerr := s.Applications.Get(req.ctx(), req.p, id)
			if gerr != nil {
				return gerr
			}
			if latest.State != application.Draft {
				loose := map[string]string{"filed": req.t("already_filed_not_saved", latest.Number)}
				return s.renderApplicationPage(req, http.StatusConflict, latest, nil, nil, loose, "")
			}
			return s.renderApplicationPage(req, http.StatusConflict, latest, form, nil, nil, req.t("draft_saved_elsewhere"))
		}
		return s.renderApplication(req, http.StatusUnprocessableEntity, a, form, err)
	}
	s.setFlash(req, "draft_saved")
	return s.redirect(req, "/applications/"+id)
}

// uploadMaterial takes one file for one requirement (multipart: the field
// "requirement" first, then "file").
func (s *Server) uploadMaterial(req *request) (*application.Material, error) {
	var requirement string
	var m *application.Material
	err := streamUpload(req, s.Applications.UploadLimit(), map[string]*string{"requirement": &requirement}, func(name string, r io.Reader) error {
		if strings.TrimSpace(requirement) == "" {
			return fielderr.New("requirement", "material_unknown")
		}
		var err error
		m, err = s.Applications.AddMaterial(req.ctx(), req.p, req.r.PathValue("id"), strings.TrimSpace(requirement), name, r)
		return err
	})
	return m, err
}

// streamUpload reads a multipart body part by part: the small text fields
// named in text (200 bytes each at most), then the part "file", which it
// hands to store as a stream, never held whole in memory. A body over the
// limit is a field error on "file".
func streamUpload(req *request, limit int64, text map[string]*string, store func(name string, r io.Reader) error) error {
	tooLarge := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fielderr.New("file", "file_too_large", limit>>20)
		}
		return err
	}
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, limit+1<<20)
	mr, err := req.r.MultipartReader()
	if err != nil {
		return fielderr.New("file", "file_required")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fielderr.New("file", "file_required")
		}
		if err != nil {
			if e := tooLarge(err); e != err {
				return e
			}
			return badRequest(err)
		}
		if part.FormName() == "file" {
			return tooLarge(store(part.FileName(), part))
		}
		if v, ok := text[part.FormName()]; ok {
			b, _ := io.ReadAll(io.LimitReader(part, 200))
			*v = string(b)
		}
	}
}

func (s *Server) materialUpload(req *request) error {
	id := req.r.PathValue("id")
	_, err := s.uploadMaterial(req)
	if err != nil {
		if msgs, ok := formErrors(req.lang, err); ok {
			a, gerr := s.Applications.Get(req.ctx(), req.p, id)
			if gerr != nil {
				return gerr
			}
			return s.renderApplicationPage(req, http.StatusUnprocessableEntity, a, nil, nil, msgs, "")
		}
		return appError(err)
	}
	s.setFlash(req, "material_uploaded")
	return s.redirect(req, "/applications/"+id+"#materials")
}

func (s *Server) materialDelete(req *request) error {
	id := req.r.PathValue("id")
	if err := s.Applications.RemoveMaterial(req.ctx(), req.p, id, req.r.PathValue("mid")); err != nil {
		return appError(err)
	}
	s.setFlash(req, "material_removed")
	return s.redirect(req, "/applications/"+id+"#materials")
}

// materialDownload serves an uploaded file to the applicant and to staff
// handling the application, never inline (a PDF or image could otherwise
// run in the site's origin).
func (s *Server) materialDownload(req *request) error {
	m, rc, err := s.Applications.OpenMaterial(req.ctx(), req.p, req.r.PathValue("id"), req.r.PathValue("mid"))
	if err != nil {
		return err
	}
	return serveUpload(req, m.FileName, m.ContentType, rc)
}

func (s *Server) applicationWithdraw(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	reason := req.r.PostFormValue("reason")
	if _, err := s.Applications.Withdraw(req.ctx(), req.p, id, reason); err != nil {
		if a, gerr := s.Applications.Get(req.ctx(), req.p, id); gerr == nil {
			// The reason stays as typed, beside its error.
			return s.renderApplicationKept(req, http.StatusUnprocessableEntity, a, nil, map[string]string{"reason": reason}, appError(err))
		}
		return appError(err)
	}
	s.setFlash(req, "application_withdrawn")
	return s.redirect(req, "/applications/"+id)
}

// applicationDiscard deletes a draft when the post confirms it
// (confirm=1); without, it asks first, on a page of its own whose button
// posts the confirmation, so one tap cannot throw a draft away.
func (s *Server) applicationDiscard(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if req.r.PostFormValue("confirm") != "1" {
		a, err := s.Applications.Get(req.ctx(), req.p, id)
		if err != nil {
			return err
		}
		if a.State != application.Draft {
			return appError(application.ErrState)
		}
		v, err := s.viewApplication(req, a)
		if err != nil {
			return err
		}
		return s.render(req, http.StatusOK, "discard", req.t("discard_confirm_title"), v)
	}
	if err := s.Applications.Discard(req.ctx(), req.p, id); err != nil {
		return appError(err)
	}
	s.setFlash(req, "draft_discarded")
	return s.redirect(req, "/applications")
}

func (s *Server) supplementAnswer(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	a, err := s.Applications.Get(req.ctx(), req.p, id)
	if err != nil {
		return err
	}
	var form json.RawMessage
	var badNumbers error
	if r := a.OpenSupplement(); r != nil {
		svc, err := s.Catalog.Version(req.ctx(), a.ServiceCode, a.ServiceVersion)
		if err != nil {
			return err
		}
		// Fields the request asks about come from the post; the rest stay.
		vals, err := decodeForm(a.Form)
		if err != nil {
			return err
		}
		postedForm, bad, err := formFromPost(schemaFields(svc.FormSchema), req.r.PostForm)
		if err != nil {
			return err
		}
		badNumbers = bad
		posted, err := decodeForm(postedForm)
		if err != nil {
			return err
		}
		asked := false
		for _, it := range r.Items {
			if it.Field == "" {
				continue
			}
			asked = true
			if v, ok := posted[it.Field]; ok {
				vals[it.Field] = v
			} else {
				delete(vals, it.Field)
			}
		}
		if asked {
			if form, err = json.Marshal(vals); err != nil {
				return err
			}
		}
	}
	note := req.r.PostFormValue("note")
	if _, err := s.Applications.AnswerSupplement(req.ctx(), req.p, id, form, note); err != nil {
		return s.renderApplicationKept(req, http.StatusUnprocessableEntity, a, form, map[string]string{"note": note}, overFieldErrors(badNumbers, appError(err)))
	}
	s.setFlash(req, "supplement_sent")
	return s.redirect(req, "/applications/"+id)
}

// sameForm reports whether two forms hold the same values, however their
// JSON is written.
func sameForm(x, y json.RawMessage) bool {
	a, err := decodeForm(x)
	if err != nil {
		return false
	}
	b, err := decodeForm(y)
	if err != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// overFieldErrors puts the failures of bad over those of err for the same
// fields, so a number that did not parse is reported as such rather than
// as the wrong type of value; any other error stays as it is.
func overFieldErrors(bad, err error) error {
	var inv *fielderr.Invalid
	if bad == nil || !errors.As(err, &inv) {
		return err
	}
	var fe fielderr.Errors
	fe.Merge("", bad)
	for _, f := range inv.Fields {
		if !fe.Has(f.Field) {
			fe.Add(f.Field, f.Key, f.Params...)
		}
	}
	return fe.Err()
}

// decodeForm decodes a form's JSON (none is an empty form), its numbers
// kept as written.
func decodeForm(raw json.RawMessage) (map[string]any, error) {
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return nil, err
		}
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

func (s *Server) letterPage(req *request) error {
	a, err := s.Applications.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.Letter == nil {
		return notFound()
	}
	v := letterView{Application: a, Back: "/applications/" + a.ID, BackKey: "back_to_application",
		DepartmentName: a.Letter.Body.DepartmentName, ServiceName: a.Letter.Body.ServiceName}
	if a.SubmittedAt != nil {
		v.FiledOn = a.SubmittedAt.In(s.Config.Location).Format(req.t("letter_date"))
	}
	if req.lang == i18n.EN {
		// The letter as issued is Chinese; its English reading names the
		// department and the service in English where they have names.
		if name := s.departmentNames(req)[a.Letter.Body.DepartmentCode]; name != "" {
			v.DepartmentName = name
		}
		if v.ServiceName, err = s.serviceName(req, a.ServiceCode, a.ServiceVersion, v.ServiceName); err != nil {
			return err
		}
	}
	if req.p.IsStaff() {
		// The applicant's page is theirs alone: staff go back to the
		// application's last step they may open, or to their queue.
		v.Back, v.BackKey = "/staff/tasks", "queue_title"
		for i := len(a.Tasks) - 1; i >= 0; i-- {
			if req.p.CanIn(identity.PermStaffDesk, a.Tasks[i].DepartmentCode) || req.p.Can(identity.PermSupervise) {
				v.Back, v.BackKey = "/staff/tasks/"+a.Tasks[i].ID, "back_to_task"
				break
			}
		}
	}
	return s.render(req, http.StatusOK, "letter", a.Letter.Number, v)
}

// letterView is the decision letter's page: the application, and where
// its back link goes for the viewer (Back, named by message BackKey).
type letterView struct {
	*application.Application
	Back, BackKey string
	// DepartmentName and ServiceName are the letter's, in the page's
	// language.
	DepartmentName, ServiceName string
	// FiledOn is the day the application was filed, written as the
	// page's language writes dates; empty if it never was.
	FiledOn string
}

// JSON API.

type createApplicationRequest struct {
	ServiceCode    string          `json:"service_code"`
	OrganizationID string          `json:"organization_id,omitempty"`
	Form           json.RawMessage `json:"form,omitempty"`
}

func (s *Server) apiCreateApplication(req *request) error {
	var in createApplicationRequest
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.ServiceCode) == "" {
		return fielderr.New("service_code", "required")
	}
	a, err := s.Applications.CreateDraft(req.ctx(), req.p, in.ServiceCode, application.Applicant{OrganizationID: in.OrganizationID}, req.r.Header.Get("Idempotency-Key"))
	if err != nil {
		return appError(err)
	}
	if in.Form != nil && a.State == application.Draft && a.Revision == 1 {
		if a, err = s.Applications.SaveDraft(req.ctx(), req.p, a.ID, in.Form, a.Revision); err != nil {
			return appError(err)
		}
	}
	writeJSON(req.w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiMyApplications(req *request) error {
	apps, err := s.Applications.Mine(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(apps))
	return nil
}

func (s *Server) apiApplication(req *request) error {
	a, err := s.Applications.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, a)
	return nil
}

func (s *Server) apiSaveDraft(req *request) error {
	var in struct {
		Form     json.RawMessage `json:"form"`
		Revision *int            `json:"revision"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	// Without it a save could not tell whether it overwrites another tab's.
	if in.Revision == nil {
		return fielderr.New("revision", "revision_required")
	}
	a, err := s.Applications.SaveDraft(req.ctx(), req.p, req.r.PathValue("id"), in.Form, *in.Revision)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusOK, a)
	return nil
}

func (s *Server) apiDiscard(req *request) error {
	if err := s.Applications.Discard(req.ctx(), req.p, req.r.PathValue("id")); err != nil {
		return appError(err)
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiUploadMaterial(req *request) error {
	m, err := s.uploadMaterial(req)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusCreated, m)
	return nil
}

func (s *Server) apiDeleteMaterial(req *request) error {
	if err := s.Applications.RemoveMaterial(req.ctx(), req.p, req.r.PathValue("id"), req.r.PathValue("mid")); err != nil {
		return appError(err)
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiSubmit(req *request) error {
	var in struct {
		Form json.RawMessage `json:"form,omitempty"`
	}
	if err := decodeOptionalJSON(req, &in); err != nil {
		return err
	}
	a, err := s.Applications.Submit(req.ctx(), req.p, req.r.PathValue("id"), in.Form)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusOK, a)
	return nil
}

func (s *Server) apiWithdraw(req *request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeOptionalJSON(req, &in); err != nil {
		return err
	}
	a, err := s.Applications.Withdraw(req.ctx(), req.p, req.r.PathValue("id"), in.Reason)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusOK, a)
	return nil
}

func (s *Server) apiAnswerSupplement(req *request) error {
	var in struct {
		Form json.RawMessage `json:"form,omitempty"`
		Note string          `json:"note"`
	}
	if err := decodeOptionalJSON(req, &in); err != nil {
		return err
	}
	a, err := s.Applications.AnswerSupplement(req.ctx(), req.p, req.r.PathValue("id"), in.Form, in.Note)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusOK, a)
	return nil
}

// decodeOptionalJSON reads a JSON body into v when there is one; an empty
// body (no Content-Length, or a chunked body with nothing in it) leaves v
// as it is.
func decodeOptionalJSON(req *request, v any) error {
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, maxJSONBytes)
	b, err := io.ReadAll(req.r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	req.r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeJSON(req, v)
}
