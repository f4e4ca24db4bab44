package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/org"
)

// divisionNode is one division of the organisation tree with its
// departments and subdivisions.
type divisionNode struct {
	Division    org.Division
	Departments []org.Department
	Children    []*divisionNode
}

type adminOrgData struct {
	Roots     []*divisionNode
	DeptNames map[string]string // code -> name in the page's language
}

// divisionTree arranges divisions (parents before children, as
// org.Store.Divisions returns them) into a tree and hangs each department
// under its division. Every division appears exactly once, even if stored
// parents were ever to form a loop.
func divisionTree(divs []org.Division, depts []org.Department) []*divisionNode {
	nodes := make(map[string]*divisionNode, len(divs))
	for _, v := range divs {
		nodes[v.Code] = &divisionNode{Division: v}
	}
	kids := map[string][]string{}
	for _, v := range divs {
		if _, ok := nodes[v.ParentCode]; ok {
			kids[v.ParentCode] = append(kids[v.ParentCode], v.Code)
		}
	}
	for _, d := range depts {
		if n, ok := nodes[d.DivisionCode]; ok {
			n.Departments = append(n.Departments, d)
		}
	}
	placed := map[string]bool{}
	var place func(code string) *divisionNode
	place = func(code string) *divisionNode {
		placed[code] = true
		n := nodes[code]
		for _, k := range kids[code] {
			if !placed[k] {
				n.Children = append(n.Children, place(k))
			}
		}
		return n
	}
	var roots []*divisionNode
	for _, v := range divs {
		if _, ok := nodes[v.ParentCode]; !ok && !placed[v.Code] {
			roots = append(roots, place(v.Code))
		}
	}
	for _, v := range divs { // only a loop of parents leaves any
		if !placed[v.Code] {
			roots = append(roots, place(v.Code))
		}
	}
	return roots
}

func (s *Server) adminOrgPage(req *request) error {
	divs, err := s.Org.Divisions(req.ctx())
	if err != nil {
		return err
	}
	names, depts, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "admin_org", req.t("org_manage"), adminOrgData{Roots: divisionTree(divs, depts), DeptNames: names})
}

// divisionLevels are the levels a division form offers, top down.
var divisionLevels = []string{"province", "city", "district", "street"}

// divisionFields are the division form's fields, named as org reports
// errors.
var divisionFields = []string{"code", "name", "name_en", "level", "parent_code"}

type divisionFormData struct {
	New       bool
	Code      string // the division being edited
	Levels    []string
	Divisions []org.Division // possible parents
}

// divisionForm renders the division form with form values and errors.
func (s *Server) divisionForm(req *request, status int, code string, form, errs map[string]string) error {
	all, err := s.Org.Divisions(req.ctx())
	if err != nil {
		return err
	}
	d := divisionFormData{New: code == "", Code: code, Levels: divisionLevels}
	for _, v := range all {
		if v.Code != code {
			d.Divisions = append(d.Divisions, v)
		}
	}
	title := req.t("edit_division")
	if d.New {
		title = req.t("new_division")
	}
	return s.renderPage(req, status, "admin_division", &page{Title: title, Data: d, Form: form, Errors: errs})
}

func divisionValues(v org.Division) map[string]string {
	return map[string]string{"code": v.Code, "name": v.Name, "name_en": v.NameEn, "level": v.Level, "parent_code": v.ParentCode}
}

// divisionFromForm reads the division form; code is the division being
// edited, or "" to take the code from the form.
func (s *Server) divisionFromForm(req *request, code string) (org.Division, error) {
	if err := s.parseForm(req); err != nil {
		return org.Division{}, err
	}
	f := req.r.PostForm
	if code == "" {
		code = strings.TrimSpace(f.Get("code"))
	}
	return org.Division{
		Code:       code,
		Name:       strings.TrimSpace(f.Get("name")),
		NameEn:     strings.TrimSpace(f.Get("name_en")),
		Level:      f.Get("level"),
		ParentCode: strings.TrimSpace(f.Get("parent_code")),
	}, nil
}

func (s *Server) adminNewDivisionPage(req *request) error {
	return s.divisionForm(req, http.StatusOK, "", map[string]string{"level": "district"}, nil)
}

func (s *Server) adminEditDivisionPage(req *request) error {
	v, err := s.Org.Division(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	return s.divisionForm(req, http.StatusOK, v.Code, divisionValues(v), nil)
}

func (s *Server) adminCreateDivision(req *request) error {
	v, err := s.divisionFromForm(req, "")
	if err == nil {
		err = s.DB.Tx(req.ctx(), func(tx *db.Tx) error { return s.Org.CreateDivision(req.ctx(), tx, v) })
	}
	if err == nil {
		s.setFlash(req, "saved")
		return s.redirect(req, "/admin/org#div-"+v.Code)
	}
	errs, ok := formErrors(req.lang, err)
	if !ok {
		return err
	}
	return s.divisionForm(req, http.StatusUnprocessableEntity, "", formMap(req, divisionFields...), errs)
}

func (s *Server) adminUpdateDivision(req *request) error {
	old, err := s.Org.Division(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	// The code names the division; the form cannot change it.
	v, err := s.divisionFromForm(req, old.Code)
	if err == nil {
		err = s.DB.Tx(req.ctx(), func(tx *db.Tx) error { return s.Org.PutDivision(req.ctx(), tx, v) })
	}
	if err == nil {
		s.setFlash(req, "saved")
		return s.redirect(req, "/admin/org#div-"+v.Code)
	}
	errs, ok := formErrors(req.lang, err)
	if !ok {
		return err
	}
	form := formMap(req, divisionFields...)
	form["code"] = old.Code
	return s.divisionForm(req, http.StatusUnprocessableEntity, old.Code, form, errs)
}

// departmentFields are the department form's fields, named as org reports
// errors.
var departmentFields = []string{"code", "name", "name_en", "division_code", "parent_code", "phone", "address", "office_hours", "description", "position"}

type departmentFormData struct {
	New         bool
	Code        string // the department being edited
	Divisions   []org.Division
	Departments []org.Department // possible parents
}

// departmentForm renders the department form with form values and errors.
func (s *Server) departmentForm(req *request, status int, code string, form, errs map[string]string) error {
	divs, err := s.Org.Divisions(req.ctx())
	if err != nil {
		return err
	}
	all, err := s.Org.Departments(req.ctx())
	if err != nil {
		return err
	}
	d := departmentFormData{New: code == "", Code: code, Divisions: divs}
	for _, dp := range all {
		if dp.Code != code {
			d.Departments = append(d.Departments, dp)
		}
	}
	title := req.t("edit_department")
	if d.New {
		title = req.t("new_department")
	}
	return s.renderPage(req, status, "admin_department", &page{Title: title, Data: d, Form: form, Errors: errs})
}

func departmentValues(d org.Department) map[string]string {
	return map[string]string{
		"code": d.Code, "name": d.Name, "name_en": d.NameEn, "division_code": d.DivisionCode, "parent_code": d.ParentCode,
		"phone": d.Phone, "address": d.Address, "office_hours": d.OfficeHours, "description": d.Description,
		"position": strconv.Itoa(d.Position),
	}
}

// departmentFromForm reads the department form; code is the department
// being edited, or "" to take the code from the form. A position that is
// not a number is reported together with the department's own checks.
func (s *Server) departmentFromForm(req *request, code string) (org.Department, error) {
	if err := s.parseForm(req); err != nil {
		return org.Department{}, err
	}
	f := req.r.PostForm
	if code == "" {
		code = strings.TrimSpace(f.Get("code"))
	}
	d := org.Department{
		Code:         code,
		Name:         strings.TrimSpace(f.Get("name")),
		NameEn:       strings.TrimSpace(f.Get("name_en")),
		DivisionCode: strings.TrimSpace(f.Get("division_code")),
		ParentCode:   strings.TrimSpace(f.Get("parent_code")),
		Phone:        strings.TrimSpace(f.Get("phone")),
		Address:      strings.TrimSpace(f.Get("address")),
		OfficeHours:  strings.TrimSpace(f.Get("office_hours")),
		Description:  strings.TrimSpace(f.Get("description")),
	}
	if p := strings.TrimSpace(f.Get("position")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			var fe fielderr.Errors
			fe.Add("position", "number_invalid")
			fe.Merge("", d.Validate())
			return d, fe.Err()
		}
		d.Position = n
	}
	return d, nil
}

func (s *Server) adminNewDepartmentPage(req *request) error {
	form := map[string]string{"position": "0"}
	if divs, err := s.Org.Divisions(req.ctx()); err == nil && len(divs) > 0 {
		form["division_code"] = divs[0].Code
	}
	return s.departmentForm(req, http.StatusOK, "", form, nil)
}

func (s *Server) adminEditDepartmentPage(req *request) error {
	d, err := s.Org.Department(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	return s.departmentForm(req, http.StatusOK, d.Code, departmentValues(d), nil)
}

func (s *Server) adminCreateDepartment(req *request) error {
	d, err := s.departmentFromForm(req, "")
	if err == nil {
		err = s.DB.Tx(req.ctx(), func(tx *db.Tx) error { return s.Org.CreateDepartment(req.ctx(), tx, d) })
	}
	if err == nil {
		s.setFlash(req, "saved")
		return s.redirect(req, "/admin/org#dept-"+d.Code)
	}
	errs, ok := formErrors(req.lang, err)
	if !ok {
		return err
	}
	return s.departmentForm(req, http.StatusUnprocessableEntity, "", formMap(req, departmentFields...), errs)
}

func (s *Server) adminUpdateDepartment(req *request) error {
	old, err := s.Org.Department(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	// The code names the department; the form cannot change it.
	d, err := s.departmentFromForm(req, old.Code)
	if err == nil {
		err = s.DB.Tx(req.ctx(), func(tx *db.Tx) error { return s.Org.PutDepartment(req.ctx(), tx, d) })
	}
	if err == nil {
		s.setFlash(req, "saved")
		return s.redirect(req, "/admin/org#dept-"+d.Code)
	}
	errs, ok := formErrors(req.lang, err)
	if !ok {
		return err
	}
	form := formMap(req, departmentFields...)
	form["code"] = old.Code
	return s.departmentForm(req, http.StatusUnprocessableEntity, old.Code, form, errs)
}
