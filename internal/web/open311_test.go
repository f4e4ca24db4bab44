package web

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// open311Post posts an Open311 form as a client app would.
func (e *env) open311Post(target string, form url.Values) (int, string) {
	e.t.Helper()
	rec := e.do("POST", target, "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	return rec.Code, rec.Body.String()
}

// TestOpen311FromAnotherSite: an Open311 app running in a browser on
// another site files a request (its key is its credential); the same
// browser's cross-site post anywhere else is still refused.
func TestOpen311FromAnotherSite(t *testing.T) {
	e := hotlineEnv(t, dbtest.SQLite(t))
	cross := []string{"Origin", "https://civic-app.example", "Sec-Fetch-Site", "cross-site"}
	form := url.Values{"api_key": {demo.Open311Key}, "service_code": {"GARBAGE"}, "lat": {"30.2801"}, "long": {"120.1602"}, "description": {"垃圾桶满溢"}}
	rec := e.do("POST", "/open311/v2/requests.json", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), cross...)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "service_request_id") || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("cross-site Open311 post = %d %q (Access-Control-Allow-Origin %q), want 200 with the request's number",
			rec.Code, rec.Body, rec.Header().Get("Access-Control-Allow-Origin"))
	}
	zhang := e.session("zhangsan")
	rec = e.do("POST", "/api/v1/hotline/tickets", zhang, "application/json", strings.NewReader(`{"category":"GARBAGE","text":"垃圾桶满溢","address":"湖滨路"}`), cross...)
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site post to the ticket API with a session = %d, want 403", rec.Code)
	}
}

// xmlRequests is what a client reads of <service_requests>.
type xmlRequests struct {
	Requests []struct {
		ID          string `xml:"service_request_id"`
		Status      string `xml:"status"`
		StatusNotes string `xml:"status_notes"`
		ServiceCode string `xml:"service_code"`
		Description string `xml:"description"`
		Agency      string `xml:"agency_responsible"`
	} `xml:"request"`
}

type xmlErrors struct {
	Errors []struct {
		Code        int    `xml:"code"`
		Description string `xml:"description"`
	} `xml:"error"`
}

// TestOpen311Client walks the GeoReport v2 API as a client following the
// published spec: discovery, the service list, a service definition, a
// request filed with attributes, and its status read back, in JSON and
// XML; then the errors the spec prescribes.
func TestOpen311Client(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := hotlineEnv(t, d)

		// Discovery names the endpoint and both formats.
		rec := e.get("/open311/v2/discovery.json", "")
		var disc struct {
			Endpoints []struct {
				Specification, URL string
				Formats            []string
			}
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &disc) != nil || len(disc.Endpoints) != 1 ||
			!strings.HasSuffix(disc.Endpoints[0].URL, "/open311/v2") || len(disc.Endpoints[0].Formats) != 2 {
			t.Fatalf("discovery.json = %d %s", rec.Code, rec.Body)
		}
		if rec := e.get("/open311/v2/discovery.xml", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "<discovery>") {
			t.Errorf("discovery.xml = %d %s", rec.Code, rec.Body)
		}

		// The service list, JSON and XML.
		rec = e.get("/open311/v2/services.json", "")
		var svcs []struct {
			Code     string `json:"service_code"`
			Name     string `json:"service_name"`
			Metadata bool   `json:"metadata"`
			Type     string `json:"type"`
			Group    string `json:"group"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &svcs); err != nil || rec.Code != 200 {
			t.Fatalf("services.json = %d %s", rec.Code, rec.Body)
		}
		var pothole bool
		for _, s := range svcs {
			if s.Code == "POTHOLE" {
				pothole = s.Metadata && s.Type == "realtime" && s.Group == "道路交通"
			}
		}
		if !pothole {
			t.Errorf("services.json has no POTHOLE with metadata in group 道路交通: %+v", svcs)
		}
		rec = e.get("/open311/v2/services.xml", "")
		var xs struct {
			Services []struct {
				Code string `xml:"service_code"`
			} `xml:"service"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &xs); err != nil || len(xs.Services) != len(svcs) ||
			!strings.HasPrefix(rec.Body.String(), "<?xml") || !strings.Contains(rec.Header().Get("Content-Type"), "xml") {
			t.Errorf("services.xml = %d %s (%v)", rec.Code, rec.Body, err)
		}

		// The definition of POTHOLE: its attributes with their values.
		rec = e.get("/open311/v2/services/POTHOLE.json", "")
		var def struct {
			Code       string `json:"service_code"`
			Attributes []struct {
				Code     string `json:"code"`
				Datatype string `json:"datatype"`
				Required bool   `json:"required"`
				Variable bool   `json:"variable"`
				Values   []struct{ Key, Name string }
			} `json:"attributes"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &def); err != nil || def.Code != "POTHOLE" || len(def.Attributes) != 2 ||
			def.Attributes[0].Code != "size" || !def.Attributes[0].Required || def.Attributes[0].Datatype != "singlevaluelist" || len(def.Attributes[0].Values) != 3 {
			t.Fatalf("services/POTHOLE.json = %d %s", rec.Code, rec.Body)
		}
		rec = e.get("/open311/v2/services/POTHOLE.xml", "")
		var xdef struct {
			XMLName    xml.Name `xml:"service_definition"`
			Attributes []struct {
				Code   string   `xml:"code"`
				Values []string `xml:"values>value>key"`
			} `xml:"attributes>attribute"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &xdef); err != nil || len(xdef.Attributes) != 2 || len(xdef.Attributes[0].Values) != 3 {
			t.Errorf("services/POTHOLE.xml = %d %s (%v)", rec.Code, rec.Body, err)
		}

		// File a request with attributes, in JSON.
		form := url.Values{"api_key": {demo.Open311Key}, "service_code": {"POTHOLE"}, "lat": {"30.2801"}, "long": {"120.1602"},
			"description": {"湖滨路北段路面塌陷 <script>alert(1)</script>"}, "attribute[size]": {"manhole"}, "attribute[lane]": {"右转车道"},
			"email": {"app-user@example.com"}, "first_name": {"Lei"}, "last_name": {"Wang"}, "media_url": {"https://example.com/p.jpg"}}
		code, body := e.open311Post("/open311/v2/requests.json", form)
		var created []struct {
			ID string `json:"service_request_id"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &created) != nil || len(created) != 1 || !strings.HasPrefix(created[0].ID, "RX") {
			t.Fatalf("POST requests.json = %d %s", code, body)
		}
		id := created[0].ID
		tk, err := e.srv.Hotline.ByNumber(t.Context(), id)
		if err != nil || tk.CategoryCode != "POTHOLE" || tk.Channel != "open311" {
			t.Fatalf("filed ticket %s: %v %+v", id, err, tk)
		}

		// Read its status back: one request, open, with the text as
		// written, in JSON and in XML.
		rec = e.get("/open311/v2/requests/"+id+".json", "")
		var got []struct {
			ID          string   `json:"service_request_id"`
			Status      string   `json:"status"`
			ServiceCode string   `json:"service_code"`
			Description string   `json:"description"`
			Lat         *float64 `json:"lat"`
			Requested   string   `json:"requested_datetime"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got) != 1 || got[0].ID != id || got[0].Status != "open" ||
			got[0].ServiceCode != "POTHOLE" || !strings.Contains(got[0].Description, "<script>") || got[0].Lat == nil || got[0].Requested == "" {
			t.Fatalf("requests/%s.json = %d %s", id, rec.Code, rec.Body)
		}
		rec = e.get("/open311/v2/requests/"+id+".xml", "")
		var xr xmlRequests
		if err := xml.Unmarshal(rec.Body.Bytes(), &xr); err != nil || len(xr.Requests) != 1 || xr.Requests[0].Status != "open" {
			t.Fatalf("requests/%s.xml = %d %s (%v)", id, rec.Code, rec.Body, err)
		}
		if strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("XML carries unescaped markup: %s", rec.Body)
		}

		// Filed in XML too.
		form.Set("attribute[size]", "small")
		code, body = e.open311Post("/open311/v2/requests.xml", form)
		if code != 200 || !strings.Contains(body, "<service_request_id>RX") {
			t.Fatalf("POST requests.xml = %d %s", code, body)
		}

		// The list with its filters: the id list, the service code,
		// status and dates.
		xr = xmlRequests{}
		rec = e.get("/open311/v2/requests.xml?service_request_id="+id+",RX00000000000", "")
		if err := xml.Unmarshal(rec.Body.Bytes(), &xr); err != nil || len(xr.Requests) != 1 || xr.Requests[0].ID != id {
			t.Errorf("requests.xml?service_request_id = %d %s", rec.Code, rec.Body)
		}
		var list []struct {
			ID          string `json:"service_request_id"`
			Status      string `json:"status"`
			ServiceCode string `json:"service_code"`
			StatusNotes string `json:"status_notes"`
		}
		rec = e.get("/open311/v2/requests.json?service_code=POTHOLE&status=open", "")
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) < 2 {
			t.Fatalf("requests.json?service_code=POTHOLE = %d %s", rec.Code, rec.Body)
		}
		for _, r := range list {
			if r.ServiceCode != "POTHOLE" || r.Status != "open" {
				t.Errorf("filtered list holds %+v", r)
			}
		}
		rec = e.get("/open311/v2/requests.json?status=closed", "")
		list = nil
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) == 0 {
			t.Fatalf("requests.json?status=closed = %d %s", rec.Code, rec.Body)
		}
		notes := false
		for _, r := range list {
			if r.Status != "closed" {
				t.Errorf("closed list holds %+v", r)
			}
			notes = notes || r.StatusNotes == "已更换灯具，恢复正常照明。"
		}
		if !notes {
			t.Errorf("the demo's closed Open311 request shows no reply in status_notes: %+v", list)
		}
		rec = e.get("/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-01-02T00:00:00Z", "")
		if strings.TrimSpace(rec.Body.String()) != "[]" {
			t.Errorf("requests in 2000 = %s, want []", rec.Body)
		}

		// A token is answered with its request.
		rec = e.get("/open311/v2/tokens/"+id+".json", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"service_request_id":"`+id+`"`) {
			t.Errorf("tokens/%s.json = %d %s", id, rec.Code, rec.Body)
		}

		// Errors, as the spec lists them.
		n := countTickets(t, d)
		for _, tc := range []struct {
			name   string
			target string
			form   url.Values
			status int
			want   string
		}{
			{"no api_key", "/open311/v2/requests.xml", url.Values{"service_code": {"POTHOLE"}, "lat": {"30.1"}, "long": {"120.1"}, "description": {"x"}}, 403, "api_key"},
			{"wrong api_key", "/open311/v2/requests.json", url.Values{"api_key": {"nope"}, "service_code": {"POTHOLE"}, "lat": {"30.1"}, "long": {"120.1"}, "description": {"x"}}, 403, "api_key"},
			{"unknown service", "/open311/v2/requests.json", url.Values{"api_key": {demo.Open311Key}, "service_code": {"NOPE"}, "lat": {"30.1"}, "long": {"120.1"}, "description": {"x"}}, 404, "service_code"},
			{"no service code", "/open311/v2/requests.json", url.Values{"api_key": {demo.Open311Key}, "lat": {"30.1"}, "long": {"120.1"}, "description": {"x"}}, 400, "service_code"},
			{"no location", "/open311/v2/requests.xml", url.Values{"api_key": {demo.Open311Key}, "service_code": {"GARBAGE"}, "description": {"x"}}, 400, "lat"},
			{"latitude out of range", "/open311/v2/requests.json", url.Values{"api_key": {demo.Open311Key}, "service_code": {"GARBAGE"}, "lat": {"91"}, "long": {"120"}, "description": {"x"}}, 400, "lat"},
			{"missing required attribute", "/open311/v2/requests.json", url.Values{"api_key": {demo.Open311Key}, "service_code": {"POTHOLE"}, "lat": {"30.1"}, "long": {"120.1"}, "description": {"x"}}, 400, "attribute[size]"},
			{"bad attribute value", "/open311/v2/requests.json", url.Values{"api_key": {demo.Open311Key}, "service_code": {"POTHOLE"}, "lat": {"30.1"}, "long": {"120.1"}, "description": {"x"}, "attribute[size]": {"huge"}}, 400, "attribute[size]"},
			{"no description", "/open311/v2/requests.json", url.Values{"api_key": {demo.Open311Key}, "service_code": {"GARBAGE"}, "address_string": {"湖滨路"}}, 400, "description"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, body := e.open311Post(tc.target, tc.form)
				if code != tc.status || !strings.Contains(body, tc.want) {
					t.Fatalf("POST %s = %d %s, want %d naming %s", tc.target, code, body, tc.status, tc.want)
				}
				if strings.HasSuffix(tc.target, ".xml") {
					var xe xmlErrors
					if err := xml.Unmarshal([]byte(body), &xe); err != nil || len(xe.Errors) == 0 || xe.Errors[0].Code != tc.status {
						t.Errorf("error body is not the spec's <errors>: %s", body)
					}
				} else {
					var je []struct {
						Code        int    `json:"code"`
						Description string `json:"description"`
					}
					if err := json.Unmarshal([]byte(body), &je); err != nil || len(je) == 0 || je[0].Code != tc.status || je[0].Description == "" {
						t.Errorf("error body is not the spec's list: %s", body)
					}
				}
			})
		}
		if got := countTickets(t, d); got != n {
			t.Errorf("failed requests stored tickets: %d, then %d", n, got)
		}
		for _, target := range []string{"/open311/v2/requests/RX0.json", "/open311/v2/services/NOPE.xml", "/open311/v2/tokens/zzz.json"} {
			if rec := e.get(target, ""); rec.Code != 404 || !strings.Contains(rec.Body.String(), "404") {
				t.Errorf("GET %s = %d %s, want 404 in the spec's format", target, rec.Code, rec.Body)
			}
		}
		if rec := e.get("/open311/v2/requests.json?start_date=yesterday", ""); rec.Code != 400 {
			t.Errorf("a bad start_date = %d, want 400", rec.Code)
		}
		if rec := e.get("/open311/v2/services/POTHOLE.html", ""); rec.Code != 404 {
			t.Errorf("an unknown format = %d, want 404", rec.Code)
		}
		// English messages for an English client.
		rec = e.do("POST", "/open311/v2/requests.json", "", "application/x-www-form-urlencoded", strings.NewReader("service_code=POTHOLE"), "Accept-Language", "en")
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), "invalid") {
			t.Errorf("English error = %d %s", rec.Code, rec.Body)
		}
	})
}

func countTickets(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.Read().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM tickets`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpen311LocalTimes: request times carry the platform's zone offset,
// and a request's expected time is the end of its due day there, not in
// UTC (which would promise an answer eight hours later than the hotline
// owes it).
func TestOpen311LocalTimes(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), false)
	if err := demo.LoadHotline(t.Context(), e.hotline, e.srv.Identity, true); err != nil {
		t.Fatal(err)
	}
	rec := e.get("/open311/v2/requests.json?status=open", "")
	var list []struct {
		ID        string `json:"service_request_id"`
		Requested string `json:"requested_datetime"`
		Updated   string `json:"updated_datetime"`
		Expected  string `json:"expected_datetime"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) == 0 {
		t.Fatalf("requests.json = %d %s", rec.Code, rec.Body)
	}
	expected := 0
	for _, r := range list {
		if !strings.HasSuffix(r.Requested, "+08:00") || !strings.HasSuffix(r.Updated, "+08:00") {
			t.Errorf("%s: requested %q, updated %q; want times in +08:00", r.ID, r.Requested, r.Updated)
		}
		if r.Expected != "" {
			expected++
			if !strings.HasSuffix(r.Expected, "T23:59:59+08:00") {
				t.Errorf("%s: expected %q, want the end of the due day in +08:00", r.ID, r.Expected)
			}
		}
	}
	if expected == 0 {
		t.Error("no open demo request has an expected time")
	}
}
