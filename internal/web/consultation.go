package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/consultation"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

// Consultations on draft policies (征求意见): the public list and detail
// pages, the comment form, the comment policy, statistics and the CSV
// export; the department's pages to draft, publish, moderate, group,
// answer and publish the adoption report; and the same through the JSON
// API. Every route is a thin skin over one consultation.Store call.

// consultationError maps the consultation's sentinel errors to responses.
func consultationError(err error) error {
	if errors.Is(err, consultation.ErrFrozen) {
		return &httpError{Code: http.StatusConflict, Key: "consultation_frozen", Err: err}
	}
	return err
}

// consultationView is a consultation's page, public or the department's.
type consultationView struct {
	C        *consultation.Consultation
	DeptName string
	Comments []*consultation.Comment
	// Groups by ID, for naming a comment's group.
	Groups   map[string]*consultation.Group
	Stats    consultation.Stats
	Reasons  []string
	Verdicts []consultation.Verdict
	// CanComment: the period is open and the viewer may comment;
	// SignIn: the period is open and nobody is signed in.
	CanComment, SignIn bool
	Manages            bool
	// Staff is the department's page: moderation, answers, the report.
	Staff       bool
	Moderations []consultation.Moderation
	// Rate is the adoption rate as shown ("80.0%"), or "".
	Rate string
	// Unanswered counts visible comments without an answer.
	Unanswered int
	// Blank sections offered for adding on the draft form.
	Blank []int
}

func (s *Server) consultationView(req *request, id string, staff bool) (*consultationView, error) {
	c, err := s.Consultations.Get(req.ctx(), req.p, id)
	if err != nil {
		return nil, err
	}
	v := &consultationView{C: c, Reasons: consultation.HideReasons, Verdicts: consultation.Verdicts, Groups: map[string]*consultation.Group{}}
	v.Manages = s.Consultations.Manages(req.p, c)
	if staff && !v.Manages {
		return nil, notFound()
	}
	v.Staff = staff
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return nil, err
	}
	v.DeptName = names[c.Department]
	if loc := s.Config.Location; loc != nil && c.ReportPublishedAt != nil {
		t := c.ReportPublishedAt.In(loc)
		c.ReportPublishedAt = &t
	}
	for i := range c.Groups {
		v.Groups[c.Groups[i].ID] = &c.Groups[i]
	}
	if c.State == consultation.Draft {
		v.Blank = []int{len(c.Sections), len(c.Sections) + 1}
		return v, nil
	}
	if v.Comments, err = s.Consultations.Comments(req.ctx(), req.p, id); err != nil {
		return nil, err
	}
	loc := s.Config.Location
	for _, cm := range v.Comments {
		if loc != nil {
			cm.CreatedAt = cm.CreatedAt.In(loc)
		}
		if !cm.Hidden && cm.Answer == "" {
			v.Unanswered++
		}
	}
	if v.Stats, err = s.Consultations.Stats(req.ctx(), id); err != nil {
		return nil, err
	}
	if r := v.Stats.AdoptionRate; r != nil {
		v.Rate = strconv.FormatFloat(*r, 'f', 1, 64) + "%"
	}
	open := c.Phase == consultation.Open
	v.CanComment = open && req.p.Can(identity.PermConsultationComment)
	v.SignIn = open && req.p.Anonymous()
	if staff {
		if v.Moderations, err = s.Consultations.Moderations(req.ctx(), req.p, id); err != nil {
			return nil, err
		}
		for i := range v.Moderations {
			if loc != nil {
				v.Moderations[i].At = v.Moderations[i].At.In(loc)
			}
		}
	}
	return v, nil
}

func (s *Server) renderConsultation(req *request, status int, v *consultationView, msgs map[string]string, form map[string]string) error {
	name := "consultation"
	if v.Staff {
		name = "staff_consultation"
	}
	return s.renderPage(req, status, name, &page{Title: v.C.Title, Data: v, Errors: msgs, Form: form})
}

// --- Public pages ---

type consultationListView struct {
	Open, Closed []*consultation.Consultation
	DeptNames    map[string]string
	Staff        bool
}

func (s *Server) consultationList(req *request, staff bool) error {
	cs, err := s.Consultations.List(req.ctx(), req.p, consultation.Filter{Managed: staff, Department: req.r.URL.Query().Get("department")})
	if err != nil {
		return err
	}
	v := consultationListView{Staff: staff}
	if v.DeptNames, _, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return err
	}
	for _, c := range cs {
		switch c.Phase {
		case consultation.Closed, consultation.Reported:
			v.Closed = append(v.Closed, c)
		default:
			v.Open = append(v.Open, c)
		}
	}
	title := "consultations_title"
	if staff {
		title = "consultations_staff_title"
	}
	return s.render(req, http.StatusOK, "consultations", req.t(title), v)
}

func (s *Server) consultationsPage(req *request) error { return s.consultationList(req, false) }

func (s *Server) consultationPolicyPage(req *request) error {
	return s.render(req, http.StatusOK, "consultation_policy", req.t("consultation_policy_title"), policyOf(req.lang))
}

func (s *Server) consultationPage(req *request) error {
	v, err := s.consultationView(req, req.r.PathValue("id"), false)
	if err != nil {
		return err
	}
	form := map[string]string{"section": req.r.URL.Query().Get("section")}
	return s.renderConsultation(req, http.StatusOK, v, nil, form)
}

func commentInputFromForm(req *request) (consultation.CommentInput, error) {
	in := consultation.CommentInput{Passage: req.r.PostFormValue("passage"), Text: req.r.PostFormValue("text")}
	if sec := strings.TrimSpace(req.r.PostFormValue("section")); sec != "" {
		n, err := strconv.Atoi(sec)
		if err != nil || n < 0 {
			return in, fielderr.New("section", "consultation_section_unknown")
		}
		in.Section = n
	}
	return in, nil
}

func (s *Server) consultationCommentSubmit(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	in, err := commentInputFromForm(req)
	var cm *consultation.Comment
	if err == nil {
		cm, err = s.Consultations.AddComment(req.ctx(), req.p, id, in)
	}
	if err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return consultationError(err)
		}
		v, verr := s.consultationView(req, id, false)
		if verr != nil {
			return verr
		}
		return s.renderConsultation(req, http.StatusUnprocessableEntity, v, msgs, formMap(req, "section", "passage", "text"))
	}
	s.setFlash(req, "consultation_commented")
	return s.redirect(req, "/consultations/"+id+"#c-"+cm.ID)
}

// --- The department's pages ---

func (s *Server) staffConsultationsPage(req *request) error { return s.consultationList(req, true) }

// draftForm is the draft form with nothing yet: one blank section.
func (s *Server) staffConsultationNewPage(req *request) error {
	v := &consultationView{C: &consultation.Consultation{State: consultation.Draft, Sections: []consultation.Section{}}, Staff: true, Blank: []int{0, 1, 2}}
	return s.renderPage(req, http.StatusOK, "consultation_edit", &page{Title: req.t("consultation_new_title"), Data: v})
}

// draftFromForm reads the draft form: sections.N.heading and
// sections.N.body, where rows left wholly blank are dropped.
func draftFromForm(req *request) consultation.Input {
	in := consultation.Input{Department: req.r.PostFormValue("department_code"), Title: req.r.PostFormValue("title"), Summary: req.r.PostFormValue("summary"),
		OpensOn: req.r.PostFormValue("opens_on"), ClosesOn: req.r.PostFormValue("closes_on")}
	for i := 0; i <= consultation.MaxSections; i++ {
		h, hok := req.r.PostForm["sections."+strconv.Itoa(i)+".heading"]
		b, bok := req.r.PostForm["sections."+strconv.Itoa(i)+".body"]
		if !hok && !bok {
			break
		}
		sec := consultation.SectionInput{}
		if len(h) > 0 {
			sec.Heading = h[0]
		}
		if len(b) > 0 {
			sec.Body = b[0]
		}
		if strings.TrimSpace(sec.Heading) == "" && strings.TrimSpace(sec.Body) == "" {
			continue
		}
		in.Sections = append(in.Sections, sec)
	}
	return in
}

// draftFormAgain shows the draft form again with what was sent.
func (s *Server) draftFormAgain(req *request, c *consultation.Consultation, in consultation.Input, msgs map[string]string) error {
	form := map[string]string{"title": in.Title, "summary": in.Summary, "opens_on": in.OpensOn, "closes_on": in.ClosesOn, "department_code": in.Department}
	secs := []consultation.Section{}
	for i, sec := range in.Sections {
		secs = append(secs, consultation.Section{Number: i + 1, Heading: sec.Heading, Body: sec.Body})
	}
	if c == nil {
		c = &consultation.Consultation{State: consultation.Draft}
	}
	shown := *c
	shown.Sections = secs
	v := &consultationView{C: &shown, Staff: true, Blank: []int{len(secs), len(secs) + 1}}
	title := req.t("consultation_new_title")
	if c.ID != "" {
		title = c.Title
	}
	return s.renderPage(req, http.StatusUnprocessableEntity, "consultation_edit", &page{Title: title, Data: v, Errors: msgs, Form: form})
}

func (s *Server) staffConsultationCreate(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	in := draftFromForm(req)
	c, err := s.Consultations.Create(req.ctx(), req.p, in)
	if err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return consultationError(err)
		}
		return s.draftFormAgain(req, nil, in, msgs)
	}
	s.setFlash(req, "consultation_saved")
	return s.redirect(req, "/staff/consultations/"+c.ID)
}

func (s *Server) staffConsultationPage(req *request) error {
	v, err := s.consultationView(req, req.r.PathValue("id"), true)
	if err != nil {
		return err
	}
	if v.C.State == consultation.Draft {
		form := map[string]string{"title": v.C.Title, "summary": v.C.Summary, "opens_on": v.C.OpensOn, "closes_on": v.C.ClosesOn}
		return s.renderPage(req, http.StatusOK, "consultation_edit", &page{Title: v.C.Title, Data: v, Form: form})
	}
	return s.renderConsultation(req, http.StatusOK, v, nil, nil)
}

func (s *Server) staffConsultationUpdate(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	in := draftFromForm(req)
	if _, err := s.Consultations.Update(req.ctx(), req.p, id, in); err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return consultationError(err)
		}
		c, gerr := s.Consultations.Get(req.ctx(), req.p, id)
		if gerr != nil {
			return gerr
		}
		return s.draftFormAgain(req, c, in, msgs)
	}
	s.setFlash(req, "consultation_saved")
	return s.redirect(req, "/staff/consultations/"+id)
}

// staffConsultationAction runs one action of the department's page: on
// success a flash and back to the page; on invalid input the page again
// with the messages, shown at the form of target.
func (s *Server) staffConsultationAction(req *request, flash, target string, fields []string, act func(id string) error) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if err := act(id); err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return consultationError(err)
		}
		v, verr := s.consultationView(req, id, true)
		if verr != nil {
			return verr
		}
		if v.C.State == consultation.Draft {
			form := map[string]string{"title": v.C.Title, "summary": v.C.Summary, "opens_on": v.C.OpensOn, "closes_on": v.C.ClosesOn}
			return s.renderPage(req, http.StatusUnprocessableEntity, "consultation_edit", &page{Title: v.C.Title, Data: v, Errors: msgs, Form: form})
		}
		form := formMap(req, fields...)
		form["target"] = target
		return s.renderConsultation(req, http.StatusUnprocessableEntity, v, msgs, form)
	}
	s.setFlash(req, flash)
	return s.redirect(req, "/staff/consultations/"+id)
}

func (s *Server) staffConsultationPublish(req *request) error {
	return s.staffConsultationAction(req, "consultation_published", "publish", nil, func(id string) error {
		_, err := s.Consultations.Publish(req.ctx(), req.p, id)
		return err
	})
}

func (s *Server) staffCommentHide(req *request) error {
	cid := req.r.PathValue("cid")
	return s.staffConsultationAction(req, "consultation_hidden", cid, []string{"reason", "note"}, func(id string) error {
		return s.Consultations.Hide(req.ctx(), req.p, id, cid, req.r.PostFormValue("reason"), req.r.PostFormValue("note"))
	})
}

func (s *Server) staffCommentUnhide(req *request) error {
	cid := req.r.PathValue("cid")
	return s.staffConsultationAction(req, "consultation_unhidden", cid, []string{"note"}, func(id string) error {
		return s.Consultations.Unhide(req.ctx(), req.p, id, cid, req.r.PostFormValue("note"))
	})
}

func (s *Server) staffConsultationGroup(req *request) error {
	return s.staffConsultationAction(req, "consultation_grouped", "group", []string{"title"}, func(id string) error {
		_, err := s.Consultations.CreateGroup(req.ctx(), req.p, id, consultation.GroupInput{Title: req.r.PostFormValue("title"), Comments: req.r.PostForm["comments"]})
		return err
	})
}

func (s *Server) staffConsultationAnswer(req *request) error {
	target := req.r.FormValue("comment_id") + req.r.FormValue("group_id")
	return s.staffConsultationAction(req, "consultation_answered", target, []string{"verdict", "reason"}, func(id string) error {
		return s.Consultations.Answer(req.ctx(), req.p, id, consultation.AnswerInput{CommentID: req.r.PostFormValue("comment_id"), GroupID: req.r.PostFormValue("group_id"),
			Verdict: consultation.Verdict(req.r.PostFormValue("verdict")), Reason: req.r.PostFormValue("reason")})
	})
}

func (s *Server) staffConsultationReport(req *request) error {
	return s.staffConsultationAction(req, "consultation_report_published", "report", []string{"summary"}, func(id string) error {
		_, err := s.Consultations.PublishReport(req.ctx(), req.p, id, req.r.PostFormValue("summary"))
		return err
	})
}

// --- The comment policy ---

// policyRule is one rule of the comment policy, with the hide reason that
// cites it.
type policyRule struct {
	Reason string `json:"reason"`
	Text   string `json:"text"`
}

// policyDoc is the comment policy (意见发布规则) in one language.
type policyDoc struct {
	Version string       `json:"version"`
	Intro   string       `json:"intro"`
	Rules   []policyRule `json:"rules"`
	Outro   string       `json:"outro"`
}

func policyOf(l i18n.Lang) policyDoc {
	d := policyDoc{Version: consultation.PolicyVersion, Intro: i18n.T(l, "consultation_policy_intro"), Outro: i18n.T(l, "consultation_policy_outro")}
	for _, r := range consultation.HideReasons {
		d.Rules = append(d.Rules, policyRule{Reason: r, Text: i18n.T(l, "consultation_policy_"+r)})
	}
	return d
}

// --- CSV export ---

// consultationCSV writes the comments as a spreadsheet: UTF-8 with a byte
// order mark (so Excel reads Chinese correctly), masked names, hidden
// comments without their text but with the reason, and every cell
// guarded against formula injection.
func (s *Server) consultationCSV(req *request) error {
	id := req.r.PathValue("id")
	c, err := s.Consultations.Get(req.ctx(), nil, id)
	if err != nil {
		return err
	}
	// Exported as the public sees it, whoever asks.
	comments, err := s.Consultations.Comments(req.ctx(), nil, id)
	if err != nil {
		return err
	}
	t := func(k string, a ...any) string { return req.t(k, a...) }
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write([]string{t("csv_no"), t("csv_time"), t("csv_target"), t("csv_passage"), t("csv_author"), t("csv_text"), t("csv_status"), t("csv_hide_reason"), t("csv_group"), t("csv_answer"), t("csv_answer_reason")})
	groups := map[string]string{}
	for _, g := range c.Groups {
		groups[g.ID] = g.Title
	}
	for i, cm := range comments {
		target := t("consultation_whole")
		if cm.Section > 0 {
			target = t("consultation_section_n", cm.Section)
			if sec := c.Section(cm.Section); sec != nil {
				target += " " + sec.Heading
			}
		}
		status, reason := t("consultation_status_shown"), ""
		if cm.Hidden {
			status, reason = t("consultation_status_hidden"), t("consultation_reason_"+cm.HideReason)
		}
		answer := ""
		if cm.Answer != "" {
			answer = t("consultation_verdict_" + string(cm.Answer))
		}
		at := cm.CreatedAt
		if s.Config.Location != nil {
			at = at.In(s.Config.Location)
		}
		row := []string{strconv.Itoa(i + 1), at.Format("2006-01-02 15:04"), target, cm.Passage, cm.Author, cm.Text, status, reason, groups[cm.GroupID], answer, cm.AnswerReason}
		for j := range row {
			row[j] = consultation.CSVCell(row[j])
		}
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	h := req.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="consultation-`+c.ID+`-comments.csv"`)
	h.Set("Cache-Control", "no-store")
	req.w.WriteHeader(http.StatusOK)
	req.w.Write(buf.Bytes())
	return nil
}

// --- JSON API ---

func (s *Server) apiConsultations(req *request) error {
	cs, err := s.Consultations.List(req.ctx(), req.p, consultation.Filter{Department: req.r.URL.Query().Get("department")})
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(cs))
	return nil
}

func (s *Server) apiStaffConsultations(req *request) error {
	cs, err := s.Consultations.List(req.ctx(), req.p, consultation.Filter{Managed: true})
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(cs))
	return nil
}

func (s *Server) apiConsultationPolicy(req *request) error {
	writeJSON(req.w, http.StatusOK, policyOf(req.lang))
	return nil
}

func (s *Server) apiConsultation(req *request) error {
	c, err := s.Consultations.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, c)
	return nil
}

func (s *Server) apiConsultationComments(req *request) error {
	cs, err := s.Consultations.Comments(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(cs))
	return nil
}

func (s *Server) apiConsultationStats(req *request) error {
	st, err := s.Consultations.Stats(req.ctx(), req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, st)
	return nil
}

func (s *Server) apiConsultationComment(req *request) error {
	var in consultation.CommentInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	cm, err := s.Consultations.AddComment(req.ctx(), req.p, req.r.PathValue("id"), in)
	if err != nil {
		return consultationError(err)
	}
	writeJSON(req.w, http.StatusCreated, cm)
	return nil
}

func (s *Server) apiCreateConsultation(req *request) error {
	var in consultation.Input
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	c, err := s.Consultations.Create(req.ctx(), req.p, in)
	if err != nil {
		return consultationError(err)
	}
	writeJSON(req.w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiUpdateConsultation(req *request) error {
	var in consultation.Input
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	c, err := s.Consultations.Update(req.ctx(), req.p, req.r.PathValue("id"), in)
	if err != nil {
		return consultationError(err)
	}
	writeJSON(req.w, http.StatusOK, c)
	return nil
}

func (s *Server) apiPublishConsultation(req *request) error {
	var in emptyInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	c, err := s.Consultations.Publish(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return consultationError(err)
	}
	writeJSON(req.w, http.StatusOK, c)
	return nil
}

func (s *Server) apiConsultationModerations(req *request) error {
	m, err := s.Consultations.Moderations(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(m))
	return nil
}

type hideInput struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// apiModerated answers a moderation with the comment as the department
// sees it.
func (s *Server) apiModerated(req *request, id, cid string) error {
	cs, err := s.Consultations.Comments(req.ctx(), req.p, id)
	if err != nil {
		return err
	}
	for _, cm := range cs {
		if cm.ID == cid {
			writeJSON(req.w, http.StatusOK, cm)
			return nil
		}
	}
	return notFound()
}

func (s *Server) apiHideComment(req *request) error {
	var in hideInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	id, cid := req.r.PathValue("id"), req.r.PathValue("cid")
	if err := s.Consultations.Hide(req.ctx(), req.p, id, cid, in.Reason, in.Note); err != nil {
		return consultationError(err)
	}
	return s.apiModerated(req, id, cid)
}

func (s *Server) apiUnhideComment(req *request) error {
	var in noteInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	id, cid := req.r.PathValue("id"), req.r.PathValue("cid")
	if err := s.Consultations.Unhide(req.ctx(), req.p, id, cid, in.Note); err != nil {
		return consultationError(err)
	}
	return s.apiModerated(req, id, cid)
}

func (s *Server) apiGroupComments(req *request) error {
	var in consultation.GroupInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	g, err := s.Consultations.CreateGroup(req.ctx(), req.p, req.r.PathValue("id"), in)
	if err != nil {
		return consultationError(err)
	}
	writeJSON(req.w, http.StatusCreated, g)
	return nil
}

func (s *Server) apiAnswerComment(req *request) error {
	var in consultation.AnswerInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if err := s.Consultations.Answer(req.ctx(), req.p, id, in); err != nil {
		return consultationError(err)
	}
	return s.apiConsultationComments(req)
}

type reportInput struct {
	Summary string `json:"summary"`
}

func (s *Server) apiPublishReport(req *request) error {
	var in reportInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	c, err := s.Consultations.PublishReport(req.ctx(), req.p, req.r.PathValue("id"), in.Summary)
	if err != nil {
		return consultationError(err)
	}
	writeJSON(req.w, http.StatusOK, c)
	return nil
}
