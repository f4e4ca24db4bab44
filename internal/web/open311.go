package web

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/ratelimit"
)

// The Open311 GeoReport v2 API (wiki.open311.org/GeoReport_v2) under
// /open311/v2/: hotline categories are its services, tickets its service
// requests. Every resource is served as JSON or XML by the extension of
// its last path segment, as the specification asks. Errors use the
// specification's list of {code, description}: 400 for missing or invalid
// fields, 403 for a missing or wrong api_key, 404 for what does not exist.
// POST requests answers with the service_request_id at once (the ticket's
// number); tokens/{token_id} answers for a token equal to that number, for
// clients that always ask.

const open311Spec = "http://wiki.open311.org/GeoReport_v2"

// o311Format returns "json" or "xml" from the extension of name and the
// name without it; ok is false for any other extension.
func o311Format(name string) (base, format string, ok bool) {
	ext := path.Ext(name)
	switch ext {
	case ".json", ".xml":
		return strings.TrimSuffix(name, ext), ext[1:], true
	}
	return name, "", false
}

// o311Error is a failure in the specification's format.
type o311Error struct {
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
	XMLName     xml.Name `json:"-" xml:"error"`
}

type o311Failure struct {
	status int
	errs   []o311Error
}

func (f *o311Failure) Error() string { return "open311: " + strconv.Itoa(f.status) }

func o311Fail(status int, desc string) error {
	return &o311Failure{status: status, errs: []o311Error{{Code: status, Description: desc}}}
}

// xmlList is a list with its root element, for the XML form.
type xmlList[T any] struct {
	XMLName xml.Name
	Items   []T
}

// o311Write writes v as JSON, or as XML under the root element root (a
// list when v is a slice).
func o311Write[T any](w http.ResponseWriter, status int, format, root string, items []T) {
	if items == nil {
		items = []T{}
	}
	if format == "json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(items)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	b, _ := xml.Marshal(xmlList[T]{XMLName: xml.Name{Local: root}, Items: items})
	w.Write(b)
}

// o311 adapts an Open311 handler: it finds the format from the last path
// segment and writes every error in the specification's format (XML when
// the format is unknown). Server errors are logged with the request ID.
func (s *Server) o311(h func(req *request, format, last string) error) func(*request) error {
	return func(req *request) error {
		req.w.Header().Set("Access-Control-Allow-Origin", "*")
		last, format, ok := o311Format(path.Base(req.r.URL.Path))
		var err error
		switch {
		case !ok:
			format, err = "xml", o311Fail(http.StatusNotFound, req.t("open311_format"))
		case req.r.Method == http.MethodGet:
			// Reads need no key: they are limited per address. Posts
			// are limited per key (open311Post).
			if err = s.allow(req, s.check(ratelimit.Open311Address, s.clientAddress(req))); err == nil {
				err = h(req, format, last)
			}
		default:
			err = h(req, format, last)
		}
		if err == nil {
			return nil
		}
		var f *o311Failure
		var inv *fielderr.Invalid
		var he *httpError
		switch {
		case errors.As(err, &f):
		case errors.As(err, &he) && he.Code == http.StatusTooManyRequests:
			f = &o311Failure{status: he.Code, errs: []o311Error{{Code: he.Code, Description: req.t(he.Key)}}}
		case errors.As(err, &inv):
			f = &o311Failure{status: http.StatusBadRequest}
			for _, fe := range inv.Fields {
				status := http.StatusBadRequest
				if fe.Key == "hotline_category_unknown" {
					status = http.StatusNotFound // the spec: service_code not found
					f.status = status
				}
				f.errs = append(f.errs, o311Error{Code: status, Description: o311Field(fe.Field) + ": " + i18n.T(req.lang, fe.Key, fe.Params...)})
			}
		case errors.Is(err, db.ErrNotFound):
			f = &o311Failure{status: http.StatusNotFound, errs: []o311Error{{Code: http.StatusNotFound, Description: req.t("error_404")}}}
		default:
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				f = &o311Failure{status: http.StatusRequestEntityTooLarge, errs: []o311Error{{Code: http.StatusRequestEntityTooLarge, Description: req.t("error_413")}}}
				break
			}
			s.Log.Error("request failed", "request_id", req.id, "method", req.r.Method, "path", req.r.URL.Path, "err", err)
			f = &o311Failure{status: http.StatusInternalServerError, errs: []o311Error{{Code: http.StatusInternalServerError, Description: req.t("error_500", req.id)}}}
		}
		o311Write(req.w, f.status, format, "errors", f.errs)
		return nil
	}
}

// o311Field names a ticket field as the Open311 parameter that carries it.
func o311Field(f string) string {
	switch f {
	case "category_code":
		return "service_code"
	case "text":
		return "description"
	case "address":
		return "address_string"
	case "lon":
		return "long"
	case "reporter_email":
		return "email"
	case "reporter_phone":
		return "phone"
	case "reporter_name":
		return "first_name"
	case "kind":
		return "attribute[kind]"
	}
	return f
}

type o311Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

type o311Discovery struct {
	XMLName    xml.Name       `json:"-" xml:"discovery"`
	Changeset  string         `json:"changeset" xml:"changeset"`
	Contact    string         `json:"contact" xml:"contact"`
	KeyService string         `json:"key_service" xml:"key_service"`
	Endpoints  []o311Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

// baseURL is the platform's public URL: the configured one, else the
// request's host.
func (s *Server) baseURL(req *request) string {
	if s.Config.BaseURL != "" {
		return strings.TrimSuffix(s.Config.BaseURL, "/")
	}
	scheme := "http"
	if req.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + req.r.Host
}

func (s *Server) open311Discovery(req *request, format, _ string) error {
	d := o311Discovery{
		Changeset:  "2026-01-01T00:00:00Z",
		Contact:    req.t("open311_contact"),
		KeyService: req.t("open311_key_service"),
		Endpoints: []o311Endpoint{{Specification: open311Spec, URL: s.baseURL(req) + "/open311/v2", Changeset: "2026-01-01T00:00:00Z",
			Type: "production", Formats: []string{"text/xml", "application/json"}}},
	}
	if format == "json" {
		writeJSON(req.w, http.StatusOK, d)
		return nil
	}
	req.w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	req.w.Write([]byte(xml.Header))
	b, _ := xml.Marshal(d)
	req.w.Write(b)
	return nil
}

type o311Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

func categoryName(l i18n.Lang, c *hotline.Category) string {
	if l == i18n.EN && c.NameEn != "" {
		return c.NameEn
	}
	return c.Name
}

// open311Services lists the active categories; a category's group is its
// parent's name.
func (s *Server) open311Services(req *request, format, _ string) error {
	cats, err := s.Hotline.Categories(req.ctx())
	if err != nil {
		return err
	}
	names := map[string]string{}
	for i := range cats {
		names[cats[i].Code] = categoryName(req.lang, &cats[i])
	}
	var out []o311Service
	for i := range cats {
		c := &cats[i]
		if !c.Active {
			continue
		}
		out = append(out, o311Service{ServiceCode: c.Code, ServiceName: names[c.Code], Description: c.Description,
			Metadata: len(c.Attributes) > 0, Type: "realtime", Group: names[c.ParentCode]})
	}
	o311Write(req.w, http.StatusOK, format, "services", out)
	return nil
}

type o311Value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

type o311Attribute struct {
	Variable            bool        `json:"variable" xml:"variable"`
	Code                string      `json:"code" xml:"code"`
	Datatype            string      `json:"datatype" xml:"datatype"`
	Required            bool        `json:"required" xml:"required"`
	DatatypeDescription string      `json:"datatype_description" xml:"datatype_description"`
	Order               int         `json:"order" xml:"order"`
	Description         string      `json:"description" xml:"description"`
	Values              []o311Value `json:"values,omitempty" xml:"values>value,omitempty"`
}

type o311Definition struct {
	XMLName     xml.Name        `json:"-" xml:"service_definition"`
	ServiceCode string          `json:"service_code" xml:"service_code"`
	Attributes  []o311Attribute `json:"attributes" xml:"attributes>attribute"`
}

// open311Service is a category's definition: its questions as Open311
// attributes.
func (s *Server) open311Service(req *request, format, code string) error {
	c, err := s.Hotline.Category(req.ctx(), code)
	if err != nil || !c.Active {
		return o311Fail(http.StatusNotFound, req.t("open311_service_unknown"))
	}
	def := o311Definition{ServiceCode: c.Code, Attributes: []o311Attribute{}}
	for i, a := range c.Attributes {
		oa := o311Attribute{Variable: true, Code: a.Code, Datatype: a.Datatype, Required: a.Required, Order: i + 1, Description: a.Description}
		for _, v := range a.Values {
			oa.Values = append(oa.Values, o311Value(v))
		}
		def.Attributes = append(def.Attributes, oa)
	}
	if format == "json" {
		writeJSON(req.w, http.StatusOK, def)
		return nil
	}
	req.w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	req.w.Write([]byte(xml.Header))
	b, _ := xml.Marshal(def)
	req.w.Write(b)
	return nil
}

// o311Created is the answer to POST requests.
type o311Created struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token,omitempty" xml:"token,omitempty"`
	ServiceNotice    string   `json:"service_notice" xml:"service_notice"`
	AccountID        string   `json:"account_id" xml:"account_id"`
}

// o311Float parses an optional coordinate; "" is nil.
func o311Float(v, field string) (*float64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, o311Fail(http.StatusBadRequest, field+": "+v)
	}
	return &f, nil
}

// open311Post files a ticket for the app holding api_key. The form is the
// specification's: service_code, lat and long or address_string,
// description, attribute[code]=value, and optionally email, phone,
// first_name, last_name and media_url. attribute[kind] may choose the
// ticket kind (complaint by default).
func (s *Server) open311Post(req *request, format, _ string) error {
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, maxFormBytes)
	if err := req.r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return o311Fail(http.StatusBadRequest, req.t("error_400"))
	}
	f := req.r.Form
	key, err := s.Hotline.CheckKey(req.ctx(), f.Get("api_key"))
	if errors.Is(err, hotline.ErrBadKey) {
		// Guessing keys costs the address's tokens.
		if err := s.allow(req, s.check(ratelimit.Open311Address, s.clientAddress(req))); err != nil {
			return err
		}
		return o311Fail(http.StatusForbidden, req.t("open311_api_key"))
	}
	if err != nil {
		return err
	}
	if err := s.allow(req, s.keyCheck(key)); err != nil {
		return err
	}
	if strings.TrimSpace(f.Get("service_code")) == "" {
		return o311Fail(http.StatusBadRequest, "service_code: "+req.t("hotline_category_required"))
	}
	in := hotline.Input{Category: strings.TrimSpace(f.Get("service_code")), Text: f.Get("description"), Address: f.Get("address_string"),
		ReporterEmail: f.Get("email"), ReporterPhone: f.Get("phone"), MediaURL: strings.TrimSpace(f.Get("media_url")), Attributes: map[string]string{}}
	if in.Lat, err = o311Float(f.Get("lat"), "lat"); err != nil {
		return err
	}
	if in.Lon, err = o311Float(f.Get("long"), "long"); err != nil {
		return err
	}
	in.ReporterName = personName(f.Get("first_name"), f.Get("last_name"))
	for k, vs := range f {
		if code, ok := strings.CutPrefix(k, "attribute["); ok && strings.HasSuffix(code, "]") && len(vs) > 0 {
			in.Attributes[strings.TrimSuffix(code, "]")] = vs[0]
		}
	}
	if k := in.Attributes["kind"]; k != "" {
		in.Kind = hotline.Kind(k)
	}
	delete(in.Attributes, "kind")
	t, err := s.Hotline.FileOpen311(req.ctx(), key, in)
	if err != nil {
		return err
	}
	o311Write(req.w, http.StatusOK, format, "service_requests", []o311Created{{ServiceRequestID: t.Number}})
	return nil
}

// personName joins a first and last name: with a space in Latin script,
// family name first without one in Chinese.
func personName(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" || last == "" {
		return first + last
	}
	if utf8.RuneCountInString(first) != len(first) || utf8.RuneCountInString(last) != len(last) {
		return last + first
	}
	return first + " " + last
}

// o311Request is a service request as Open311 shows it.
type o311Request struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string   `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	AddressID         string   `json:"address_id" xml:"address_id"`
	Zipcode           string   `json:"zipcode" xml:"zipcode"`
	Lat               *float64 `json:"lat,omitempty" xml:"lat,omitempty"`
	Long              *float64 `json:"long,omitempty" xml:"long,omitempty"`
	MediaURL          string   `json:"media_url" xml:"media_url"`
}

// o311Requests turns public views of tickets into Open311 requests.
func (s *Server) o311Requests(req *request, ts []*hotline.Ticket) ([]o311Request, error) {
	depts, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return nil, err
	}
	cats, err := s.Hotline.Categories(req.ctx())
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for i := range cats {
		names[cats[i].Code] = categoryName(req.lang, &cats[i])
	}
	// Times carry the platform's zone offset (e.g. +08:00), as the
	// GeoReport examples do, and a due date ends at midnight there.
	loc := s.location()
	out := make([]o311Request, 0, len(ts))
	for _, t := range ts {
		r := o311Request{ServiceRequestID: t.Number, Status: "open", StatusNotes: t.Reply, ServiceName: names[t.CategoryCode], ServiceCode: t.CategoryCode,
			Description: t.Text, AgencyResponsible: depts[t.DepartmentCode], RequestedDatetime: t.CreatedAt.In(loc).Format(time.RFC3339),
			UpdatedDatetime: t.UpdatedAt.In(loc).Format(time.RFC3339), Address: t.Address, Lat: t.Lat, Long: t.Lon}
		if !t.State.Open() {
			r.Status = "closed"
		}
		if t.State == hotline.Merged {
			r.StatusNotes = req.t("open311_merged")
		}
		if t.DueDate != "" && t.State.Open() {
			if d, err := time.ParseInLocation("2006-01-02", t.DueDate, loc); err == nil {
				r.ExpectedDatetime = d.Add(24*time.Hour - time.Second).Format(time.RFC3339)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// o311Date parses a start_date or end_date (ISO 8601 with a zone).
func o311Date(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, o311Fail(http.StatusBadRequest, field+": "+v)
	}
	return t, nil
}

// open311List answers GET requests with its filters: service_request_id
// (a comma list, which overrides the others), service_code, start_date,
// end_date and status (open, closed or both). Without dates it lists the
// last 90 days, at most 1,000 requests.
func (s *Server) open311List(req *request, format, _ string) error {
	q := req.r.URL.Query()
	f := hotline.Filter{Limit: 1000}
	if ids := strings.TrimSpace(q.Get("service_request_id")); ids != "" {
		for _, id := range strings.Split(ids, ",") {
			if id = strings.TrimSpace(id); id != "" && len(f.Numbers) < 100 {
				f.Numbers = append(f.Numbers, id)
			}
		}
	} else {
		f.Category = strings.TrimSpace(q.Get("service_code"))
		var err error
		if f.From, err = o311Date(q.Get("start_date"), "start_date"); err != nil {
			return err
		}
		if f.To, err = o311Date(q.Get("end_date"), "end_date"); err != nil {
			return err
		}
		if f.From.IsZero() && f.To.IsZero() {
			f.From = s.Now().AddDate(0, 0, -90)
		}
		if !f.To.IsZero() {
			f.To = f.To.Add(time.Second) // end_date is inclusive
		}
		open, closed := false, false
		for _, st := range strings.Split(strings.ToLower(q.Get("status")), ",") {
			switch strings.TrimSpace(st) {
			case "open":
				open = true
			case "closed":
				closed = true
			case "":
			default:
				return o311Fail(http.StatusBadRequest, "status: "+st)
			}
		}
		if open != closed {
			f.Open = &open
		}
	}
	ts, err := s.Hotline.PublicList(req.ctx(), f)
	if err != nil {
		return err
	}
	out, err := s.o311Requests(req, ts)
	if err != nil {
		return err
	}
	o311Write(req.w, http.StatusOK, format, "service_requests", out)
	return nil
}

// open311Request answers one service request by its id (ticket number).
func (s *Server) open311Request(req *request, format, id string) error {
	t, err := s.Hotline.ByNumber(req.ctx(), id)
	if errors.Is(err, db.ErrNotFound) {
		return o311Fail(http.StatusNotFound, req.t("open311_request_unknown"))
	}
	if err != nil {
		return err
	}
	out, err := s.o311Requests(req, []*hotline.Ticket{t})
	if err != nil {
		return err
	}
	o311Write(req.w, http.StatusOK, format, "service_requests", out)
	return nil
}

type o311Token struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token" xml:"token"`
}

// open311Token answers a token: Tongban files requests at once and gives
// out no tokens, so the only tokens it knows are service_request_ids.
func (s *Server) open311Token(req *request, format, token string) error {
	t, err := s.Hotline.ByNumber(req.ctx(), token)
	if errors.Is(err, db.ErrNotFound) {
		return o311Fail(http.StatusNotFound, req.t("open311_request_unknown"))
	}
	if err != nil {
		return err
	}
	o311Write(req.w, http.StatusOK, format, "service_requests", []o311Token{{ServiceRequestID: t.Number, Token: token}})
	return nil
}
