package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// flashOf returns the flash message a response sets.
func flashOf(rec *httptest.ResponseRecorder) string {
	for _, c := range rec.Result().Cookies() {
		if c.Name == flashCookie {
			return decodeFlash(c.Value)
		}
	}
	return ""
}

// TestHotlineCallIntake: the 12345 operator types in a call about price
// fraud in Binjiang, sees at once that the rules suggest Binjiang's market
// bureau, and dispatches it; bad input is answered field by field in the
// operator's language, and the caller's number is in no URL or log line.
func TestHotlineCallIntake(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		rexian := e.session("rexian")
		rec := e.get("/staff/hotline/call", rexian)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `href="/staff/hotline/call?category=PRICE"`) {
			t.Fatalf("intake page = %d:\n%s", rec.Code, rec.Body)
		}
		rec = e.get("/staff/hotline/call?category=PRICE", rexian)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `name="reporter_phone"`) || !strings.Contains(rec.Body.String(), `action="/staff/hotline/call"`) {
			t.Fatalf("intake form = %d:\n%s", rec.Code, rec.Body)
		}
		const phone = "13912345678"
		form := url.Values{"category_code": {"PRICE"}, "kind": {"complaint"}, "text": {"<b>超市</b>鸡蛋多收钱"}, "division_code": {"339901"},
			"address": {"临江市滨江区江南大道 1 号"}, "reporter_name": {"赵六"}, "reporter_phone": {phone}, "protection": {"none"}}

		// Bad input: no text, a wrong number, a latitude alone.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("text", " ")
		bad.Set("reporter_phone", "12")
		bad.Set("lat", "30.2")
		rec = e.postForm("/staff/hotline/call", rexian, bad)
		body := rec.Body.String()
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "请写明诉求内容") || !strings.Contains(body, "请填写有效的电话号码") ||
			!strings.Contains(body, "经度和纬度须同时填写") || !strings.Contains(body, `value="赵六"`) {
			t.Errorf("bad call = %d; want field errors and the form kept:\n%s", rec.Code, body)
		}
		rec = e.do("POST", "/staff/hotline/call", rexian, "application/x-www-form-urlencoded", strings.NewReader(bad.Encode()), "Accept-Language", "en")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Enter a valid telephone number.") {
			t.Errorf("bad call in English = %d", rec.Code)
		}
		noPhone := url.Values{}
		for k, v := range form {
			noPhone[k] = v
		}
		noPhone.Del("reporter_phone")
		if rec := e.postForm("/staff/hotline/call", rexian, noPhone); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "请记录来电号码") {
			t.Errorf("call without a number = %d", rec.Code)
		}

		rec = e.postForm("/staff/hotline/call", rexian, form)
		loc := rec.Header().Get("Location")
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/hotline/tickets/") || strings.Contains(loc, phone) {
			t.Fatalf("call = %d → %q", rec.Code, loc)
		}
		if f := flashOf(rec); !strings.Contains(f, "建议派往滨江区市场监督管理局") {
			t.Errorf("flash = %q; want the suggested department", f)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(loc, "/hotline/tickets/"), "#dispatch")
		rec = e.get("/hotline/tickets/"+id, rexian)
		page := rec.Body.String()
		if !strings.Contains(page, `<option value="BJSCJG" selected>`) || !strings.Contains(page, "&lt;b&gt;超市&lt;/b&gt;鸡蛋多收钱") || !strings.Contains(page, phone) {
			t.Errorf("ticket page after the call: want the suggestion preselected, the text escaped and the caller's number:\n%s", page)
		}
		// The operator dispatches at once.
		if rec := e.postForm("/hotline/tickets/"+id+"/dispatch", rexian, url.Values{"department_code": {"BJSCJG"}}); rec.Code != http.StatusSeeOther {
			t.Errorf("dispatch = %d %s", rec.Code, rec.Body)
		}
		var channel, storedPhone, state string
		if err := d.Read().QueryRow(`SELECT channel, reporter_phone, state FROM tickets WHERE id = $1`, id).Scan(&channel, &storedPhone, &state); err != nil {
			t.Fatal(err)
		}
		if channel != "phone" || storedPhone != phone || state != "dispatched" {
			t.Errorf("stored ticket = %s, %s, %s", channel, storedPhone, state)
		}

		// An anonymous caller leaves no contact.
		anon := url.Values{"category_code": {"NOISE"}, "kind": {"report"}, "text": {"夜间施工"}, "attribute[when]": {"night"}, "reporter_name": {"钱七"}, "reporter_phone": {"13900000000"}, "protection": {"anonymous"}}
		rec = e.postForm("/staff/hotline/call", rexian, anon)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("anonymous call = %d %s", rec.Code, rec.Body)
		}
		var n int
		d.Read().QueryRow(`SELECT COUNT(*) FROM tickets WHERE text = '夜间施工' AND reporter_name = '' AND reporter_phone = ''`).Scan(&n)
		if n != 1 {
			t.Errorf("anonymous call kept contact details")
		}

		// The API: the same call, answered with the suggestion.
		body2, _ := json.Marshal(map[string]any{"category_code": "PRICE", "text": "多收钱", "division_code": "339901", "reporter_phone": phone})
		rec = e.sendJSON("POST", "/api/v1/hotline/calls", rexian, string(body2))
		if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"suggested_department":"BJSCJG"`) || !strings.Contains(rec.Body.String(), `"channel":"phone"`) {
			t.Errorf("API call = %d %s", rec.Code, rec.Body)
		}
		rec = e.sendJSON("POST", "/api/v1/hotline/calls", rexian, `{"category_code":"PRICE","text":"多收钱"}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"reporter_phone"`) {
			t.Errorf("API call without a number = %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(e.log.String(), phone) {
			t.Errorf("the server log holds the caller's number")
		}
	})
}

// TestHotlineSettings: a platform admin adds a sub-category with a
// question, which citizens and Open311 then see; disables it; sets a rule,
// a time limit and an API key, shown once, which works until revoked.
func TestHotlineSettings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.session("admin")
		if rec := e.get("/admin/hotline", admin); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "道路坑洼") || !strings.Contains(rec.Body.String(), "演示应用") {
			t.Fatalf("/admin/hotline = %d:\n%s", rec.Code, rec.Body)
		}
		if rec := e.do("GET", "/admin/hotline", admin, "", nil, "Accept-Language", "en"); !strings.Contains(rec.Body.String(), "Hotline settings") ||
			!strings.Contains(rec.Body.String(), "Potholes") || !strings.Contains(rec.Body.String(), "Open311 API keys") {
			t.Errorf("/admin/hotline in English:\n%s", rec.Body)
		}
		if rec := e.get("/admin/hotline/categories/new?parent=ROAD", admin); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<option value="ROAD" selected>`) {
			t.Errorf("new category form = %d", rec.Code)
		}
		cat := url.Values{"code": {"SIGNAL"}, "name": {"<i>信号灯</i>故障"}, "name_en": {"Traffic lights"}, "parent_code": {"ROAD"}, "position": {"3"}, "active": {"1"},
			"attr.0.code": {"junction"}, "attr.0.description": {"路口名称"}, "attr.0.datatype": {"string"}, "attr.0.required": {"1"},
			"attr.1.code": {"color"}, "attr.1.description": {"故障灯色"}, "attr.1.datatype": {"singlevaluelist"}, "attr.1.values": {"red=红灯\nall=全部"},
			"attr.2.code": {""}, "attr.2.description": {""}, "attr.2.datatype": {"string"}}
		// Field errors first: a bad code, a list without choices, a cycle.
		bad := url.Values{}
		for k, v := range cat {
			bad[k] = v
		}
		bad.Set("code", "信号")
		bad.Set("attr.1.values", "")
		rec := e.postForm("/admin/hotline/categories", admin, bad)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "编码只能由") || strings.Count(rec.Body.String(), `class="field-error"`) != 2 {
			t.Errorf("bad category = %d:\n%s", rec.Code, rec.Body)
		}
		if rec := e.postForm("/admin/hotline/categories/ROAD", admin, url.Values{"name": {"道路交通"}, "parent_code": {"POTHOLE"}, "active": {"1"}}); rec.Code != http.StatusUnprocessableEntity ||
			!strings.Contains(rec.Body.String(), "会形成循环") {
			t.Errorf("cycle = %d", rec.Code)
		}
		rec = e.postForm("/admin/hotline/categories", admin, cat)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create category = %d:\n%s", rec.Code, rec.Body)
		}
		if rec := e.postForm("/admin/hotline/categories", admin, cat); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "该编码已被其他分类使用") {
			t.Errorf("creating a code twice = %d", rec.Code)
		}
		rec = e.get("/open311/v2/services/SIGNAL.json", "")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"code":"junction"`) || !strings.Contains(rec.Body.String(), `"key":"red"`) {
			t.Errorf("Open311 definition of the new category = %d %s", rec.Code, rec.Body)
		}
		if rec := e.get("/admin/hotline", admin); !strings.Contains(rec.Body.String(), "&lt;i&gt;信号灯&lt;/i&gt;故障") {
			t.Errorf("the category name is not shown escaped")
		}
		// Disabled, it is no longer offered; its question edited away.
		edit := url.Values{"name": {"信号灯故障"}, "parent_code": {"ROAD"}, "attr.0.code": {""}, "attr.0.description": {""}, "attr.0.datatype": {"string"}}
		if rec := e.postForm("/admin/hotline/categories/SIGNAL", admin, edit); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit = %d %s", rec.Code, rec.Body)
		}
		if rec := e.get("/api/v1/hotline/categories", ""); strings.Contains(rec.Body.String(), "SIGNAL") {
			t.Errorf("a disabled category is still offered")
		}
		rec = e.get("/api/v1/admin/hotline/categories", admin)
		if !strings.Contains(rec.Body.String(), `"code":"SIGNAL","parent_code":"ROAD","name":"信号灯故障"`) || !strings.Contains(rec.Body.String(), `"active":false,"attributes":[]`) {
			t.Errorf("admin categories = %s", rec.Body)
		}
		rec = e.sendJSON("PUT", "/api/v1/admin/hotline/categories/SIGNAL", admin, `{"name":"信号灯故障","parent_code":"ROAD","active":true,"attributes":[{"code":"kind","description":"x","datatype":"string"}]}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"attributes.0.code"`) {
			t.Errorf("API category with a reserved question code = %d %s", rec.Code, rec.Body)
		}

		// Rules.
		rec = e.postForm("/admin/hotline/rules", admin, url.Values{"category_code": {"NOPE"}, "department_code": {"NOPE"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "没有这个诉求分类") || !strings.Contains(rec.Body.String(), "没有这个部门") {
			t.Errorf("bad rule = %d", rec.Code)
		}
		if rec := e.postForm("/admin/hotline/rules", admin, url.Values{"category_code": {"SIGNAL"}, "department_code": {"GA"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("rule = %d %s", rec.Code, rec.Body)
		}
		var ruleID string
		d.Read().QueryRow(`SELECT id FROM hotline_rules WHERE category_code = 'SIGNAL'`).Scan(&ruleID)
		rec = e.get("/api/v1/admin/hotline/rules", admin)
		if !strings.Contains(rec.Body.String(), `"category_code":"SIGNAL"`) {
			t.Errorf("rules = %s", rec.Body)
		}
		if rec := e.postForm("/admin/hotline/rules/"+ruleID+"/delete", admin, nil); rec.Code != http.StatusSeeOther {
			t.Errorf("delete rule = %d", rec.Code)
		}
		if rec := e.do("DELETE", "/api/v1/admin/hotline/rules/"+ruleID, admin, "", nil); rec.Code != http.StatusNotFound {
			t.Errorf("deleting a deleted rule = %d, want 404", rec.Code)
		}
		rec = e.sendJSON("POST", "/api/v1/admin/hotline/rules", admin, `{"category_code":"SIGNAL","division_code":"339901","department_code":"ZJ"}`)
		if rec.Code != http.StatusCreated {
			t.Errorf("API rule = %d %s", rec.Code, rec.Body)
		}

		// Time limits.
		rec = e.postForm("/admin/hotline/deadlines/inquiry", admin, url.Values{"days": {"0"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `id="days-inquiry-err"`) || !strings.Contains(rec.Body.String(), "时限须在 1 到 60 个工作日之间") {
			t.Errorf("bad limit = %d:\n%s", rec.Code, rec.Body)
		}
		if rec := e.postForm("/admin/hotline/deadlines/inquiry", admin, url.Values{"days": {"2"}}); rec.Code != http.StatusSeeOther {
			t.Errorf("limit = %d", rec.Code)
		}
		if rec := e.postForm("/admin/hotline/deadlines/nonsense", admin, url.Values{"days": {"2"}}); rec.Code != http.StatusNotFound {
			t.Errorf("limit for an unknown kind = %d", rec.Code)
		}
		if rec := e.sendJSON("PUT", "/api/v1/admin/hotline/deadlines/report", admin, `{"days":15}`); rec.Code != http.StatusOK {
			t.Errorf("API limit = %d %s", rec.Code, rec.Body)
		}
		rec = e.get("/api/v1/admin/hotline/deadlines", admin)
		if !strings.Contains(rec.Body.String(), `{"kind":"inquiry","days":2}`) || !strings.Contains(rec.Body.String(), `{"kind":"report","days":15}`) {
			t.Errorf("limits = %s", rec.Body)
		}

		// API keys: shown once, working until revoked.
		if rec := e.postForm("/admin/hotline/keys", admin, url.Values{"name": {""}}); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("key without a name = %d", rec.Code)
		}
		rec = e.postForm("/admin/hotline/keys", admin, url.Values{"name": {"街道巡查 App"}})
		page := rec.Body.String()
		i := strings.Index(page, `id="new-key">`)
		if rec.Code != http.StatusOK || i < 0 || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("issue key = %d:\n%s", rec.Code, page)
		}
		key := page[i+len(`id="new-key">`):]
		key = key[:strings.Index(key, "<")]
		if !strings.HasPrefix(key, "o311_") {
			t.Fatalf("key = %q", key)
		}
		if again := e.get("/admin/hotline", admin); strings.Contains(again.Body.String(), key) {
			t.Errorf("the key is shown again")
		}
		post := func() int {
			code, _ := e.open311Post("/open311/v2/requests.json", url.Values{"api_key": {key}, "service_code": {"PRICE"}, "address_string": {"湖滨路"}, "description": {"多收钱"}})
			return code
		}
		if code := post(); code != http.StatusOK {
			t.Errorf("Open311 with the new key = %d", code)
		}
		var keyID string
		d.Read().QueryRow(`SELECT id FROM open311_keys WHERE name = '街道巡查 App'`).Scan(&keyID)
		if rec := e.postForm("/admin/hotline/keys/"+keyID+"/revoke", admin, nil); rec.Code != http.StatusSeeOther {
			t.Errorf("revoke = %d", rec.Code)
		}
		if code := post(); code != http.StatusForbidden {
			t.Errorf("Open311 with a revoked key = %d, want 403", code)
		}
		rec = e.sendJSON("POST", "/api/v1/admin/hotline/keys", admin, `{"name":"测试"}`)
		var issued struct{ ID, Key string }
		json.Unmarshal(rec.Body.Bytes(), &issued)
		if rec.Code != http.StatusCreated || !strings.HasPrefix(issued.Key, "o311_") {
			t.Fatalf("API key = %d %s", rec.Code, rec.Body)
		}
		if rec := e.get("/api/v1/admin/hotline/keys", admin); strings.Contains(rec.Body.String(), issued.Key) || !strings.Contains(rec.Body.String(), issued.ID) {
			t.Errorf("key list = %s; want the key listed without the key", rec.Body)
		}
		if rec := e.sendJSON("POST", "/api/v1/admin/hotline/keys/"+issued.ID+"/revoke", admin, `{}`); rec.Code != http.StatusNoContent {
			t.Errorf("API revoke = %d", rec.Code)
		}
		if strings.Contains(e.log.String(), key) || strings.Contains(e.log.String(), issued.Key) {
			t.Errorf("the server log holds an API key")
		}
	})
}
