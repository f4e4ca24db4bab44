package web

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/rating"
)

// The 12345 hotline's pages and JSON API: citizens file tickets and answer
// the callback; dispatchers confirm or override the suggested department
// and merge duplicates; departments sign, return and reply; supervisors
// urge and reveal protected reporters. Every page and API route is a thin
// skin over one hotline.Store call.

// hotlineError maps the hotline's sentinel errors to responses.
func hotlineError(err error) error {
	if errors.Is(err, hotline.ErrState) {
		return &httpError{Code: http.StatusConflict, Key: "not_in_this_state", Err: err}
	}
	return err
}

// --- Filing ---

// fileView is the filing form: first a category, then its questions.
type fileView struct {
	Categories []hotline.Category
	Category   *hotline.Category
	Kinds      []hotline.Kind
	Divisions  []org.Division
	// Call is set on the dispatcher's telephone intake form.
	Call bool
}

func (s *Server) fileView(req *request, code string) (*fileView, error) {
	cats, err := s.Hotline.Categories(req.ctx())
	if err != nil {
		return nil, err
	}
	v := &fileView{Kinds: hotline.Kinds}
	for i := range cats {
		if cats[i].Active {
			v.Categories = append(v.Categories, cats[i])
			if cats[i].Code == code {
				v.Category = &v.Categories[len(v.Categories)-1]
			}
		}
	}
	if v.Divisions, err = s.Org.Divisions(req.ctx()); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Server) hotlineNewPage(req *request) error {
	v, err := s.fileView(req, req.r.URL.Query().Get("category"))
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "hotline_new", req.t("hotline_new_title"), v)
}

// parseCoordinate reads an optional coordinate from a form.
func parseCoordinate(v, field string, e *fielderr.Errors) *float64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		e.Add(field, "hotline_"+field+"_range")
		return nil
	}
	return &f
}

// ticketInputFromForm reads the filing form; attribute[code] carries the
// answers to the category's questions, as in Open311.
func ticketInputFromForm(f map[string][]string) (hotline.Input, error) {
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var e fielderr.Errors
	in := hotline.Input{Kind: hotline.Kind(get("kind")), Category: get("category_code"), Text: get("text"), Address: get("address"),
		Division: get("division_code"), Protection: hotline.Protection(get("protection")), Attributes: map[string]string{},
		ReporterName: get("reporter_name"), ReporterPhone: get("reporter_phone")}
	in.Lat = parseCoordinate(get("lat"), "lat", &e)
	in.Lon = parseCoordinate(get("lon"), "lon", &e)
	for k, v := range f {
		if code, ok := strings.CutPrefix(k, "attribute["); ok && strings.HasSuffix(code, "]") && len(v) > 0 {
			in.Attributes[strings.TrimSuffix(code, "]")] = v[0]
		}
	}
	return in, e.Err()
}

func (s *Server) hotlineFileSubmit(req *request) error {
	limit := s.Hotline.UploadLimit()
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, 5*limit+1<<20)
	var files []*multipart.FileHeader
	err := req.r.ParseMultipartForm(1 << 20)
	switch {
	case errors.Is(err, http.ErrNotMultipart):
		err = req.r.ParseForm()
	case err == nil:
		files = req.r.MultipartForm.File["files"]
		defer req.r.MultipartForm.RemoveAll()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fielderr.New("files", "file_too_large", limit>>20)
		}
		return badRequest(err)
	}
	form := map[string][]string(req.r.PostForm)
	if req.r.MultipartForm != nil {
		form = req.r.MultipartForm.Value
	}
	in, err := ticketInputFromForm(form)
	var t *hotline.Ticket
	if err == nil {
		var ups []hotline.Upload
		for _, fh := range files {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			f, oerr := fh.Open()
			if oerr != nil {
				return oerr
			}
			defer f.Close()
			ups = append(ups, hotline.Upload{Name: fh.Filename, R: f})
		}
		t, err = s.Hotline.File(req.ctx(), req.p, hotline.Web, in, ups)
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
		values := map[string]string{}
		for k, vs := range form {
			if len(vs) > 0 {
				values[k] = vs[0]
			}
		}
		return s.renderPage(req, http.StatusUnprocessableEntity, "hotline_new", &page{Title: req.t("hotline_new_title"), Data: v, Errors: msgs, Form: values})
	}
	s.setFlash(req, "hotline_filed", t.Number)
	return s.redirect(req, "/hotline/tickets/"+t.ID)
}

// --- Lists ---

// ticketListView is a list of tickets: the reporter's own, the
// dispatcher's queue or a department's.
type ticketListView struct {
	Tickets   []*hotline.Ticket
	DeptNames map[string]string
	// Scope is mine, dispatch or department.
	Scope string
	State string
}

func (s *Server) ticketList(req *request, scope string, f hotline.Filter) error {
	ts, err := s.Hotline.List(req.ctx(), req.p, f)
	if err != nil {
		return err
	}
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "hotline_list", req.t("hotline_list_"+scope), ticketListView{Tickets: ts, DeptNames: names, Scope: scope, State: string(f.State)})
}

func (s *Server) hotlineMinePage(req *request) error {
	return s.ticketList(req, "mine", hotline.Filter{Mine: true})
}

func (s *Server) hotlineDispatchPage(req *request) error {
	return s.ticketList(req, "dispatch", hotline.Filter{State: hotline.Dispatching})
}

// queueFilter reads the department queue's state filter: by default what
// still needs the department (dispatched or handling).
func queueFilter(req *request) hotline.Filter {
	st := hotline.State(req.r.URL.Query().Get("state"))
	switch st {
	case hotline.Dispatched, hotline.Handling, hotline.Replied, hotline.Closed:
		return hotline.Filter{State: st}
	}
	return hotline.Filter{State: hotline.Dispatched}
}

func (s *Server) hotlineQueuePage(req *request) error {
	return s.ticketList(req, "department", queueFilter(req))
}

// --- One ticket ---

// ticketView is the ticket page with what the viewer may do on it.
type ticketView struct {
	T         *hotline.Ticket
	Category  *hotline.Category
	DeptNames map[string]string
	Depts     []org.Department
	Similar   []hotline.Match
	Revealed  *hotline.Identity
	// Solved is the callback's answer: yes, no or "".
	Solved string
	// Stamps are the ticket's ledger entries, with receipts once
	// integrated.
	Stamps []ledger.Stamp

	CanCallback, CanDispatch, CanMerge, CanSign, CanReply, CanUrge, CanReveal bool
	// CanLookup: the viewer's department handles the ticket and the
	// viewer may look its reporter up in shared data.
	CanLookup bool
	// Rating is the rating section (好差评), nil when there is none.
	Rating *ratingBlock
}

func (s *Server) ticketView(req *request, id string) (*ticketView, error) {
	t, err := s.Hotline.Get(req.ctx(), req.p, id)
	if err != nil {
		return nil, err
	}
	v := &ticketView{T: t}
	if t.Solved != nil {
		v.Solved = map[bool]string{true: "yes", false: "no"}[*t.Solved]
	}
	if v.DeptNames, v.Depts, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return nil, err
	}
	if c, err := s.Hotline.Category(req.ctx(), t.CategoryCode); err == nil {
		v.Category = c
	}
	p := req.p
	dispatcher := p.Can(identity.PermHotlineDispatch)
	v.CanCallback = t.State == hotline.Replied && (t.Mine(p.Account.ID) || (dispatcher && !t.HasReporterAccount()))
	v.CanDispatch = t.State == hotline.Dispatching && dispatcher
	v.CanMerge = t.State.Open() && dispatcher
	handler := t.DepartmentCode != "" && p.CanIn(identity.PermStaffDesk, t.DepartmentCode)
	v.CanSign = handler && t.State == hotline.Dispatched
	v.CanReply = handler && t.State == hotline.Handling
	v.CanLookup = (t.State == hotline.Handling || t.State == hotline.Replied) && p.CanIn(identity.PermExchangeQuery, t.DepartmentCode)
	v.CanUrge = p.Can(identity.PermSupervise) && (t.State == hotline.Dispatched || t.State == hotline.Handling)
	v.CanReveal = p.Can(identity.PermHotlineReveal) && t.Protection != hotline.Public
	if v.Rating, err = s.ratingBlock(req, rating.TicketObject, t.ID, "/hotline/tickets/"+t.ID); err != nil {
		return nil, err
	}
	if v.CanMerge {
		if v.Similar, err = s.Hotline.Similar(req.ctx(), p, t.ID); err != nil {
			return nil, err
		}
	}
	if s.Ledger != nil {
		if v.Stamps, err = s.Ledger.Stamps(req.ctx(), hotline.LedgerObject, t.ID); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *Server) renderTicket(req *request, status int, v *ticketView, msgs map[string]string, form map[string]string) error {
	return s.renderPage(req, status, "hotline_ticket", &page{Title: req.t("hotline_ticket_title", v.T.Number), Data: v, Errors: msgs, Form: form})
}

func (s *Server) hotlineTicketPage(req *request) error {
	v, err := s.ticketView(req, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderTicket(req, http.StatusOK, v, nil, nil)
}

// ticketAction runs one action from the ticket page: on success a flash
// and back to the ticket; on invalid input the page again with the
// messages.
func (s *Server) ticketAction(req *request, flash string, fields []string, act func(id string) error) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if err := act(id); err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return hotlineError(err)
		}
		v, verr := s.ticketView(req, id)
		if verr != nil {
			return verr
		}
		return s.renderTicket(req, http.StatusUnprocessableEntity, v, msgs, formMap(req, fields...))
	}
	s.setFlash(req, flash)
	return s.redirect(req, "/hotline/tickets/"+id)
}

func (s *Server) hotlineCallbackSubmit(req *request) error {
	return s.ticketAction(req, "hotline_callback_done", []string{"solved", "satisfaction", "comment"}, func(id string) error {
		_, err := s.Hotline.Callback(req.ctx(), req.p, id, req.r.PostFormValue("solved") == "yes", hotline.Satisfaction(req.r.PostFormValue("satisfaction")), req.r.PostFormValue("comment"))
		return err
	})
}

func (s *Server) hotlineDispatchSubmit(req *request) error {
	return s.ticketAction(req, "hotline_dispatched", []string{"department_code", "note"}, func(id string) error {
		_, err := s.Hotline.Dispatch(req.ctx(), req.p, id, req.r.PostFormValue("department_code"), req.r.PostFormValue("note"))
		return err
	})
}

func (s *Server) hotlineMergeSubmit(req *request) error {
	return s.ticketAction(req, "hotline_merged", []string{"into"}, func(id string) error {
		_, err := s.Hotline.Merge(req.ctx(), req.p, id, req.r.PostFormValue("into"))
		return err
	})
}

func (s *Server) hotlineSignSubmit(req *request) error {
	return s.ticketAction(req, "hotline_signed", nil, func(id string) error {
		_, err := s.Hotline.Sign(req.ctx(), req.p, id)
		return err
	})
}

func (s *Server) hotlineReturnSubmit(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if _, err := s.Hotline.Return(req.ctx(), req.p, id, req.r.PostFormValue("reason")); err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return hotlineError(err)
		}
		v, verr := s.ticketView(req, id)
		if verr != nil {
			return verr
		}
		return s.renderTicket(req, http.StatusUnprocessableEntity, v, msgs, formMap(req, "reason"))
	}
	// The ticket has left the department: back to its queue.
	s.setFlash(req, "hotline_returned")
	return s.redirect(req, "/staff/hotline")
}

func (s *Server) hotlineReplySubmit(req *request) error {
	return s.ticketAction(req, "hotline_replied", []string{"reply"}, func(id string) error {
		_, err := s.Hotline.Reply(req.ctx(), req.p, id, req.r.PostFormValue("reply"))
		return err
	})
}

func (s *Server) hotlineUrgeSubmit(req *request) error {
	return s.ticketAction(req, "hotline_urged", []string{"note"}, func(id string) error {
		_, err := s.Hotline.Urge(req.ctx(), req.p, id, req.r.PostFormValue("note"))
		return err
	})
}

// hotlineRevealSubmit shows the reporter on the page it answers with;
// the identity never travels in a URL or a cookie.
func (s *Server) hotlineRevealSubmit(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	who, err := s.Hotline.Reveal(req.ctx(), req.p, id, req.r.PostFormValue("reason"))
	status := http.StatusOK
	var msgs map[string]string
	if err != nil {
		var ok bool
		if msgs, ok = formErrors(req.lang, err); !ok {
			return hotlineError(err)
		}
		status = http.StatusUnprocessableEntity
	}
	v, err := s.ticketView(req, id)
	if err != nil {
		return err
	}
	v.Revealed = who
	return s.renderTicket(req, status, v, msgs, formMap(req, "reason"))
}

func (s *Server) hotlineAttachment(req *request) error {
	a, rc, err := s.Hotline.OpenAttachment(req.ctx(), req.p, req.r.PathValue("id"), req.r.PathValue("aid"))
	if err != nil {
		return err
	}
	return serveUpload(req, a.FileName, a.ContentType, rc)
}

// --- JSON API ---

func (s *Server) apiHotlineCategories(req *request) error {
	cats, err := s.Hotline.Categories(req.ctx())
	if err != nil {
		return err
	}
	var out []hotline.Category
	for _, c := range cats {
		if c.Active {
			out = append(out, c)
		}
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

func (s *Server) apiFileTicket(req *request) error {
	var in hotline.Input
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	t, err := s.Hotline.File(req.ctx(), req.p, hotline.API, in, nil)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, t)
	return nil
}

func (s *Server) apiTicketList(req *request, f hotline.Filter) error {
	ts, err := s.Hotline.List(req.ctx(), req.p, f)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(ts))
	return nil
}

func (s *Server) apiMyTickets(req *request) error {
	return s.apiTicketList(req, hotline.Filter{Mine: true})
}

func (s *Server) apiDispatchQueue(req *request) error {
	return s.apiTicketList(req, hotline.Filter{State: hotline.Dispatching})
}

func (s *Server) apiHotlineQueue(req *request) error {
	return s.apiTicketList(req, queueFilter(req))
}

func (s *Server) apiTicket(req *request) error {
	t, err := s.Hotline.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, t)
	return nil
}

// apiTicketAction decodes a JSON body into in, runs act and answers with
// the ticket.
func apiTicketAction[T any](s *Server, req *request, act func(id string, in T) (*hotline.Ticket, error)) error {
	var in T
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	t, err := act(req.r.PathValue("id"), in)
	if err != nil {
		return hotlineError(err)
	}
	writeJSON(req.w, http.StatusOK, t)
	return nil
}

type callbackInput struct {
	Solved       bool                 `json:"solved"`
	Satisfaction hotline.Satisfaction `json:"satisfaction"`
	Comment      string               `json:"comment"`
}

type dispatchInput struct {
	DepartmentCode string `json:"department_code"`
	Note           string `json:"note"`
}

type noteInput struct {
	Note string `json:"note"`
}

type reasonInput struct {
	Reason string `json:"reason"`
}

type replyInput struct {
	Reply string `json:"reply"`
}

type mergeInput struct {
	Into string `json:"into"`
}

type emptyInput struct{}

func (s *Server) apiTicketCallback(req *request) error {
	return apiTicketAction(s, req, func(id string, in callbackInput) (*hotline.Ticket, error) {
		return s.Hotline.Callback(req.ctx(), req.p, id, in.Solved, in.Satisfaction, in.Comment)
	})
}

func (s *Server) apiTicketDispatch(req *request) error {
	return apiTicketAction(s, req, func(id string, in dispatchInput) (*hotline.Ticket, error) {
		return s.Hotline.Dispatch(req.ctx(), req.p, id, in.DepartmentCode, in.Note)
	})
}

func (s *Server) apiTicketMerge(req *request) error {
	return apiTicketAction(s, req, func(id string, in mergeInput) (*hotline.Ticket, error) {
		return s.Hotline.Merge(req.ctx(), req.p, id, in.Into)
	})
}

func (s *Server) apiTicketSimilar(req *request) error {
	m, err := s.Hotline.Similar(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(m))
	return nil
}

func (s *Server) apiTicketSign(req *request) error {
	return apiTicketAction(s, req, func(id string, _ emptyInput) (*hotline.Ticket, error) {
		return s.Hotline.Sign(req.ctx(), req.p, id)
	})
}

func (s *Server) apiTicketReturn(req *request) error {
	return apiTicketAction(s, req, func(id string, in reasonInput) (*hotline.Ticket, error) {
		return s.Hotline.Return(req.ctx(), req.p, id, in.Reason)
	})
}

func (s *Server) apiTicketReply(req *request) error {
	return apiTicketAction(s, req, func(id string, in replyInput) (*hotline.Ticket, error) {
		return s.Hotline.Reply(req.ctx(), req.p, id, in.Reply)
	})
}

func (s *Server) apiTicketUrge(req *request) error {
	return apiTicketAction(s, req, func(id string, in noteInput) (*hotline.Ticket, error) {
		return s.Hotline.Urge(req.ctx(), req.p, id, in.Note)
	})
}

func (s *Server) apiTicketReveal(req *request) error {
	var in reasonInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	who, err := s.Hotline.Reveal(req.ctx(), req.p, req.r.PathValue("id"), in.Reason)
	if err != nil {
		return hotlineError(err)
	}
	writeJSON(req.w, http.StatusOK, who)
	return nil
}
