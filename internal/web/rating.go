package web

import (
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/rating"
)

// The service rating (好差评): the rating form on the application and
// ticket pages, the rectification pages of departments, citizens and
// supervisors, and the public figures; each also in the JSON API. Every
// handler is a thin skin over one rating.Store call.

// ratingError maps the rating package's sentinel errors to responses.
func ratingError(err error) error {
	if errors.Is(err, rating.ErrState) {
		return &httpError{Code: http.StatusConflict, Key: "not_in_this_state", Err: err}
	}
	return err
}

// ratingBlock is the rating section of an application or ticket page:
// the rating given (to the rater, the department and supervisors), and
// the form to rate or amend for the rater.
type ratingBlock struct {
	// Action is where the form posts: …/rating, or …/rating/amend.
	Action    string
	Rating    *rating.Rating
	CanRate   bool
	Amendable bool
	Levels    []rating.Level
	Good      []string
	Improve   []string
	// Checked are the tags ticked in the form.
	Checked map[string]bool
	// AmendUntil is the end of the amendment period, in local time.
	AmendUntil string
}

// ratingBlock returns the rating section of object typ/id whose pages
// live under base, or nil when there is nothing to show.
func (s *Server) ratingBlock(req *request, typ rating.ObjectType, id, base string) (*ratingBlock, error) {
	b := &ratingBlock{Action: base + "/rating", Levels: rating.Levels, Good: rating.GoodTags, Improve: rating.ImproveTags, Checked: map[string]bool{}}
	r, err := s.Ratings.ForObject(req.ctx(), req.p, typ, id)
	switch {
	case err == nil:
		b.Rating = r
		b.Amendable = r.Mine && r.Amendable(s.Now())
		if b.Amendable {
			b.Action = base + "/rating/amend"
			b.AmendUntil = r.AmendUntil.In(s.location()).Format("2006-01-02 15:04")
		}
		for _, t := range r.Tags {
			b.Checked[t] = true
		}
	case errors.Is(err, db.ErrNotFound):
		if b.CanRate, err = s.Ratings.CanRate(req.ctx(), req.p, typ, id); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if b.Rating == nil && !b.CanRate {
		return nil, nil
	}
	return b, nil
}

// ratingForm reads the rating form.
func ratingForm(req *request, typ rating.ObjectType, id string) rating.Input {
	return rating.Input{ObjectType: typ, ObjectID: id, Level: rating.Level(req.r.PostFormValue("level")), Tags: req.r.PostForm["tags"], Text: req.r.PostFormValue("text")}
}

// ratingFormValues are the form's values for showing it again, with the
// rating given prefilled when the form was not posted.
func ratingFormValues(req *request, b *ratingBlock) map[string]string {
	if req.r.Method == http.MethodPost {
		if b != nil {
			b.Checked = map[string]bool{}
			for _, t := range req.r.PostForm["tags"] {
				b.Checked[t] = true
			}
		}
		return formMap(req, "level", "text")
	}
	if b != nil && b.Amendable {
		return map[string]string{"level": string(b.Rating.Level), "text": b.Rating.Text}
	}
	return nil
}

// rateSubmit rates (or amends) an application or ticket from its page.
func (s *Server) rateSubmit(req *request, typ rating.ObjectType, amend bool) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	in := ratingForm(req, typ, id)
	var err error
	if amend {
		_, err = s.Ratings.Amend(req.ctx(), req.p, in)
	} else {
		_, err = s.Ratings.Rate(req.ctx(), req.p, rating.Web, in)
	}
	if err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return ratingError(err)
		}
		switch typ {
		case rating.ApplicationObject:
			a, gerr := s.Applications.Get(req.ctx(), req.p, id)
			if gerr != nil {
				return gerr
			}
			v, verr := s.viewApplication(req, a)
			if verr != nil {
				return verr
			}
			form := ratingFormValues(req, v.Rating)
			return s.renderPage(req, http.StatusUnprocessableEntity, "application", &page{Title: v.ServiceName, Data: v, Errors: msgs, Form: form})
		default:
			v, verr := s.ticketView(req, id)
			if verr != nil {
				return verr
			}
			return s.renderTicket(req, http.StatusUnprocessableEntity, v, msgs, ratingFormValues(req, v.Rating))
		}
	}
	if amend {
		s.setFlash(req, "rating_amended")
	} else {
		s.setFlash(req, "rating_done")
	}
	if typ == rating.ApplicationObject {
		return s.redirect(req, "/applications/"+id+"#rating")
	}
	return s.redirect(req, "/hotline/tickets/"+id+"#rating")
}

func (s *Server) applicationRateSubmit(req *request) error {
	return s.rateSubmit(req, rating.ApplicationObject, false)
}
func (s *Server) applicationAmendSubmit(req *request) error {
	return s.rateSubmit(req, rating.ApplicationObject, true)
}
func (s *Server) ticketRateSubmit(req *request) error {
	return s.rateSubmit(req, rating.TicketObject, false)
}
func (s *Server) ticketAmendSubmit(req *request) error {
	return s.rateSubmit(req, rating.TicketObject, true)
}

// --- Rectifications ---

// rectificationView is one rectification with what the viewer may do.
type rectificationView struct {
	X         *rating.Rectification
	DeptNames map[string]string
	// ObjectLink is the rated application's or ticket's page, for those
	// who may open it.
	ObjectLink  string
	CanAnswer   bool
	CanCallback bool
	// Phone is true when the viewer records a telephone callback rather
	// than giving their own.
	Phone bool
}

func (s *Server) rectificationView(req *request, id string) (*rectificationView, error) {
	x, err := s.Ratings.Rectification(req.ctx(), req.p, id)
	if err != nil {
		return nil, err
	}
	v := &rectificationView{X: x, CanAnswer: rating.CanAnswer(req.p, x), CanCallback: rating.CanCallback(req.p, x)}
	v.Phone = v.CanCallback && !x.Rating.Mine
	if v.DeptNames, _, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return nil, err
	}
	switch {
	case x.Rating.ObjectType == rating.TicketObject:
		v.ObjectLink = "/hotline/tickets/" + x.Rating.ObjectID
	case x.Rating.Mine:
		v.ObjectLink = "/applications/" + x.Rating.ObjectID
	}
	return v, nil
}

func (s *Server) renderRectification(req *request, status int, v *rectificationView, msgs, form map[string]string) error {
	return s.renderPage(req, status, "rectification", &page{Title: req.t("rectification_title"), Data: v, Errors: msgs, Form: form})
}

func (s *Server) rectificationPage(req *request) error {
	v, err := s.rectificationView(req, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.renderRectification(req, http.StatusOK, v, nil, nil)
}

// rectificationAction runs one action from the rectification page.
func (s *Server) rectificationAction(req *request, flash string, fields []string, act func(id string) error) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if err := act(id); err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return ratingError(err)
		}
		v, verr := s.rectificationView(req, id)
		if verr != nil {
			return verr
		}
		return s.renderRectification(req, http.StatusUnprocessableEntity, v, msgs, formMap(req, fields...))
	}
	s.setFlash(req, flash)
	return s.redirect(req, "/rectifications/"+id)
}

func (s *Server) rectificationAnswerSubmit(req *request) error {
	return s.rectificationAction(req, "rectification_answered_done", []string{"cause", "action"}, func(id string) error {
		_, err := s.Ratings.Answer(req.ctx(), req.p, id, req.r.PostFormValue("cause"), req.r.PostFormValue("action"))
		return err
	})
}

// callbackChannel is the rater's own channel, or phone when someone
// else (a supervisor) records what the citizen said.
func (s *Server) callbackChannel(req *request, id string, own rating.Channel) (rating.Channel, error) {
	x, err := s.Ratings.Rectification(req.ctx(), req.p, id)
	if err != nil {
		return "", err
	}
	if x.Rating.Mine {
		return own, nil
	}
	return rating.Phone, nil
}

func (s *Server) rectificationCallbackSubmit(req *request) error {
	return s.rectificationAction(req, "rectification_callback_done", []string{"satisfied", "comment"}, func(id string) error {
		var satisfied bool
		switch req.r.PostFormValue("satisfied") {
		case "yes":
			satisfied = true
		case "no":
		default:
			return fielderr.New("satisfied", "rectification_satisfied_required")
		}
		ch, err := s.callbackChannel(req, id, rating.Web)
		if err != nil {
			return err
		}
		_, err = s.Ratings.Callback(req.ctx(), req.p, id, ch, satisfied, req.r.PostFormValue("comment"))
		return err
	})
}

// rectificationFilter reads the list's filters from the query string.
func rectificationFilter(req *request) rating.Filter {
	q := req.r.URL.Query()
	return rating.Filter{State: rating.State(q.Get("state")), Warning: rating.Warning(q.Get("warning")), Department: q.Get("department"),
		Callback: rating.Verdict(q.Get("callback"))}
}

// rectificationListView is the list of rectifications.
type rectificationListView struct {
	Items     []*rating.Rectification
	DeptNames map[string]string
	Filter    rating.Filter
	// Departments are offered in the filter to supervisors.
	Departments []string
	Oversee     bool
}

func (s *Server) rectificationsPage(req *request) error {
	f := rectificationFilter(req)
	items, err := s.Ratings.Rectifications(req.ctx(), req.p, f)
	if err != nil {
		if _, ok := formErrors(req.lang, err); ok {
			f = rating.Filter{}
			items, err = s.Ratings.Rectifications(req.ctx(), req.p, f)
		}
		if err != nil {
			return err
		}
	}
	v := rectificationListView{Items: items, Filter: f, Oversee: req.p.Can(identity.PermSupervise)}
	var depts []string
	names, all, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return err
	}
	for _, d := range all {
		depts = append(depts, d.Code)
	}
	v.DeptNames, v.Departments = names, depts
	return s.render(req, http.StatusOK, "rectifications", req.t("rectifications_title"), v)
}

// --- Public figures ---

// publicFigures is the public figures document, page and JSON alike: the
// ratings' figures, and beside them any further section a domain adds
// (a field here, filled in figures, and a section of figures.html).
type publicFigures struct {
	*rating.Figures
	// Consultations are the consultations on draft policies of each
	// department that published one (征求意见).
	Consultations []consultationFigures `json:"consultations"`
}

// consultationFigures are a department's consultations: how many it
// published and how many have closed, the comments they received, and the
// answers of its published adoption reports, comment by comment.
type consultationFigures struct {
	Department    string `json:"department"`
	Consultations int    `json:"consultations"`
	Closed        int    `json:"closed"`
	Comments      int    `json:"comments"`
	Adopted       int    `json:"adopted"`
	PartlyAdopted int    `json:"partly_adopted"`
	NotAdopted    int    `json:"not_adopted"`
	// AdoptionRate is the percentage of the answered comments adopted in
	// whole or in part, to one decimal; nil before any answer.
	AdoptionRate *float64 `json:"adoption_rate"`
}

// figuresCache is the last public figures document, kept while the
// ratings' figures it was built on are the ones the rating store serves
// from memory.
type figuresCache struct {
	sync.Mutex
	last *publicFigures
}

// figures gathers the public figures.
func (s *Server) figures(req *request) (*publicFigures, error) {
	f, err := s.Ratings.Figures(req.ctx())
	if err != nil {
		return nil, err
	}
	// While the rating store serves its figures from memory, so does the
	// rest of the document: a busy public page costs one aggregation per
	// node per period, not one consultation count per request.
	s.figCache.Lock()
	defer s.figCache.Unlock()
	if last := s.figCache.last; last != nil && last.Figures == f {
		return last, nil
	}
	cs, err := s.Consultations.Figures(req.ctx())
	if err != nil {
		return nil, err
	}
	out := &publicFigures{Figures: f, Consultations: []consultationFigures{}}
	for _, c := range cs {
		cf := consultationFigures{Department: c.Department, Consultations: c.Consultations, Closed: c.Closed, Comments: c.Comments,
			Adopted: c.Adopted, PartlyAdopted: c.PartlyAdopted, NotAdopted: c.NotAdopted}
		if answered := c.Adopted + c.PartlyAdopted + c.NotAdopted; answered > 0 {
			r := math.Round(float64(c.Adopted+c.PartlyAdopted)*1000/float64(answered)) / 10
			cf.AdoptionRate = &r
		}
		out.Consultations = append(out.Consultations, cf)
	}
	s.figCache.last = out
	return out, nil
}

// figuresView is the public figures page.
type figuresView struct {
	F         *publicFigures
	DeptNames map[string]string
	Levels    []rating.Level
	Computed  string
}

func (s *Server) figuresPage(req *request) error {
	f, err := s.figures(req)
	if err != nil {
		return err
	}
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return err
	}
	loc := s.location()
	return s.render(req, http.StatusOK, "figures", req.t("figures_title"), figuresView{F: f, DeptNames: names, Levels: rating.Levels,
		Computed: f.ComputedAt.In(loc).Format("2006-01-02 15:04")})
}

// --- JSON API ---

func (s *Server) apiFigures(req *request) error {
	f, err := s.figures(req)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, f)
	return nil
}

// ratingLevel is a level with its name and tags, for API clients.
type ratingLevel struct {
	Code rating.Level `json:"code"`
	Name string       `json:"name"`
	// Bad levels open a rectification.
	Bad  bool        `json:"bad"`
	Tags []ratingTag `json:"tags"`
}

type ratingTag struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (s *Server) apiRatingLevels(req *request) error {
	var out []ratingLevel
	for _, l := range rating.Levels {
		rl := ratingLevel{Code: l, Name: req.t("rating_level_" + string(l)), Bad: l.Bad(), Tags: []ratingTag{}}
		for _, t := range rating.Tags[l] {
			rl.Tags = append(rl.Tags, ratingTag{Code: t, Name: req.t("rating_tag_" + t)})
		}
		out = append(out, rl)
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

// ratingInput is the body of a rating or an amendment through the API.
type ratingInput struct {
	Level rating.Level `json:"level"`
	Tags  []string     `json:"tags"`
	Text  string       `json:"text"`
}

func (s *Server) apiRate(req *request, typ rating.ObjectType, amend bool) error {
	var in ratingInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	ri := rating.Input{ObjectType: typ, ObjectID: req.r.PathValue("id"), Level: in.Level, Tags: in.Tags, Text: in.Text}
	var r *rating.Rating
	var err error
	status := http.StatusCreated
	if amend {
		r, err = s.Ratings.Amend(req.ctx(), req.p, ri)
		status = http.StatusOK
	} else {
		r, err = s.Ratings.Rate(req.ctx(), req.p, rating.API, ri)
	}
	if err != nil {
		return ratingError(err)
	}
	writeJSON(req.w, status, r)
	return nil
}

func (s *Server) apiRateApplication(req *request) error {
	return s.apiRate(req, rating.ApplicationObject, false)
}
func (s *Server) apiAmendApplicationRating(req *request) error {
	return s.apiRate(req, rating.ApplicationObject, true)
}
func (s *Server) apiRateTicket(req *request) error { return s.apiRate(req, rating.TicketObject, false) }
func (s *Server) apiAmendTicketRating(req *request) error {
	return s.apiRate(req, rating.TicketObject, true)
}

// myRatingsPage lists the ratings the signed-in person gave, newest
// first, each with what it rated and, for a bad one, its rectification.
func (s *Server) myRatingsPage(req *request) error {
	rs, err := s.Ratings.Mine(req.ctx(), req.p)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "my_ratings", req.t("my_ratings_title"), rs)
}

func (s *Server) apiMyRatings(req *request) error {
	rs, err := s.Ratings.Mine(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(rs))
	return nil
}

func (s *Server) apiRectifications(req *request) error {
	items, err := s.Ratings.Rectifications(req.ctx(), req.p, rectificationFilter(req))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(items))
	return nil
}

func (s *Server) apiRectification(req *request) error {
	x, err := s.Ratings.Rectification(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, x)
	return nil
}

type answerInput struct {
	Cause  string `json:"cause"`
	Action string `json:"action"`
}

func (s *Server) apiRectificationAnswer(req *request) error {
	var in answerInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	x, err := s.Ratings.Answer(req.ctx(), req.p, req.r.PathValue("id"), in.Cause, in.Action)
	if err != nil {
		return ratingError(err)
	}
	writeJSON(req.w, http.StatusOK, x)
	return nil
}

type rectCallbackInput struct {
	Satisfied *bool  `json:"satisfied"`
	Comment   string `json:"comment"`
}

func (s *Server) apiRectificationCallback(req *request) error {
	var in rectCallbackInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	if in.Satisfied == nil {
		return fielderr.New("satisfied", "rectification_satisfied_required")
	}
	id := req.r.PathValue("id")
	ch, err := s.callbackChannel(req, id, rating.API)
	if err != nil {
		return err
	}
	x, err := s.Ratings.Callback(req.ctx(), req.p, id, ch, *in.Satisfied, in.Comment)
	if err != nil {
		return ratingError(err)
	}
	writeJSON(req.w, http.StatusOK, x)
	return nil
}

// location is the platform's time zone, for showing instants.
func (s *Server) location() *time.Location {
	if s.Config.Location != nil {
		return s.Config.Location
	}
	return time.UTC
}
