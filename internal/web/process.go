package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/workflow"
)

// processView is a process as the guide and the editor show it: the SVG
// diagram and the same steps as text, row by row.
type processView struct {
	Def      *workflow.Definition
	Name     string
	SVG      template.HTML
	Rows     [][]processStep
	Days     int
	DenyEnds bool
}

// processStep is one step in the words of the reader; Kind is its kind,
// translated.
type processStep struct {
	workflow.Label
	Kind string
}

// stepKindName words a step kind; a kind the format does not have (in a
// definition being edited) is shown as it was typed.
func stepKindName(req *request, k workflow.StepKind) string {
	if slices.Contains(workflow.StepKinds, k) {
		return req.t("step_kind_" + string(k))
	}
	return string(k)
}

// stepRoleName words the role that takes a step; a role that cannot take
// steps (in a definition being edited) is shown as it was typed.
func stepRoleName(req *request, r identity.Role) string {
	if slices.Contains(workflow.StepRoles, r) {
		return req.t("role_" + string(r))
	}
	return string(r)
}

// processLabels returns the function that words each step for diagrams
// and lists in the request's language.
func (s *Server) processLabels(req *request) (func(workflow.Step) workflow.Label, error) {
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return nil, err
	}
	en := req.lang == i18n.EN
	return func(st workflow.Step) workflow.Label {
		l := workflow.Label{
			Name:       st.LocalName(en),
			Department: names[st.DepartmentCode],
			Role:       stepRoleName(req, st.Role),
			Days:       req.t("n_workdays", st.Days),
		}
		if l.Department == "" {
			l.Department = st.DepartmentCode
		}
		if st.When != nil {
			l.Notes = append(l.Notes, req.t("process_when_note", st.When.String()))
		}
		if st.Signers > 1 {
			l.Notes = append(l.Notes, req.t("process_signers_note", st.Signers))
		}
		return l
	}, nil
}

// viewProcess lays out def for a page; id keeps its element ids unique.
func (s *Server) viewProcess(req *request, def *workflow.Definition, id string) (*processView, error) {
	label, err := s.processLabels(req)
	if err != nil {
		return nil, err
	}
	en := req.lang == i18n.EN
	v := &processView{Def: def, Name: def.LocalName(en), Days: def.CriticalDays(), DenyEnds: def.DenyEnds}
	for _, layer := range def.Layers() {
		var row []processStep
		for _, st := range layer {
			row = append(row, processStep{Label: label(st), Kind: stepKindName(req, st.Kind)})
		}
		v.Rows = append(v.Rows, row)
	}
	v.SVG = template.HTML(def.SVG(workflow.DiagramOptions{
		ID: id, Title: req.t("process_title") + req.t("colon") + v.Name, Desc: req.t("process_diagram_desc"), Label: label,
	}))
	return v, nil
}

// serviceProcess returns the latest definition of the process a service
// names, or nil when it names none or one that does not exist yet.
func (s *Server) serviceProcess(req *request, code string) (*workflow.Definition, error) {
	if code == "" {
		return nil, nil
	}
	def, err := s.Processes.Latest(req.ctx(), code)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	return def, err
}

// processSVG serves the diagram of a published service's process as an
// image.
func (s *Server) processSVG(req *request) error {
	svc, err := s.Catalog.Published(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	def, err := s.serviceProcess(req, svc.Process)
	if err != nil {
		return err
	}
	if def == nil {
		return notFound()
	}
	label, err := s.processLabels(req)
	if err != nil {
		return err
	}
	name := def.LocalName(req.lang == i18n.EN)
	svg := def.SVG(workflow.DiagramOptions{ID: "process", Title: req.t("process_title") + req.t("colon") + name, Desc: req.t("process_diagram_desc"), Label: label})
	h := req.w.Header()
	h.Set("Content-Type", "image/svg+xml; charset=utf-8")
	h.Set("Content-Language", string(req.lang))
	h.Set("Vary", "Accept-Language, Cookie")
	req.w.Write([]byte(xmlHeader))
	req.w.Write(svg)
	return nil
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func (s *Server) apiProcess(req *request) error {
	def, err := s.Processes.Latest(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, def)
	return nil
}

func (s *Server) apiAdminPutProcess(req *request) error {
	var def workflow.Definition
	if err := decodeJSONOrYAML(req, &def); err != nil {
		return err
	}
	def.Code = req.r.PathValue("code")
	// The definition's version is the one the caller edited (as GET
	// returned it): without it a save could replace a version the caller
	// never saw. Only a new process has none.
	base := def.Version
	if base == 0 {
		cur, err := s.editableProcess(req, def.Code)
		if err != nil {
			return err
		}
		if cur != nil {
			return fielderr.New("version", "process_version_required")
		}
	}
	out, err := s.Processes.PutFrom(req.ctx(), req.p, def, base)
	if err != nil {
		return processError(err)
	}
	writeJSON(req.w, http.StatusOK, out)
	return nil
}

// processError says which version a save lost to.
func processError(err error) error {
	var stale *workflow.StaleError
	if errors.As(err, &stale) {
		return &httpError{Code: http.StatusConflict, Key: "process_stale", Args: []any{stale.Latest}, Err: err}
	}
	return err
}

// processEditorData feeds the process editor.
type processEditorData struct {
	Code    string
	Current *workflow.Definition // the latest stored version, if any
	// Base is the version the text was edited from, sent back with it
	// (0 for a new process).
	Base     int
	Text     string // the JSON in the text area
	Preview  *processView
	Problems []fieldError
	// Conflict says that someone else saved a version while this one
	// was being edited.
	Conflict string
}

func (s *Server) adminProcessPage(req *request) error {
	code := req.r.PathValue("code")
	cur, err := s.editableProcess(req, code)
	if err != nil {
		return err
	}
	def := cur
	if def == nil {
		def = s.processSkeleton(req, code)
	}
	d := processEditorData{Code: code, Current: cur}
	if cur != nil {
		d.Base = cur.Version
	}
	return s.processEditor(req, http.StatusOK, d, def, nil)
}

// editableProcess returns the latest version of a process the actor may
// edit, nil for a process that does not exist yet, and not found for one
// of a department the actor cannot edit.
func (s *Server) editableProcess(req *request, code string) (*workflow.Definition, error) {
	cur, err := s.Processes.Latest(req.ctx(), code)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !req.p.CanIn(identity.PermCatalogEdit, cur.DepartmentCode) {
		return nil, notFound()
	}
	return cur, nil
}

// processSkeleton is the starting point for a new process: the four usual
// steps in the editor's department.
func (s *Server) processSkeleton(req *request, code string) *workflow.Definition {
	dept := req.p.Account.DepartmentCode
	if depts, _ := req.p.Departments(identity.PermCatalogEdit); len(depts) > 0 {
		dept = depts[0]
	}
	st := func(id string, kind workflow.StepKind, name, en string, role identity.Role, days int, after ...string) workflow.Step {
		return workflow.Step{ID: id, Kind: kind, Name: name, NameEn: en, DepartmentCode: dept, Role: role, Days: days, After: after}
	}
	return &workflow.Definition{Code: code, Name: code, DepartmentCode: dept, Steps: []workflow.Step{
		st("accept", workflow.Accept, "受理", "Intake", identity.Clerk, 1),
		st("review", workflow.Review, "审查", "Review", identity.Reviewer, 3, "accept"),
		st("decide", workflow.Decide, "审批决定", "Decision", identity.Approver, 1, "review"),
		st("conclude", workflow.Conclude, "办结", "Concluded", identity.Clerk, 1, "decide"),
	}}
}

// processEditor renders the editor with def in the text area and as the
// preview (when it can be drawn).
func (s *Server) processEditor(req *request, status int, d processEditorData, def *workflow.Definition, errs map[string]string) error {
	if d.Text == "" && def != nil {
		show := *def
		show.Version = 0
		b, err := json.MarshalIndent(show, "", "  ")
		if err != nil {
			return err
		}
		d.Text = string(b)
	}
	if def != nil && len(def.Steps) > 0 {
		v, err := s.viewProcess(req, def, "preview")
		if err != nil {
			return err
		}
		d.Preview = v
	}
	return s.renderPage(req, status, "admin_process", &page{Title: req.t("admin_process") + " · " + d.Code, Data: d, Errors: errs})
}

func (s *Server) adminSaveProcess(req *request) error {
	code := req.r.PathValue("code")
	cur, err := s.editableProcess(req, code)
	if err != nil {
		return err
	}
	if err := s.parseForm(req); err != nil {
		return err
	}
	text := strings.TrimSpace(req.r.PostFormValue("definition"))
	d := processEditorData{Code: code, Current: cur, Text: text}
	// The hidden field "version" holds the version the text was edited
	// from; a version in the text itself is not used.
	base, berr := strconv.Atoi(strings.TrimSpace(req.r.PostFormValue("version")))
	switch {
	case berr == nil && base >= 0:
		d.Base = base
	case cur == nil:
		// A new process needs no base.
	default:
		// Whether someone else saved meanwhile cannot be told: say so,
		// and let a second save, made knowingly, replace the latest.
		d.Base = cur.Version
		d.Problems = []fieldError{{Field: "version", Code: "process_version_required", Message: req.t("process_version_missing_page", cur.Version)}}
		return s.processEditor(req, http.StatusUnprocessableEntity, d, nil, map[string]string{"definition": req.t("error_422")})
	}
	// The text is JSON (an object) or YAML, which is read as the JSON it
	// stands for.
	var def workflow.Definition
	doc := []byte(text)
	var derr error
	if !looksLikeJSON(doc) {
		doc, derr = yamlToJSON("definition", doc)
	}
	if derr == nil {
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&def); err != nil {
			derr = jsonErrorIn("definition", doc, err)
		} else if dec.More() {
			derr = fielderr.New("definition", "json_trailing")
		}
	}
	if err := derr; err != nil {
		var inv *fielderr.Invalid
		errors.As(err, &inv)
		d.Problems = translateFields(req.lang, inv)
		return s.processEditor(req, http.StatusUnprocessableEntity, d, nil, map[string]string{"definition": d.Problems[0].Message})
	}
	def.Code = code
	saved, err := s.Processes.PutFrom(req.ctx(), req.p, def, d.Base)
	if err != nil {
		var stale *workflow.StaleError
		if errors.As(err, &stale) {
			// Keep what was typed, against the version saved meanwhile:
			// saving again, knowingly, replaces that one.
			if d.Current, err = s.editableProcess(req, code); err != nil {
				return err
			}
			d.Base = stale.Latest
			d.Conflict = req.t("process_stale_page", stale.Latest)
			def.Normalize()
			return s.processEditor(req, http.StatusConflict, d, &def, map[string]string{"definition": req.t("process_stale", stale.Latest)})
		}
		var inv *fielderr.Invalid
		if !errors.As(err, &inv) {
			return err
		}
		d.Problems = translateFields(req.lang, inv)
		def.Normalize()
		return s.processEditor(req, http.StatusUnprocessableEntity, d, &def, map[string]string{"definition": req.t("error_422")})
	}
	s.setFlash(req, "process_saved", saved.Version)
	return s.redirect(req, "/admin/processes/"+code)
}
