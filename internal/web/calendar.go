package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/fielderr"
)

// maxWorkdays bounds the days of a working-day query: ten years' worth
// of limits, far beyond any statutory one.
const maxWorkdays = 3650

// workdaysResponse answers a working-day count. Covered is false when a
// year between From and Due has no holiday notice entered, so the answer
// counted Monday to Friday only for that year and may change.
type workdaysResponse struct {
	From    calendar.Date `json:"from"`
	Days    int           `json:"days"`
	Due     calendar.Date `json:"due"`
	Covered bool          `json:"covered"`
}

func (s *Server) apiCalendarWorkdays(req *request) error {
	q := req.r.URL.Query()
	var fe fielderr.Errors
	from, err := calendar.ParseDateField("from", q.Get("from"))
	fe.Merge("", err)
	n, err := intField("days", q.Get("days"), 0, maxWorkdays, "calendar_days_invalid")
	fe.Merge("", err)
	if err := fe.Err(); err != nil {
		return err
	}
	cal, err := s.Calendar.Calendar(req.ctx())
	if err != nil {
		return err
	}
	due := cal.AddWorkdays(from, n)
	writeJSON(req.w, http.StatusOK, workdaysResponse{From: from, Days: n, Due: due, Covered: cal.CoversRange(from, due)})
	return nil
}

// intField reads a whole number from lo to hi typed into field: required,
// else a field error with key (given lo and hi as parameters).
func intField(field, text string, lo, hi int, key string) (int, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, fielderr.New(field, "required")
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < lo || n > hi {
		return 0, fielderr.New(field, key, lo, hi)
	}
	return n, nil
}

// calendarYear reads the year parameter; an empty one means this year in
// the platform's time zone.
func (s *Server) calendarYear(text string) (int, error) {
	if strings.TrimSpace(text) == "" {
		return s.today().Year, nil
	}
	return intField("year", text, calendar.MinYear, calendar.MaxYear, "calendar_year_invalid")
}

// today is the date in the platform's time zone.
func (s *Server) today() calendar.Date {
	return calendar.DateIn(s.Now(), s.Config.Location)
}

// daysResponse lists a year's special days. Covered says whether the
// year's holiday notice has been entered.
type daysResponse struct {
	Year    int  `json:"year"`
	Covered bool `json:"covered"`
	listResponse[calendar.Day]
}

func (s *Server) apiCalendarDays(req *request) error {
	year, err := s.calendarYear(req.r.URL.Query().Get("year"))
	if err != nil {
		return err
	}
	cal, err := s.Calendar.Calendar(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, daysResponse{Year: year, Covered: cal.Covers(year), listResponse: list(cal.Days(year))})
	return nil
}

// calendarDayInput is the body of PUT /api/v1/admin/calendar/days/{date}.
type calendarDayInput struct {
	Kind calendar.Kind `json:"kind"`
	Name string        `json:"name"`
}

func (s *Server) apiAdminPutCalendarDay(req *request) error {
	var in calendarDayInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	day, err := s.Calendar.SetDay(req.ctx(), req.p, req.r.PathValue("date"), in.Kind, in.Name)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, day)
	return nil
}

func (s *Server) apiAdminDeleteCalendarDay(req *request) error {
	if err := s.Calendar.DeleteDay(req.ctx(), req.p, req.r.PathValue("date")); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminCalendarData feeds the calendar page.
type adminCalendarData struct {
	Year, Prev, Next int
	Days             []calendar.Day
	Covered          []int // years whose notice is entered
	Missing          []int // this year and next, when not covered
	Kinds            []calendar.Kind
	// YearError says why the year asked for is not shown (this year is).
	YearError string
}

// adminCalendarPage shows a year's special days; a year that is not one
// (or out of range) shows this year, saying why, with 422: it used to show
// this year as if it had been asked for.
func (s *Server) adminCalendarPage(req *request) error {
	year, err := s.calendarYear(req.r.URL.Query().Get("year"))
	if err != nil {
		msgs, ok := formErrors(req.lang, err)
		if !ok {
			return err
		}
		return s.renderCalendarWith(req, http.StatusUnprocessableEntity, s.today().Year, nil, nil, msgs["year"])
	}
	return s.renderCalendar(req, http.StatusOK, year, nil, nil)
}

func (s *Server) renderCalendar(req *request, status, year int, form, errs map[string]string) error {
	return s.renderCalendarWith(req, status, year, form, errs, "")
}

func (s *Server) renderCalendarWith(req *request, status, year int, form, errs map[string]string, yearErr string) error {
	days, err := s.Calendar.Days(req.ctx(), year)
	if err != nil {
		return err
	}
	cal, err := s.Calendar.Calendar(req.ctx())
	if err != nil {
		return err
	}
	d := adminCalendarData{Year: year, Days: days, Covered: cal.Years(), Kinds: calendar.Kinds, YearError: yearErr}
	if year > calendar.MinYear {
		d.Prev = year - 1
	}
	if year < calendar.MaxYear {
		d.Next = year + 1
	}
	for _, y := range []int{s.today().Year, s.today().Year + 1} {
		if !cal.Covers(y) {
			d.Missing = append(d.Missing, y)
		}
	}
	return s.renderPage(req, status, "admin_calendar", &page{Title: req.t("calendar_title"), Data: d, Form: form, Errors: errs})
}

func (s *Server) adminPutCalendarDay(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	f := req.r.PostForm
	day, err := s.Calendar.SetDay(req.ctx(), req.p, f.Get("date"), calendar.Kind(f.Get("kind")), f.Get("name"))
	if err != nil {
		errs, ok := formErrors(req.lang, err)
		if !ok {
			return err
		}
		year := s.today().Year
		if d, err := calendar.ParseDateField("date", f.Get("date")); err == nil {
			year = d.Year
		}
		return s.renderCalendar(req, http.StatusUnprocessableEntity, year, formMap(req, "date", "kind", "name"), errs)
	}
	s.setFlash(req, "calendar_saved", day.Date.String())
	return s.redirect(req, calendarPageURL(day.Date.Year))
}

func (s *Server) adminDeleteCalendarDay(req *request) error {
	date := req.r.PathValue("date")
	if err := s.Calendar.DeleteDay(req.ctx(), req.p, date); err != nil {
		return err
	}
	d, _ := calendar.ParseDate(date)
	s.setFlash(req, "calendar_deleted", d.String())
	return s.redirect(req, calendarPageURL(d.Year))
}

func calendarPageURL(year int) string {
	return "/admin/calendar?" + url.Values{"year": {strconv.Itoa(year)}}.Encode()
}
