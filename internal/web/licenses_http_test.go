package web

import (
	"bytes"
	"encoding/json"
	"github.com/tongban/tongban/internal/i18n"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/license"
)

// walletLicense returns the holder's license of a type from the wallet API.
func (e *env) walletLicense(token, typ string) license.License {
	e.t.Helper()
	rec := e.get("/api/v1/licenses", token)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("wallet = %d %s", rec.Code, rec.Body)
	}
	var out struct{ Items []license.License }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		e.t.Fatal(err)
	}
	for _, l := range out.Items {
		if l.Type == typ && l.State == license.Valid {
			return l
		}
	}
	e.t.Fatalf("no valid %s in the wallet", typ)
	return license.License{}
}

var shareLinkRE = regexp.MustCompile(`id="new-share" href="([^"]+)"`)

// TestLicenseEndToEnd walks what holders, verifiers and departments rely
// on, through the pages and the API, on both databases.
func TestLicenseEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		wangwu, zhangsan, ga := e.session("wangwu"), e.session("zhangsan"), e.session("ga-approver")
		id := e.walletLicense(wangwu, "resident_id_card")
		full := e.idNumber("wangwu")

		// The wallet page lists the holder's and the company's licenses.
		rec := e.get("/licenses", wangwu)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "居民身份证") || !strings.Contains(body, "营业执照") || !strings.Contains(body, "已吊销") {
			t.Fatalf("wallet page = %d: want the ID card, the business license and the revoked food license", rec.Code)
		}
		if rec := e.get("/licenses/"+id.ID, zhangsan); rec.Code != http.StatusNotFound {
			t.Errorf("another citizen opens it = %d, want 404", rec.Code)
		}

		// PDF and signed file.
		rec = e.get("/licenses/"+id.ID+"/pdf", wangwu)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(rec.Body.Bytes(), []byte("%PDF-")) {
			t.Fatalf("pdf = %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		signed := e.get("/api/v1/licenses/"+id.ID+"/signed", wangwu).Body.Bytes()

		// The QR code's page: genuine, valid, printed fields only, masked.
		rec = e.get("/api/v1/licenses/"+id.ID, wangwu)
		var one struct {
			CheckURL string `json:"check_url"`
		}
		json.Unmarshal(rec.Body.Bytes(), &one)
		path := strings.TrimPrefix(one.CheckURL, e.srv.Config.BaseURL)
		rec = e.get(path, "")
		body = rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, `data-outcome="valid"`) || !strings.Contains(body, "339***********") {
			t.Fatalf("check page = %d: %s", rec.Code, body)
		}
		if strings.Contains(body, full) || strings.Contains(body, "望江路") {
			t.Errorf("check page shows the full ID number or the unprinted address")
		}
		for _, bad := range []string{path[:len(path)-3] + "xyz", "/licenses/check/nope/nope", "/licenses/check/" + id.ID + "/%3Cscript%3E"} {
			rec := e.get(bad, "")
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-outcome="invalid"`) || !strings.Contains(rec.Body.String(), `id="problem"`) {
				t.Errorf("forged %s = %d, want the page saying it is not genuine and why", bad, rec.Code)
			}
		}

		// A share link through the page, opened anonymously, then revoked.
		rec = e.postForm("/licenses/"+id.ID+"/shares", wangwu, url.Values{"expires_in": {"1h"}})
		m := shareLinkRE.FindStringSubmatch(rec.Body.String())
		if rec.Code != http.StatusCreated || m == nil {
			t.Fatalf("share = %d, no link", rec.Code)
		}
		link := strings.TrimPrefix(html.UnescapeString(m[1]), e.srv.Config.BaseURL)
		if rec := e.get(link, ""); !strings.Contains(rec.Body.String(), `data-outcome="valid"`) {
			t.Errorf("share link page: %s", rec.Body)
		}
		rec = e.postForm("/licenses/"+id.ID+"/shares", wangwu, url.Values{"expires_in": {"1y"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("share for a year = %d, want 422", rec.Code)
		}
		rec = e.sendJSON("POST", "/api/v1/licenses/"+id.ID+"/shares", wangwu, `{"expires_in":"forever"}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"expires_in"`) {
			t.Errorf("API share forever = %d %s", rec.Code, rec.Body)
		}
		var shares struct{ Items []license.Share }
		json.Unmarshal(e.get("/api/v1/licenses/"+id.ID+"/shares", wangwu).Body.Bytes(), &shares)
		if len(shares.Items) != 1 {
			t.Fatalf("shares = %+v", shares)
		}
		if rec := e.postForm("/licenses/"+id.ID+"/shares/"+shares.Items[0].ID+"/revoke", wangwu, nil); rec.Code != http.StatusSeeOther {
			t.Errorf("revoke share = %d", rec.Code)
		}
		if rec := e.get(link, ""); !strings.Contains(rec.Body.String(), "核验链接已被持证人作废") {
			t.Errorf("revoked share link page does not say so")
		}

		// The department revokes; a reason is required; the holder and the
		// public see the state and the reason.
		rec = e.postForm("/staff/licenses/"+id.ID+"/state", ga, url.Values{"action": {"revoke"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "此项必填") {
			t.Errorf("revoke without reason = %d", rec.Code)
		}
		if rec := e.postForm("/staff/licenses/"+id.ID+"/state", e.session("scjg-approver"), url.Values{"action": {"revoke"}, "reason": {"x"}}); rec.Code != http.StatusNotFound {
			t.Errorf("another department revokes = %d, want 404", rec.Code)
		}
		reason := `已换领新证 <b>旧证作废</b>`
		rec = e.postForm("/staff/licenses/"+id.ID+"/state", ga, url.Values{"action": {"revoke"}, "reason": {reason}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("revoke = %d %s", rec.Code, rec.Body)
		}
		for _, who := range []string{"", wangwu} {
			target := path
			if who != "" {
				target = "/licenses/" + id.ID
			}
			body := e.get(target, who).Body.String()
			if !strings.Contains(body, "吊销") || !strings.Contains(body, html.EscapeString(reason)) || strings.Contains(body, reason) {
				t.Errorf("%s after revocation: want the state and the reason, escaped", target)
			}
		}
		rec = e.sendJSON("POST", "/api/v1/staff/licenses/"+id.ID+"/state", ga, `{"action":"revoke","reason":"again"}`)
		if rec.Code != http.StatusConflict {
			t.Errorf("revoke twice = %d, want 409", rec.Code)
		}

		// The signed file: uploaded as a file, then altered.
		upload := func(b []byte) string {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", "license.json")
			fw.Write(b)
			mw.Close()
			return e.do("POST", "/licenses/verify", "", mw.FormDataContentType(), &buf).Body.String()
		}
		if body := upload(signed); !strings.Contains(body, `data-outcome="revoked"`) {
			t.Errorf("upload of the revoked license's file: want revoked")
		}
		altered := bytes.Replace(signed, []byte("王五"), []byte("王六"), 1)
		if body := upload(altered); !strings.Contains(body, `data-outcome="invalid"`) || !strings.Contains(body, "数字签名与内容不符") {
			t.Errorf("upload of an altered file: want not genuine, bad signature")
		}
		rec = e.do("POST", "/api/v1/licenses/verify", "", "application/json", bytes.NewReader(altered), "Accept-Language", "en")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"problem":"bad_signature"`) {
			t.Errorf("API verify altered = %d %s", rec.Code, rec.Body)
		}
		var big bytes.Buffer
		mw := multipart.NewWriter(&big)
		fw, _ := mw.CreateFormFile("file", "big.json")
		fw.Write(bytes.Repeat([]byte("x"), 300<<10))
		mw.Close()
		if rec := e.do("POST", "/licenses/verify", "", mw.FormDataContentType(), &big); rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized upload = %d, want 413", rec.Code)
		}
		if rec := e.do("POST", "/api/v1/licenses/verify", "", "application/json", bytes.NewReader(bytes.Repeat([]byte("x"), 300<<10))); rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized API body = %d, want 413", rec.Code)
		}
		rec = e.do("POST", "/licenses/verify", "", "application/x-www-form-urlencoded", strings.NewReader(""))
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("empty upload = %d, want 422", rec.Code)
		}

		// Keys are public; the log never holds an ID number.
		rec = e.get("/licenses/keys", "")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/license/GA+") {
			t.Errorf("keys = %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(e.log.String(), full) {
			t.Errorf("the log holds an ID number")
		}

		// Department admins edit their types; validation is per field.
		admin := e.session("ga-admin")
		rec = e.sendJSON("PUT", "/api/v1/admin/license-types/residence_permit", admin,
			`{"department_code":"GA","name":"居住证","prefix":"JZZ","holder_kind":"person","validity_years":2,"fields":[{"name":"address","label":"居住地址","printed":true}]}`)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"validity_years":2`) {
			t.Errorf("put type = %d %s", rec.Code, rec.Body)
		}
		rec = e.sendJSON("PUT", "/api/v1/admin/license-types/food_business_license", admin,
			`{"department_code":"SCJG","name":"x","prefix":"JY","holder_kind":"any","validity_years":5,"fields":[]}`)
		if rec.Code != http.StatusForbidden {
			t.Errorf("GA admin changes an SCJG type = %d, want 403", rec.Code)
		}
		rec = e.postForm("/admin/license-types", admin, url.Values{"code": {"residence_permit"}, "department_code": {"GA"}, "name": {""},
			"prefix": {"jzz"}, "holder_kind": {"person"}, "validity_years": {"1"}, "fields": {"[]"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("type form with errors = %d, want 422", rec.Code)
		}
		// A wrong value inside the fields' JSON is told on the fields, by its
		// place in them, not on the type's own name of the same name.
		rec = e.postForm("/admin/license-types", admin, url.Values{"code": {"residence_permit"}, "department_code": {"GA"}, "name": {"居住证"},
			"prefix": {"JZZ"}, "holder_kind": {"person"}, "validity_years": {"1"}, "fields": {`[{"name":5}]`}})
		want := "<li>fields: " + html.EscapeString(i18n.T(i18n.ZH, "json_type_string", "[0].name")) + "</li>"
		if body := rec.Body.String(); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, want) || strings.Contains(body, "<li>name:") {
			t.Errorf("type form with a number for a field's name = %d, want 422 with %s", rec.Code, want)
		}
	})
}

// TestConcludedApplicationShowsItsLicense: the demo's approved sole-trader
// registration issued 张三 a business license at its conclusion; his
// application page links to it, and the license page to the application.
func TestConcludedApplicationShowsItsLicense(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	zhangsan := e.session("zhangsan")
	l := e.walletLicense(zhangsan, "business_license")
	if l.ApplicationID == "" || l.Fields["entity_name"] != "临江市滨江区张三小吃店" {
		t.Fatalf("business license = %+v, want the one the demo application issued", l)
	}
	body := e.get("/applications/"+l.ApplicationID, zhangsan).Body.String()
	if !strings.Contains(body, `id="issued-license" href="/licenses/`+l.ID+`"`) {
		t.Errorf("the application page does not link to its license")
	}
	// In English the link names the license type in English.
	en := e.do("GET", "/applications/"+l.ApplicationID, zhangsan, "", nil, "Accept-Language", "en").Body.String()
	if i := strings.Index(en, `id="issued-license"`); i < 0 || !strings.Contains(en[i:i+300], "Business license") {
		t.Errorf("the English application page does not name the license in English")
	}
	if body := e.get("/licenses/"+l.ID, zhangsan).Body.String(); !strings.Contains(body, `href="/applications/`+l.ApplicationID+`"`) {
		t.Errorf("the license page does not link to its application")
	}
}
