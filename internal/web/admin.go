package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/workflow"
)

type staffData struct {
	Department org.Department
	Services   []*catalog.Entry
	Staff      []*identity.Principal
	// Shortages are the steps of the department's processes its staff
	// cannot take now.
	Shortages *shortagesView
}

// shortagesView lists process steps nobody (or too few) can take, with the
// departments' names in the page's language.
type shortagesView struct {
	List      []workflow.Shortage
	DeptNames map[string]string
}

// apiShortages lists the process steps too few can take now: every
// department's for supervisors, else those of the caller's departments.
func (s *Server) apiShortages(req *request) error {
	depts, all := req.p.Departments(identity.PermStaffDesk)
	if req.p.Can(identity.PermSupervise) {
		all = true
	}
	items, err := s.Processes.Shortages(req.ctx(), depts, all)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(items))
	return nil
}

// shortages lists the short steps of processes in depts (all when all).
func (s *Server) shortages(req *request, depts []string, all bool) (*shortagesView, error) {
	list, err := s.Processes.Shortages(req.ctx(), depts, all)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return nil, err
	}
	return &shortagesView{List: list, DeptNames: names}, nil
}

func (s *Server) staffPage(req *request) error {
	d := staffData{}
	code := req.p.Account.DepartmentCode
	if code != "" {
		dept, err := s.Org.Department(req.ctx(), code)
		if err != nil {
			return err
		}
		d.Department = dept
		if d.Services, err = s.Catalog.Entries(req.ctx(), []string{code}, false); err != nil {
			return err
		}
		if d.Staff, err = s.Identity.Staff(req.ctx(), code); err != nil {
			return err
		}
		if d.Shortages, err = s.shortages(req, []string{code}, false); err != nil {
			return err
		}
	}
	return s.render(req, http.StatusOK, "staff", req.t("staff_title"), d)
}

type adminServicesData struct {
	Entries   []*catalog.Entry
	DeptNames map[string]string
}

func (s *Server) adminServicesPage(req *request) error {
	depts, all := req.p.Departments(identity.PermCatalogEdit)
	entries, err := s.Catalog.Entries(req.ctx(), depts, all)
	if err != nil {
		return err
	}
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "admin_services", req.t("admin_services"), adminServicesData{entries, names})
}

// editorData feeds the service editor.
type editorData struct {
	New        bool
	Entry      *catalog.Entry
	Service    catalog.Service
	FormSchema string
	Keywords   string
	Depts      []org.Department
	Kinds      []catalog.Kind
	Depths     []catalog.Depth
	Forms      []catalog.MaterialForm
	CanPublish bool
}

func (s *Server) editor(req *request, status int, d editorData, errs map[string]string) error {
	all, err := s.Org.Departments(req.ctx())
	if err != nil {
		return err
	}
	codes, everywhere := req.p.Departments(identity.PermCatalogEdit)
	for _, dp := range all {
		if everywhere || contains(codes, dp.Code) {
			d.Depts = append(d.Depts, dp)
		}
	}
	d.Kinds, d.Depths = catalog.Kinds, catalog.Depths
	d.Forms = []catalog.MaterialForm{catalog.FormOriginal, catalog.FormCopy, catalog.FormBoth, catalog.FormElectronic}
	d.CanPublish = req.p.CanIn(identity.PermCatalogPublish, d.Service.DepartmentCode)
	if d.FormSchema == "" && len(d.Service.FormSchema) > 0 {
		var buf bytes.Buffer
		json.Indent(&buf, d.Service.FormSchema, "", "  ")
		d.FormSchema = buf.String()
	}
	if d.Keywords == "" {
		d.Keywords = strings.Join(d.Service.Keywords, " ")
	}
	// Blank rows to fill in; empty rows are dropped when the form is read.
	g := &d.Service.Guide
	g.LegalBasis = append(g.LegalBasis, catalog.LegalBasis{}, catalog.LegalBasis{})
	g.Materials = append(g.Materials, catalog.MaterialRequirement{Required: true, Count: 1}, catalog.MaterialRequirement{Required: true, Count: 1})
	g.Fees.Items = append(g.Fees.Items, catalog.FeeItem{})
	g.Locations = append(g.Locations, catalog.Location{})
	g.FAQs = append(g.FAQs, catalog.FAQ{})
	title := req.t("admin_edit_service")
	if d.New {
		title = req.t("admin_new_service")
	}
	return s.renderPage(req, status, "admin_service", &page{Title: title, Data: d, Errors: errs})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) adminNewServicePage(req *request) error {
	svc := catalog.Service{Kind: catalog.PublicService, Depth: catalog.FullOnline, Audience: []catalog.Audience{catalog.Person}, Guide: catalog.Guide{Fees: catalog.Fees{Free: true}, ComplaintPhone: "12345"}}
	if depts, _ := req.p.Departments(identity.PermCatalogEdit); len(depts) > 0 {
		svc.DepartmentCode = depts[0]
	}
	return s.editor(req, http.StatusOK, editorData{New: true, Service: svc}, nil)
}

func (s *Server) adminCreateService(req *request) error {
	svc, raw, perr := s.serviceFromForm(req)
	if perr != nil {
		if _, ok := perr.(*fielderr.Invalid); !ok {
			return perr
		}
	}
	if perr == nil {
		_, err := s.Catalog.Create(req.ctx(), req.p, svc)
		if err == nil {
			s.setFlash(req, "saved")
			return s.redirect(req, "/admin/services/"+svc.Code)
		}
		perr = err
	}
	errs, ok := formErrors(req.lang, perr)
	if !ok {
		return perr
	}
	return s.editor(req, http.StatusUnprocessableEntity, editorData{New: true, Service: svc, FormSchema: raw, Keywords: req.r.PostFormValue("keywords")}, errs)
}

func (s *Server) adminEditServicePage(req *request) error {
	e, err := s.Catalog.Entry(req.ctx(), req.p, req.r.PathValue("code"))
	if err != nil {
		return err
	}
	return s.editor(req, http.StatusOK, editorData{Entry: e, Service: e.Service}, nil)
}

func (s *Server) adminUpdateService(req *request) error {
	code := req.r.PathValue("code")
	e, err := s.Catalog.Entry(req.ctx(), req.p, code)
	if err != nil {
		return err
	}
	svc, raw, perr := s.serviceFromForm(req)
	if perr != nil {
		if _, ok := perr.(*fielderr.Invalid); !ok {
			return perr
		}
	}
	svc.Code = code
	if perr == nil {
		if _, err := s.Catalog.UpdateDraft(req.ctx(), req.p, code, svc); err == nil {
			s.setFlash(req, "saved")
			return s.redirect(req, "/admin/services/"+code)
		} else {
			perr = err
		}
	}
	errs, ok := formErrors(req.lang, perr)
	if !ok {
		return perr
	}
	return s.editor(req, http.StatusUnprocessableEntity, editorData{Entry: e, Service: svc, FormSchema: raw, Keywords: req.r.PostFormValue("keywords")}, errs)
}

func (s *Server) adminPublishService(req *request) error {
	code := req.r.PathValue("code")
	svc, err := s.Catalog.Publish(req.ctx(), req.p, code)
	if err != nil {
		if errs, ok := formErrors(req.lang, err); ok {
			e, err2 := s.Catalog.Entry(req.ctx(), req.p, code)
			if err2 != nil {
				return err2
			}
			return s.editor(req, http.StatusUnprocessableEntity, editorData{Entry: e, Service: e.Service}, errs)
		}
		return err
	}
	s.setFlash(req, "published_ok", svc.Version)
	return s.redirect(req, "/admin/services/"+code)
}

func (s *Server) adminWithdrawService(req *request) error {
	code := req.r.PathValue("code")
	if err := s.Catalog.Withdraw(req.ctx(), req.p, code); err != nil {
		return err
	}
	s.setFlash(req, "withdrawn_ok")
	return s.redirect(req, "/admin/services/"+code)
}

// serviceFromForm reads the editor form. It returns the service as entered
// (to re-fill the form) and the raw schema text; a parse problem comes back
// as a field error.
func (s *Server) serviceFromForm(req *request) (catalog.Service, string, error) {
	if err := s.parseForm(req); err != nil {
		return catalog.Service{}, "", err
	}
	f := req.r.PostForm
	var fe fielderr.Errors
	num := func(name string) int {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			fe.Add(name, "number_invalid")
		}
		return n
	}
	svc := catalog.Service{
		Code:           f.Get("code"),
		Name:           f.Get("name"),
		NameEn:         f.Get("name_en"),
		Kind:           catalog.Kind(f.Get("kind")),
		DepartmentCode: f.Get("department_code"),
		Depth:          catalog.Depth(f.Get("depth")),
		Summary:        f.Get("summary"),
		Keywords:       strings.Fields(f.Get("keywords")),
		Process:        strings.TrimSpace(f.Get("process")),
	}
	for _, a := range f["audience"] {
		svc.Audience = append(svc.Audience, catalog.Audience(a))
	}
	g := &svc.Guide
	g.Conditions = f.Get("conditions")
	g.StatutoryDays = num("guide.statutory_days")
	g.PromisedDays = num("guide.promised_days")
	g.VisitsRequired = num("guide.visits_required")
	g.Result = f.Get("result")
	g.ContactPhone = f.Get("contact_phone")
	g.ComplaintPhone = f.Get("complaint_phone")
	g.Fees.Free = f.Get("fees_free") == "on"
	for _, i := range rowIndexes(f, "lb.") {
		p := "lb." + i + "."
		lb := catalog.LegalBasis{Name: strings.TrimSpace(f.Get(p + "name")), Article: strings.TrimSpace(f.Get(p + "article"))}
		if lb.Name != "" || lb.Article != "" {
			g.LegalBasis = append(g.LegalBasis, lb)
		}
	}
	for _, i := range rowIndexes(f, "m.") {
		p := "m." + i + "."
		m := catalog.MaterialRequirement{
			Code: strings.TrimSpace(f.Get(p + "code")), Name: strings.TrimSpace(f.Get(p + "name")),
			Form: catalog.MaterialForm(f.Get(p + "form")), Required: f.Get(p+"required") == "on",
			Condition: strings.TrimSpace(f.Get(p + "condition")), Notes: strings.TrimSpace(f.Get(p + "notes")),
			LicenseType:  strings.TrimSpace(f.Get(p + "license_type")),
			DataResource: strings.TrimSpace(f.Get(p + "data_resource")),
			OnlineForm:   f.Get(p+"online_form") == "on",
		}
		if m.Code == "" && m.Name == "" {
			continue
		}
		m.Count = num(p + "count")
		g.Materials = append(g.Materials, m)
	}
	for _, i := range rowIndexes(f, "fee.") {
		p := "fee." + i + "."
		it := catalog.FeeItem{Name: strings.TrimSpace(f.Get(p + "name")), Amount: strings.TrimSpace(f.Get(p + "amount")), Basis: strings.TrimSpace(f.Get(p + "basis"))}
		if it.Name != "" || it.Amount != "" || it.Basis != "" {
			g.Fees.Items = append(g.Fees.Items, it)
		}
	}
	for _, i := range rowIndexes(f, "loc.") {
		p := "loc." + i + "."
		l := catalog.Location{Name: strings.TrimSpace(f.Get(p + "name")), Address: strings.TrimSpace(f.Get(p + "address")), Hours: strings.TrimSpace(f.Get(p + "hours"))}
		if l.Name != "" || l.Address != "" || l.Hours != "" {
			g.Locations = append(g.Locations, l)
		}
	}
	for _, i := range rowIndexes(f, "faq.") {
		p := "faq." + i + "."
		q := catalog.FAQ{Q: strings.TrimSpace(f.Get(p + "q")), A: strings.TrimSpace(f.Get(p + "a"))}
		if q.Q != "" || q.A != "" {
			g.FAQs = append(g.FAQs, q)
		}
	}
	// The license an approved conclusion issues: its type, one
	// "license field = form field" per line, and whether it replaces the
	// holder's current one.
	if typ, lines := strings.TrimSpace(f.Get("license_type")), f.Get("license_fields"); typ != "" || strings.TrimSpace(lines) != "" {
		li := &catalog.LicenseIssue{Type: typ, Replaces: f.Get("license_replaces") == "on"}
		for n, line := range strings.Split(lines, "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" || v == "" {
				fe.Add("license_fields", "license_fields_line_invalid", n+1)
				continue
			}
			if li.Fields == nil {
				li.Fields = map[string]string{}
			}
			li.Fields[k] = v
		}
		svc.IssuesLicense = li
	}
	raw := strings.TrimSpace(f.Get("form_schema"))
	if raw != "" {
		if !json.Valid([]byte(raw)) {
			fe.Add("form_schema", "form_schema_not_json")
		} else {
			svc.FormSchema = json.RawMessage(raw)
		}
	}
	if err := fe.Err(); err != nil {
		// Report parse problems together with the domain's own checks.
		var all fielderr.Errors
		all.Merge("", err)
		svc.Normalize()
		if verr := svc.Validate(); verr != nil {
			inv := verr.(*fielderr.Invalid)
			for _, x := range inv.Fields {
				if !all.Has(x.Field) {
					all.Add(x.Field, x.Key, x.Params...)
				}
			}
		}
		return svc, raw, all.Err()
	}
	return svc, raw, nil
}

// rowIndexes returns the distinct row indexes present for a repeated group
// of fields named prefix + index + "." + field, in numeric order.
func rowIndexes(f map[string][]string, prefix string) []string {
	seen := map[int]bool{}
	for k := range f {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := strings.TrimPrefix(k, prefix)
		i, _, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(i); err == nil && n >= 0 && n < 200 {
			seen[n] = true
		}
	}
	idx := make([]int, 0, len(seen))
	for n := range seen {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = strconv.Itoa(n)
	}
	return out
}

type synonymsData struct {
	Synonyms []catalog.Synonym
}

func (s *Server) adminSynonymsPage(req *request) error {
	return s.renderSynonyms(req, http.StatusOK, nil, nil)
}

func (s *Server) renderSynonyms(req *request, status int, form, errs map[string]string) error {
	list, err := s.Catalog.Synonyms(req.ctx())
	if err != nil {
		return err
	}
	return s.renderPage(req, status, "admin_synonyms", &page{Title: req.t("synonyms"), Data: synonymsData{list}, Form: form, Errors: errs})
}

func (s *Server) adminPutSynonym(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	sy := catalog.Synonym{Term: req.r.PostFormValue("term"), Expansions: strings.Fields(req.r.PostFormValue("expansions"))}
	if _, err := s.Catalog.PutSynonym(req.ctx(), req.p, sy); err != nil {
		if errs, ok := formErrors(req.lang, err); ok {
			return s.renderSynonyms(req, http.StatusUnprocessableEntity, formMap(req, "term", "expansions"), errs)
		}
		return err
	}
	s.setFlash(req, "saved")
	return s.redirect(req, "/admin/synonyms")
}

func (s *Server) adminDeleteSynonym(req *request) error {
	if err := s.Catalog.DeleteSynonym(req.ctx(), req.p, req.r.PathValue("term")); err != nil {
		return err
	}
	s.setFlash(req, "saved")
	return s.redirect(req, "/admin/synonyms")
}

func (s *Server) adminCatalogPage(req *request) error {
	return s.renderPage(req, http.StatusOK, "admin_catalog", &page{Title: req.t("catalog_transfer")})
}

func (s *Server) adminExport(req *request) error {
	var buf bytes.Buffer
	if err := s.Catalog.Export(req.ctx(), req.p, s.Org, &buf); err != nil {
		return err
	}
	h := req.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="tongban-catalog.json"`)
	h.Set("Cache-Control", "no-store")
	req.w.Write(buf.Bytes())
	return nil
}

// maxImportBytes bounds an uploaded catalog.
const maxImportBytes = 32 << 20

func (s *Server) adminImport(req *request) error {
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, maxImportBytes)
	file, _, err := req.r.FormFile("file")
	if err != nil {
		errs := map[string]string{"file": req.t("required")}
		return s.renderPage(req, http.StatusUnprocessableEntity, "admin_catalog", &page{Title: req.t("catalog_transfer"), Errors: errs})
	}
	defer file.Close()
	res, err := s.Catalog.Import(req.ctx(), req.p, s.Org, file)
	if err != nil {
		if inv, ok := err.(*fielderr.Invalid); ok {
			var lines []string
			for _, f := range translateFields(req.lang, inv) {
				lines = append(lines, f.Field+": "+f.Message)
			}
			return s.renderPage(req, http.StatusUnprocessableEntity, "admin_catalog", &page{Title: req.t("catalog_transfer"), Data: lines, Errors: map[string]string{"file": req.t("error_422")}})
		}
		return err
	}
	s.setFlash(req, "imported", res.Departments, res.Services, res.Published, res.Themes, res.Synonyms)
	return s.redirect(req, "/admin/catalog")
}

type adminStaffData struct {
	Departments []org.Department
	Staff       map[string][]*identity.Principal
	Platform    []*identity.Principal // staff of no department, for platform admins
	Roles       []identity.Role
}

func (s *Server) adminStaffPage(req *request) error {
	return s.renderStaff(req, http.StatusOK, nil, nil)
}

func (s *Server) renderStaff(req *request, status int, form, errs map[string]string) error {
	all, err := s.Org.Departments(req.ctx())
	if err != nil {
		return err
	}
	codes, everywhere := req.p.Departments(identity.PermStaffManage)
	d := adminStaffData{Staff: map[string][]*identity.Principal{}, Roles: identity.StaffRoles}
	if req.p.Has(identity.PlatformAdmin) {
		d.Roles = []identity.Role{identity.Clerk, identity.Reviewer, identity.Approver, identity.DeptAdmin, identity.Supervisor, identity.Dispatcher, identity.PlatformAdmin}
	}
	for _, dp := range all {
		if !everywhere && !contains(codes, dp.Code) {
			continue
		}
		d.Departments = append(d.Departments, dp)
		if d.Staff[dp.Code], err = s.Identity.Staff(req.ctx(), dp.Code); err != nil {
			return err
		}
	}
	if req.p.CanIn(identity.PermStaffManage, "") {
		if d.Platform, err = s.Identity.Staff(req.ctx(), ""); err != nil {
			return err
		}
	}
	return s.renderPage(req, status, "admin_staff", &page{Title: req.t("staff_manage"), Data: d, Form: form, Errors: errs})
}

func (s *Server) adminCreateStaff(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	in := identity.StaffInput{
		Username: req.r.PostFormValue("username"), Password: req.r.PostFormValue("password"),
		Name: req.r.PostFormValue("name"), Phone: req.r.PostFormValue("phone"),
		Email: req.r.PostFormValue("email"), DepartmentCode: req.r.PostFormValue("department_code"),
	}
	for _, r := range req.r.PostForm["roles"] {
		in.Roles = append(in.Roles, identity.RoleGrant{Role: identity.Role(r)})
	}
	if _, err := s.Identity.CreateStaff(req.ctx(), req.p, in); err != nil {
		if errs, ok := formErrors(req.lang, err); ok {
			return s.renderStaff(req, http.StatusUnprocessableEntity, formMap(req, "username", "name", "phone", "email", "department_code"), errs)
		}
		return err
	}
	s.setFlash(req, "saved")
	return s.redirect(req, "/admin/staff")
}

// managedStaff returns the staff account id if the actor may manage its
// roles. Staff of departments the actor does not manage, and accounts that
// are not staff, are not shown to exist.
func (s *Server) managedStaff(req *request, id string) (*identity.Principal, error) {
	p, err := s.Identity.Principal(req.ctx(), id)
	if err != nil {
		return nil, err
	}
	if p.Account.Kind != identity.KindStaff || !req.p.CanIn(identity.PermStaffManage, p.Account.DepartmentCode) {
		return nil, notFound()
	}
	return p, nil
}

// roleOption is one checkbox of the roles form.
type roleOption struct {
	Value   string // the role, or role@DEPT for a role in another department
	Role    identity.Role
	Dept    string // set for a role in another department than the account's
	Checked bool
}

type staffRolesData struct {
	Staff      *identity.Principal
	Department org.Department // zero for platform staff
	Options    []roleOption
	// Editable is false when the account holds roles the actor may not
	// hand out; the store then refuses any change by this actor.
	Editable  bool
	DeptNames map[string]string
}

// grantValue is a grant's form value: the role alone for the account's own
// department or a platform-wide role, role@DEPT otherwise.
func grantValue(g identity.RoleGrant, home string) string {
	if g.Department == "" || g.Department == home {
		return string(g.Role)
	}
	return string(g.Role) + "@" + g.Department
}

// grantsFromForm reads the checked roles; role@DEPT names a role in
// another department.
func grantsFromForm(values []string) []identity.RoleGrant {
	out := make([]identity.RoleGrant, 0, len(values))
	for _, v := range values {
		role, dept, _ := strings.Cut(v, "@")
		out = append(out, identity.RoleGrant{Role: identity.Role(role), Department: dept})
	}
	return out
}

// renderStaffRoles shows the roles form for staff member p. Offered are the
// roles the actor may grant in p's department (the same rule the store
// applies), plus any role p holds elsewhere so that saving keeps it.
// checked is the set of form values to tick: p's roles, or what was
// submitted.
func (s *Server) renderStaffRoles(req *request, status int, p *identity.Principal, checked []string, errs map[string]string) error {
	home := p.Account.DepartmentCode
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return err
	}
	d := staffRolesData{Staff: p, DeptNames: names, Editable: req.p.CanGrant(home, p.Grants)}
	if home != "" {
		if d.Department, err = s.Org.Department(req.ctx(), home); err != nil {
			return err
		}
	}
	candidates := []identity.Role{identity.Supervisor, identity.Dispatcher, identity.PlatformAdmin}
	if home != "" {
		candidates = append(append([]identity.Role(nil), identity.StaffRoles...), candidates...)
	}
	seen := map[string]bool{}
	for _, r := range candidates {
		if req.p.CanGrant(home, []identity.RoleGrant{{Role: r}}) {
			v := string(r)
			seen[v] = true
			d.Options = append(d.Options, roleOption{Value: v, Role: r, Checked: contains(checked, v)})
		}
	}
	for _, g := range p.Grants {
		if v := grantValue(g, home); !seen[v] {
			seen[v] = true
			o := roleOption{Value: v, Role: g.Role, Checked: contains(checked, v)}
			if g.Department != home {
				o.Dept = g.Department
			}
			d.Options = append(d.Options, o)
		}
	}
	return s.renderPage(req, status, "admin_staff_roles", &page{Title: req.t("staff_roles_title"), Data: d, Errors: errs})
}

func (s *Server) adminStaffRolesPage(req *request) error {
	p, err := s.managedStaff(req, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	var checked []string
	for _, g := range p.Grants {
		checked = append(checked, grantValue(g, p.Account.DepartmentCode))
	}
	return s.renderStaffRoles(req, http.StatusOK, p, checked, nil)
}

func (s *Server) adminSetStaffRoles(req *request) error {
	id := req.r.PathValue("id")
	p, err := s.managedStaff(req, id)
	if err != nil {
		return err
	}
	if err := s.parseForm(req); err != nil {
		return err
	}
	checked := req.r.PostForm["roles"]
	if err := s.Identity.SetStaffRoles(req.ctx(), req.p, id, grantsFromForm(checked)); err != nil {
		if errs, ok := formErrors(req.lang, err); ok {
			return s.renderStaffRoles(req, http.StatusUnprocessableEntity, p, checked, errs)
		}
		return err
	}
	s.setFlash(req, "saved")
	return s.redirect(req, "/admin/staff/"+id)
}

// supervisionRow is one department's catalog figures.
type supervisionRow struct {
	Department                                org.Department
	Published, Drafts, Withdrawn, Unpublished int
	FullOnline, AvgPromisedDays               float64
	// AvgStatutoryDay averages the statutory limits the published
	// services state; one of 0 states none (or "on the spot") and does
	// not count. Nil when no service states one.
	AvgStatutoryDay *float64
}

func (s *Server) supervisionRows(req *request) ([]supervisionRow, error) {
	depts, err := s.Org.Departments(req.ctx())
	if err != nil {
		return nil, err
	}
	entries, err := s.Catalog.Entries(req.ctx(), nil, true)
	if err != nil {
		return nil, err
	}
	rows := make([]supervisionRow, len(depts))
	idx := map[string]int{}
	for i, d := range depts {
		rows[i].Department = d
		idx[d.Code] = i
	}
	type acc struct{ prom, stat, nstat, online, n float64 }
	sums := make([]acc, len(depts))
	for _, e := range entries {
		i, ok := idx[e.Service.DepartmentCode]
		if !ok {
			continue
		}
		switch e.Status {
		case catalog.Published:
			rows[i].Published++
			sums[i].n++
			sums[i].prom += float64(e.Service.Guide.PromisedDays)
			if d := e.Service.Guide.StatutoryDays; d > 0 {
				sums[i].stat += float64(d)
				sums[i].nstat++
			}
			if e.Service.Depth == catalog.FullOnline {
				sums[i].online++
			}
		case catalog.Draft:
			rows[i].Drafts++
		case catalog.Withdrawn:
			rows[i].Withdrawn++
		}
	}
	for i := range rows {
		if n := sums[i].n; n > 0 {
			rows[i].FullOnline = round1(100 * sums[i].online / n)
			rows[i].AvgPromisedDays = round1(sums[i].prom / n)
		}
		if n := sums[i].nstat; n > 0 {
			avg := round1(sums[i].stat / n)
			rows[i].AvgStatutoryDay = &avg
		}
	}
	return rows, nil
}

func round1(f float64) float64 {
	v, _ := strconv.ParseFloat(fmt.Sprintf("%.1f", f), 64)
	return v
}

// supervisionData is the supervisors' dashboard: the catalog per
// department and the last verification of the store against the ledger.
type supervisionData struct {
	Rows []supervisionRow
	// Shortages are the process steps, in every department, that nobody
	// (or too few) can take now.
	Shortages *shortagesView
	// Verification is the last recorded one, nil before the first.
	Verification *ledger.Verification
	// Location shows its times in the platform's time zone.
	Location *time.Location
}

func (s *Server) supervisionPage(req *request) error {
	rows, err := s.supervisionRows(req)
	if err != nil {
		return err
	}
	data := supervisionData{Rows: rows, Location: s.Config.Location}
	if data.Shortages, err = s.shortages(req, nil, true); err != nil {
		return err
	}
	if v, err := ledger.LastVerification(req.ctx(), s.DB); err == nil {
		data.Verification = v
	} else if !errors.Is(err, db.ErrNotFound) {
		return err
	}
	return s.render(req, http.StatusOK, "supervision", req.t("supervision_title"), data)
}
