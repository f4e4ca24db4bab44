package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/license"
)

// fakeLicenses is a license library in memory: the licenses each holder
// holds, by holder key and type, which a test can revoke.
type fakeLicenses struct {
	mu   sync.Mutex
	held map[string]*application.License
}

func (f *fakeLicenses) put(l *application.License) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held == nil {
		f.held = map[string]*application.License{}
	}
	f.held[l.HolderKey+"/"+l.Type] = l
}

func (f *fakeLicenses) revoke(holderKey, typ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.held, holderKey+"/"+typ)
}

func (f *fakeLicenses) Held(_ context.Context, holderKey, typ string) (*application.License, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.held[holderKey+"/"+typ]
	if l == nil {
		return nil, nil
	}
	c := *l
	return &c, nil
}

// restaurant is the demo restaurant scenario: wangwu, agent of
// 临江市味道餐饮有限公司, with a license library that holds the company's
// business license and wangwu's resident ID card.
type restaurant struct {
	e          *env
	licenses   *fakeLicenses
	wangwu     string // session
	orgID      string
	orgName    string
	creditCode string
	idNumber   string
}

func newRestaurant(t *testing.T, d *db.DB) *restaurant {
	t.Helper()
	lib := &fakeLicenses{}
	return newRestaurantWith(t, d, lib, lib)
}

// newRestaurantWith is newRestaurant with the licenses put in lib and
// answered by src (which reads lib).
func newRestaurantWith(t *testing.T, d *db.DB, lib *fakeLicenses, src application.LicenseSource) *restaurant {
	t.Helper()
	e := newEnvOpts(t, d, envOptions{fulfil: true, licenses: src})
	e.srv.LicenseLink = func(id string) string { return "/licenses/verify/" + url.PathEscape(id) }
	acc, org := wangwuCompany(t, e)
	r := &restaurant{e: e, licenses: lib, wangwu: e.session("wangwu"), orgID: org.ID, orgName: org.Name,
		creditCode: org.CreditCode, idNumber: acc.IDNumber}
	from := time.Date(2016, 3, 18, 0, 0, 0, 0, time.UTC)
	lib.put(&application.License{ID: "lic-bl-1", Number: r.creditCode, Type: "business_license", TypeName: "营业执照",
		Department: "SCJG", DepartmentName: "临江市市场监督管理局", HolderKey: r.creditCode, HolderName: r.orgName, ValidFrom: from,
		Fields: map[string]string{"name": r.orgName, "legal_representative": "王五", "address": "临江市滨江区江南大道 88 号"}})
	lib.put(&application.License{ID: "lic-id-1", Number: r.idNumber, Type: "resident_id_card", TypeName: "居民身份证",
		Department: "GA", DepartmentName: "临江市公安局", HolderKey: r.idNumber, HolderName: "王五", ValidFrom: from,
		ValidUntil: time.Date(2036, 3, 18, 0, 0, 0, 0, time.UTC), Fields: map[string]string{"name": "王五"}})
	return r
}

// wangwuCompany returns the demo's wangwu and the one company he acts for.
func wangwuCompany(t *testing.T, e *env) (*identity.Account, *identity.Organization) {
	t.Helper()
	acc, err := e.srv.Identity.AccountByUsername(t.Context(), "wangwu")
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := e.srv.Identity.Organizations(t.Context(), acc.ID)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("wangwu's organizations = %v, %v", orgs, err)
	}
	return acc, orgs[0]
}

// start creates the SCJG-001 draft for the company and returns it.
func (r *restaurant) start(t *testing.T) application.Application {
	t.Helper()
	rec := r.e.sendJSON("POST", "/api/v1/applications", r.wangwu, `{"service_code":"SCJG-001","organization_id":"`+r.orgID+`"}`)
	wantStatus(t, "create SCJG-001 draft", rec, http.StatusCreated)
	matchesOpenAPI(t, rec, "Application")
	if strings.Contains(rec.Body.String(), r.idNumber) {
		t.Error("the new draft as the API answers carries wangwu's ID number")
	}
	var a application.Application
	decodeResponse(t, rec, &a)
	return a
}

// restaurantForm is what wangwu types: the premises, not who he is.
const restaurantForm = `{"经营场所地址":"临江市滨江区江南大道 88 号一层","经营面积":45,"主体业态":"餐饮服务经营者","经营项目":["热食类食品制售"],"食品安全管理人员":"赵敏"}`

func fulfilled(a application.Application) map[string]application.Fulfilment {
	out := map[string]application.Fulfilment{}
	for _, f := range a.Fulfilments {
		out[f.RequirementCode] = f
	}
	return out
}

// TestFulfilRestaurant is the promise of 免提交: wangwu opens a restaurant
// for his company and uploads nothing the government already holds. The
// business license and his ID card provide m2, m3 and m6, the online form
// is m1, the form starts with the company's name and credit code (which he
// cannot change), and he uploads only m4 and m5. The clerk sees where each
// material came from with a link to verify the license; the ledger holds
// no license number; the report counts the uploads avoided.
func TestFulfilRestaurant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRestaurant(t, d)
		e := r.e
		a := r.start(t)

		got := fulfilled(a)
		for code, typ := range map[string]string{"m2": "business_license", "m3": "resident_id_card", "m6": "resident_id_card"} {
			f, ok := got[code]
			if !ok || f.Source != application.FromLicense || f.LicenseType != typ {
				t.Errorf("material %s fulfilled by %+v, want license %s", code, f, typ)
			}
		}
		if f := got["m2"]; f.LicenseNumber != r.creditCode || f.Department != "SCJG" || f.ValidFrom != "2016-03-18" || f.ValidUntil != "" || f.TakenAt.IsZero() {
			t.Errorf("m2 provenance = %+v", f)
		}
		if len(got) != 3 {
			t.Errorf("fulfilled %v, want m2, m3, m6 only", got)
		}
		var form map[string]any
		json.Unmarshal(a.Form, &form)
		if form["经营者名称"] != r.orgName || form["统一社会信用代码"] != r.creditCode || form["法定代表人"] != "王五" {
			t.Errorf("prefilled form = %v", form)
		}

		// The page says it plainly, shows the verified fields read only,
		// and never the full ID number.
		rec := e.get("/applications/"+a.ID, r.wangwu)
		wantStatus(t, "draft page", rec, http.StatusOK)
		page := rec.Body.String()
		for _, want := range []string{"无需上传：已从电子证照库调取", "营业执照", "临江市市场监督管理局", "无需上传：在线填写的申请表即为此材料", "已核验的身份信息，不可修改", "取自电子证照"} {
			if !strings.Contains(page, want) {
				t.Errorf("draft page lacks %q", want)
			}
		}
		if strings.Count(page, "无需上传：已从电子证照库调取") != 3 {
			t.Errorf("draft page shows %d materials taken from licenses, want 3", strings.Count(page, "无需上传：已从电子证照库调取"))
		}
		if strings.Contains(page, r.idNumber) {
			t.Error("draft page shows wangwu's full ID number")
		}
		if !strings.Contains(page, `name="f.经营者名称" value="`+r.orgName+`"`) || !strings.Contains(page, "readonly") {
			t.Error("the organization's name is not shown read only")
		}

		// Without m4 and m5 the submission names exactly those.
		rec = e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", r.wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit without m4, m5", rec, http.StatusUnprocessableEntity)
		codes, _ := fieldCodes(t, rec)
		var materials []string
		for f := range codes {
			if strings.HasPrefix(f, "materials.") {
				materials = append(materials, f)
			}
		}
		if len(materials) != 2 || codes["materials.m4"] != "material_missing" || codes["materials.m5"] != "material_missing" {
			t.Fatalf("missing materials = %v, want m4 and m5", codes)
		}

		wantStatus(t, "upload m4", uploadMaterialAPI(e, r.wangwu, a.ID, "m4", "布局图.pdf", []byte(tinyPDF)), http.StatusCreated)
		wantStatus(t, "upload m5", uploadMaterialAPI(e, r.wangwu, a.ID, "m5", "制度目录.png", tinyPNG(t)), http.StatusCreated)
		// A changed company name does not get through: it is verified.
		typed := strings.Replace(restaurantForm, `{`, `{"经营者名称":"别的公司","统一社会信用代码":"91339900MA2H7K3P1X",`, 1)
		rec = e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", r.wangwu, `{"form":`+typed+`}`)
		wantStatus(t, "submit", rec, http.StatusOK)
		answersAsGet(t, e, r.wangwu, a.ID, rec)
		matchesOpenAPI(t, rec, "Application")
		drafted := got
		decodeResponse(t, rec, &a)
		stampedAsStored(t, e, a.ID)
		// Filed on the same licenses: each keeps when it was taken and
		// was checked again as it was filed.
		for code, f := range fulfilled(a) {
			if d := drafted[code]; !f.TakenAt.Equal(d.TakenAt.Truncate(time.Microsecond)) || !f.CheckedAt.After(d.CheckedAt) || f.LicenseID != d.LicenseID || !f.Active() {
				t.Errorf("%s filed as %+v, drafted as %+v; want taken then, checked since", code, f, d)
			}
		}
		json.Unmarshal(a.Form, &form)
		if form["经营者名称"] != r.orgName || form["统一社会信用代码"] != r.creditCode {
			t.Errorf("filed form = %v, want the verified name and credit code", form)
		}
		if len(a.Materials) != 2 || len(a.Fulfilments) != 3 {
			t.Errorf("filed with %d uploads and %d fulfilled, want 2 and 3", len(a.Materials), len(a.Fulfilments))
		}

		// His page lists what was filed and what was taken from licenses.
		rec = e.get("/applications/"+a.ID, r.wangwu)
		if page := rec.Body.String(); strings.Count(page, "无需上传：已从电子证照库调取") != 3 || !strings.Contains(page, "布局图.pdf") {
			t.Error("the filed application's page does not list the uploads and the materials taken from licenses")
		}

		// The ledger state carries the license number only as a digest.
		state, err := e.srv.Applications.LedgerState(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		bare := sha256.Sum256([]byte(r.idNumber))
		if !strings.Contains(string(state), `"license_number_sha256"`) || strings.Contains(string(state), r.idNumber) ||
			strings.Contains(string(state), r.creditCode) || strings.Contains(string(state), hex.EncodeToString(bare[:])) {
			t.Errorf("ledger state = %s, want license numbers as salted digests only", state)
		}

		// The clerk's task page shows the provenance and the link to
		// verify each license.
		clerk := e.session("scjg-clerk")
		var taskID string
		if err := d.Read().QueryRow(`SELECT id FROM tasks WHERE application_id = $1 AND state = 'open'`, a.ID).Scan(&taskID); err != nil {
			t.Fatal(err)
		}
		rec = e.get("/staff/tasks/"+taskID, clerk)
		wantStatus(t, "task page", rec, http.StatusOK)
		page = rec.Body.String()
		for _, want := range []string{"无需上传：已从电子证照库调取", `href="/licenses/verify/lic-bl-1"`, `href="/licenses/verify/lic-id-1"`, "临江市公安局", "2036-03-18"} {
			if !strings.Contains(page, want) {
				t.Errorf("task page lacks %q", want)
			}
		}
		if strings.Contains(page, r.idNumber) {
			t.Error("task page shows the full ID number")
		}

		// Two uploads of required materials avoided for SCJG-001 (m2, m3),
		// and m6, which is conditional.
		rec = e.get("/api/v1/supervision/avoided-uploads", e.session("jiancha"))
		wantStatus(t, "avoided uploads", rec, http.StatusOK)
		matchesOpenAPI(t, rec, "AvoidedReport")
		var rep application.AvoidedReport
		decodeResponse(t, rec, &rep)
		var row *application.AvoidedService
		for i := range rep.Services {
			if rep.Services[i].Code == "SCJG-001" {
				row = &rep.Services[i]
			}
		}
		if row == nil || row.Required != 5 || row.ByLicense != 2 || row.ByForm != 1 || row.Filed != 1 || row.Avoided != 2 || row.AvoidedConditional != 1 {
			t.Fatalf("SCJG-001 row = %+v, want 5 required, 2 by license, 1 by form, 1 filed, 2 avoided and the conditional m6", row)
		}
		if rep.Totals.Avoided != 2 || rep.Totals.AvoidedConditional != 1 || rep.Totals.Services != len(rep.Services) {
			t.Errorf("totals = %+v", rep.Totals)
		}
		rec = e.get("/supervision/avoided-uploads", e.session("admin"))
		wantStatus(t, "avoided uploads page", rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), `<strong id="avoided-total">2</strong>`) {
			t.Error("the report page does not show 2 uploads avoided")
		}
	})
}

// TestFulfilLicenseRevoked: a license revoked after the draft began no
// longer provides its material; submission asks for an upload, and takes
// one.
func TestFulfilLicenseRevoked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRestaurant(t, d)
		e := r.e
		a := r.start(t)
		wantStatus(t, "upload m4", uploadMaterialAPI(e, r.wangwu, a.ID, "m4", "布局图.pdf", []byte(tinyPDF)), http.StatusCreated)
		wantStatus(t, "upload m5", uploadMaterialAPI(e, r.wangwu, a.ID, "m5", "制度目录.pdf", []byte(tinyPDF)), http.StatusCreated)
		r.licenses.revoke(r.creditCode, "business_license")

		rec := e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", r.wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit after revocation", rec, http.StatusUnprocessableEntity)
		codes, msgs := fieldCodes(t, rec)
		if codes["materials.m2"] != "material_license_lapsed" || !strings.Contains(msgs["materials.m2"], "请上传") {
			t.Fatalf("errors = %v %v, want m2 license lapsed", codes, msgs)
		}
		if len(codes) != 1 {
			t.Errorf("errors = %v, want m2 alone", codes)
		}
		rec = e.get("/api/v1/applications/"+a.ID, r.wangwu)
		var draft application.Application
		decodeResponse(t, rec, &draft)
		if f := fulfilled(draft)["m2"]; f.Active() {
			t.Errorf("the draft still shows m2 as taken from the revoked license: %+v", f)
		}
		// The page in English says so too, next to the material.
		rec = e.do("POST", "/applications/"+a.ID, r.wangwu, "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"submit": {"1"}, "f.经营场所地址": {"临江市滨江区江南大道 88 号一层"}, "f.经营面积": {"45"},
				"f.主体业态": {"餐饮服务经营者"}, "f.经营项目": {"热食类食品制售"}, "f.食品安全管理人员": {"赵敏"}}.Encode()), "Accept-Language", "en")
		wantStatus(t, "submit page", rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), "no longer valid") {
			t.Errorf("the page does not say the license is no longer valid: %s", rec.Body.String())
		}

		wantStatus(t, "upload m2", uploadMaterialAPI(e, r.wangwu, a.ID, "m2", "营业执照.pdf", []byte(tinyPDF)), http.StatusCreated)
		rec = e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", r.wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit with m2 uploaded", rec, http.StatusOK)
		var filed application.Application
		decodeResponse(t, rec, &filed)
		stampedAsStored(t, e, a.ID)
		active := 0
		for _, f := range filed.Fulfilments {
			if f.Active() {
				active++
			}
		}
		if filed.Number == "" || active != 2 {
			t.Errorf("filed %q with %d fulfilled, want a number and m3, m6", filed.Number, active)
		}
		// The lapsed license counts in no digest and avoids no upload.
		state, _ := e.srv.Applications.LedgerState(t.Context(), a.ID)
		if strings.Count(string(state), `"requirement_code":"m`) != 3+2 {
			t.Errorf("ledger state = %s, want three uploads and two fulfilments", state)
		}
	})
}

// TestFulfilKeptAsTakenAtSubmission: wangwu's ID card lapses before he
// files, so he uploads m3 and m6 instead. The business license still
// provides m2, and the application keeps when it was first taken from it;
// the lapsed ID card's fulfilment of m6 stays on record with the number they
// were taken with, which only the API's and pages' answers mask.
func TestFulfilKeptAsTakenAtSubmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRestaurant(t, d)
		e := r.e
		a := r.start(t)
		var draft application.Application
		decodeResponse(t, e.get("/api/v1/applications/"+a.ID, r.wangwu), &draft)
		taken := fulfilled(draft)["m2"].TakenAt
		if taken.IsZero() {
			t.Fatalf("m2 not taken from the business license: %+v", a.Fulfilments)
		}
		for _, code := range []string{"m3", "m4", "m5", "m6"} {
			wantStatus(t, "upload "+code, uploadMaterialAPI(e, r.wangwu, a.ID, code, code+".pdf", []byte(tinyPDF)), http.StatusCreated)
		}
		r.licenses.revoke(r.idNumber, "resident_id_card")
		rec := e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", r.wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit", rec, http.StatusOK)
		if strings.Contains(rec.Body.String(), r.idNumber) {
			t.Error("the filed application as the API answers carries wangwu's ID number")
		}
		var filed application.Application
		decodeResponse(t, rec, &filed)
		got := fulfilled(filed)
		if f := got["m2"]; !f.Active() || !f.TakenAt.Equal(taken) {
			t.Errorf("m2 after filing = %+v, want still taken at %v", f, taken)
		}
		// (m3 is then taken from GA's household register instead.)
		for _, code := range []string{"m6"} {
			if f := got[code]; f.Active() || f.LicenseType != "resident_id_card" {
				t.Errorf("%s after filing = %+v, want the ID card's, lapsed", code, f)
			}
			var number string
			err := d.Read().QueryRowContext(t.Context(), `SELECT license_number FROM application_fulfilments
				WHERE application_id = $1 AND requirement_code = $2 AND lapsed_at IS NOT NULL`, a.ID, code).Scan(&number)
			if err != nil || number != r.idNumber {
				t.Errorf("%s stored with license number %q (%v), want the ID number it was taken with", code, number, err)
			}
		}
	})
}

// TestFulfilSharedData: 李四 applies for a food license as a person. Her
// ID is not in the license library, but SCJG holds a grant on GA's
// household register, so m3 is verified from shared data and the clerk
// looks it up with one click, through the audited query. Without the
// grant, the material must be uploaded.
func TestFulfilSharedData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnvOpts(t, d, envOptions{fulfil: true})
		lisi := e.session("lisi")
		rec := e.sendJSON("POST", "/api/v1/applications", lisi, `{"service_code":"SCJG-001"}`)
		wantStatus(t, "create", rec, http.StatusCreated)
		var a application.Application
		decodeResponse(t, rec, &a)
		got := fulfilled(a)
		if f, ok := got["m3"]; !ok || f.Source != application.FromData || f.Resource != "GA-HOUSEHOLD" || f.Department != "GA" || f.GrantID == "" {
			t.Fatalf("m3 = %+v, want verified from GA-HOUSEHOLD", f)
		}
		if len(got) != 1 {
			t.Errorf("fulfilled = %v, want m3 alone (a person holds no business license)", got)
		}
		var form map[string]any
		json.Unmarshal(a.Form, &form)
		if len(form) != 0 {
			t.Errorf("a person's food license form prefilled %v, want nothing (the organization fields are not hers)", form)
		}
		rec = e.get("/applications/"+a.ID, lisi)
		if !strings.Contains(rec.Body.String(), "无需上传：由受理部门通过数据共享核验") {
			t.Error("the draft page does not say m3 is verified through data sharing")
		}
		// One material, said as one in English.
		rec = e.do("GET", "/applications/"+a.ID, lisi, "", nil, "Accept-Language", "en")
		if page := rec.Body.String(); !strings.Contains(page, "1 material needs no upload: the platform took it from") || strings.Contains(page, "1 materials") {
			t.Errorf("in English the draft page's summary reads %q, want 1 material needs no upload", regexp.MustCompile(`<p class="notice fulfilled-summary">[^<]*`).FindString(page))
		}
		if page := rec.Body.String(); !strings.Contains(page, "Population and household register") || strings.Contains(page, "户籍人口信息") {
			t.Errorf("in English the draft page does not name the shared data in English")
		}
		for _, m := range []string{"m2", "m4", "m5"} {
			wantStatus(t, "upload "+m, uploadMaterialAPI(e, lisi, a.ID, m, m+".pdf", []byte(tinyPDF)), http.StatusCreated)
		}
		lisiForm := strings.Replace(restaurantForm, `{`, `{"经营者名称":"临江市滨江区李四小吃店",`, 1)
		rec = e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", lisi, `{"form":`+lisiForm+`}`)
		wantStatus(t, "submit", rec, http.StatusOK)
		answersAsGet(t, e, lisi, a.ID, rec)
		decodeResponse(t, rec, &a)
		stampedAsStored(t, e, a.ID)

		var taskID string
		if err := d.Read().QueryRow(`SELECT id FROM tasks WHERE application_id = $1 AND state = 'open'`, a.ID).Scan(&taskID); err != nil {
			t.Fatal(err)
		}
		clerk := e.session("scjg-clerk")
		rec = e.get("/staff/tasks/"+taskID, clerk)
		page := rec.Body.String()
		if !strings.Contains(page, "由受理部门通过数据共享核验") || !strings.Contains(page, `action="/staff/tasks/`+taskID+`/lookup"`) {
			t.Fatal("the task page has no one-click lookup for m3")
		}
		rec = e.postForm("/staff/tasks/"+taskID+"/lookup", clerk, url.Values{"resource": {"GA-HOUSEHOLD"}, "subject": {"0"}})
		wantStatus(t, "one-click lookup", rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), "临江市滨江区春晓路 18 号 3 幢 502 室") {
			t.Error("the lookup does not show 李四's registered address")
		}
		var logged int
		d.Read().QueryRow(`SELECT COUNT(*) FROM exchange_access_log WHERE application_id = $1 AND outcome = 'answered'`, a.ID).Scan(&logged)
		if logged != 1 {
			t.Errorf("%d answered lookups logged for the case, want 1", logged)
		}
		// A reviewer of another department sees no lookup button.
		if rec := e.get("/staff/tasks/"+taskID, e.session("jiancha")); strings.Contains(rec.Body.String(), "lookup-one") {
			t.Error("a supervisor is offered a lookup")
		}

		// GA revokes the grant: a new draft must upload m3.
		var grantID string
		d.Read().QueryRow(`SELECT id FROM exchange_grants WHERE consumer_department = 'SCJG' AND resource_code = 'GA-HOUSEHOLD'`).Scan(&grantID)
		rec = e.sendJSON("POST", "/api/v1/exchange/grants/"+grantID+"/revoke", e.session("ga-admin"), `{"reason":"协议到期"}`)
		wantStatus(t, "revoke", rec, http.StatusOK)
		rec = e.sendJSON("POST", "/api/v1/applications", lisi, `{"service_code":"SCJG-001"}`)
		decodeResponse(t, rec, &a)
		if len(a.Fulfilments) != 0 {
			t.Errorf("after the revocation fulfilled %v, want none", a.Fulfilments)
		}
	})
}

// TestFulfilOthersLicensesUnused: a person applying for themselves has
// their own ID card taken and their name prefilled; a license source that
// answers with someone else's license is not believed.
func TestFulfilOthersLicensesUnused(t *testing.T) {
	lib := &fakeLicenses{}
	e := newEnvOpts(t, dbtest.SQLite(t), envOptions{fulfil: true, licenses: lib})
	wangwu := e.session("wangwu")
	// wangwu for himself (SCJG-002 is for persons): his ID card serves,
	// and no organization's license is looked up.
	id := e.idNumber("wangwu")
	lib.put(&application.License{ID: "x", Number: id, Type: "resident_id_card", HolderKey: id, ValidFrom: time.Now()})
	rec := e.sendJSON("POST", "/api/v1/applications", wangwu, `{"service_code":"SCJG-002"}`)
	wantStatus(t, "create", rec, http.StatusCreated)
	var a application.Application
	decodeResponse(t, rec, &a)
	if f := fulfilled(a)["m2"]; f.Source != application.FromLicense {
		t.Errorf("m2 = %+v, want his ID card", f)
	}
	var form map[string]any
	json.Unmarshal(a.Form, &form)
	if form["经营者姓名"] != "王五" {
		t.Errorf("form = %v, want 经营者姓名 王五", form)
	}
	// zhangsan holds nothing; a source answering for him with wangwu's
	// card is refused rather than trusted.
	zid := e.idNumber("zhangsan")
	lib.put(&application.License{ID: "y", Number: id, Type: "resident_id_card", HolderKey: id, ValidFrom: time.Now()})
	lib.mu.Lock()
	lib.held[zid+"/resident_id_card"] = lib.held[id+"/resident_id_card"]
	lib.mu.Unlock()
	rec = e.sendJSON("POST", "/api/v1/applications", e.session("zhangsan"), `{"service_code":"SCJG-002"}`)
	wantStatus(t, "create for zhangsan", rec, http.StatusCreated)
	var z application.Application
	decodeResponse(t, rec, &z)
	for _, f := range z.Fulfilments {
		if f.Source == application.FromLicense {
			t.Errorf("zhangsan's draft took %+v, another holder's license", f)
		}
	}
}

// TestFulfilLedgerStateUnchangedWithout: an application with nothing
// fulfilled by data digests as it did before fulfilment existed, so the
// ledger entries of earlier applications still verify.
func TestFulfilLedgerStateUnchangedWithout(t *testing.T) {
	e := sqliteEnv(t)
	a := fileApplication(t, e, e.session("zhangsan"))
	state, err := e.srv.Applications.LedgerState(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(state), "fulfilments") || !strings.HasSuffix(string(state), `"letter":null}`) {
		t.Errorf("ledger state = %s, want it without fulfilments, ending with the letter", state)
	}
}

// countingLicenses holds the restaurant's licenses but stops answering for
// the business license after a number of questions: a revocation that
// lands between the checks before submission and the one inside the
// submitting transaction.
type countingLicenses struct {
	fakeLicenses
	asked, validFor int
}

func (c *countingLicenses) Held(ctx context.Context, holderKey, typ string) (*application.License, error) {
	if typ == "business_license" {
		c.mu.Lock()
		c.asked++
		over := c.asked > c.validFor
		c.mu.Unlock()
		if over {
			return nil, nil
		}
	}
	return c.fakeLicenses.Held(ctx, holderKey, typ)
}

// TestFulfilRevokedDuringSubmission: the license is asked again inside the
// transaction that files the application; revoked at that moment, the
// application stays a draft and the applicant is asked to upload.
func TestFulfilRevokedDuringSubmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		// Asked when the draft is made and when submission checks first;
		// gone when the submitting transaction asks.
		lib := &countingLicenses{validFor: 2}
		r := newRestaurantWith(t, d, &lib.fakeLicenses, lib)
		e, wangwu := r.e, r.wangwu
		rec := e.sendJSON("POST", "/api/v1/applications", wangwu, `{"service_code":"SCJG-001","organization_id":"`+r.orgID+`"}`)
		wantStatus(t, "create", rec, http.StatusCreated)
		var a application.Application
		decodeResponse(t, rec, &a)
		if f := fulfilled(a)["m2"]; f.Source != application.FromLicense {
			t.Fatalf("m2 = %+v, want the business license", f)
		}
		wantStatus(t, "upload m4", uploadMaterialAPI(e, wangwu, a.ID, "m4", "布局图.pdf", []byte(tinyPDF)), http.StatusCreated)
		wantStatus(t, "upload m5", uploadMaterialAPI(e, wangwu, a.ID, "m5", "制度目录.pdf", []byte(tinyPDF)), http.StatusCreated)
		rec = e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit while the license is revoked", rec, http.StatusUnprocessableEntity)
		if codes, _ := fieldCodes(t, rec); codes["materials.m2"] != "material_license_lapsed" || len(codes) != 1 {
			t.Fatalf("errors = %v, want m2 license lapsed alone", codes)
		}
		var state string
		d.Read().QueryRow(`SELECT state FROM applications WHERE id = $1`, a.ID).Scan(&state)
		if state != "draft" {
			t.Fatalf("application is %s, want still a draft", state)
		}
		wantStatus(t, "upload m2", uploadMaterialAPI(e, wangwu, a.ID, "m2", "营业执照.pdf", []byte(tinyPDF)), http.StatusCreated)
		rec = e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit with m2 uploaded", rec, http.StatusOK)
		answersAsGet(t, e, wangwu, a.ID, rec)
	})
}

// revokingLibrary is the license library as applications see it, which,
// once armed, revokes the business license right after it answers for
// it: between the checks before submission and the submitting
// transaction, which asks the library only whether the licenses are
// still valid.
type revokingLibrary struct {
	application.LicenseSource
	mu     sync.Mutex
	revoke func(id string)
	asked  int
}

func (r *revokingLibrary) Held(ctx context.Context, holderKey, typ string) (*application.License, error) {
	l, err := r.LicenseSource.Held(ctx, holderKey, typ)
	r.mu.Lock()
	revoke := r.revoke
	if typ == "business_license" {
		r.revoke = nil
	}
	r.mu.Unlock()
	if revoke != nil && l != nil && typ == "business_license" {
		revoke(l.ID)
	}
	return l, err
}

func (r *revokingLibrary) StillValid(ctx context.Context, ids []string) (map[string]bool, error) {
	r.mu.Lock()
	r.asked++
	r.mu.Unlock()
	return r.LicenseSource.(application.LicenseChecker).StillValid(ctx, ids)
}

// TestFulfilLibraryRevokedDuringSubmission: with the license library, the
// submitting transaction asks whether the licenses the draft rests on
// are still valid; the business license SCJG revoked a moment before no
// longer counts, and nothing is filed. Another submission later is
// checked the same way and goes through.
func TestFulfilLibraryRevokedDuringSubmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		lib := &revokingLibrary{}
		e := newEnvOpts(t, d, envOptions{fulfil: true, libraryLicenses: true, wrapLibrary: func(src application.LicenseSource) application.LicenseSource {
			lib.LicenseSource = src
			return lib
		}})
		ctx := t.Context()
		_, org := wangwuCompany(t, e)
		wangwu := e.session("wangwu")
		draft := func() application.Application {
			rec := e.sendJSON("POST", "/api/v1/applications", wangwu, `{"service_code":"SCJG-001","organization_id":"`+org.ID+`"}`)
			wantStatus(t, "create SCJG-001 draft", rec, http.StatusCreated)
			var a application.Application
			decodeResponse(t, rec, &a)
			for _, m := range []string{"m4", "m5"} {
				wantStatus(t, "upload "+m, uploadMaterialAPI(e, wangwu, a.ID, m, m+".pdf", []byte(tinyPDF)), http.StatusCreated)
			}
			return a
		}

		// Filed while every license holds: asked by ID, not looked up.
		a := draft()
		rec := e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit", rec, http.StatusOK)
		stampedAsStored(t, e, a.ID)
		if lib.asked != 1 {
			t.Errorf("the library was asked %d times whether the licenses are still valid, want once", lib.asked)
		}

		b := draft()
		approver, err := e.srv.Identity.AccountByUsername(ctx, "scjg-approver")
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.srv.Identity.Principal(ctx, approver.ID)
		if err != nil {
			t.Fatal(err)
		}
		lib.mu.Lock()
		lib.revoke = func(id string) {
			if _, err := e.srv.Licenses.Change(context.Background(), p, id, license.Revoke, "依法吊销营业执照。"); err != nil {
				t.Errorf("revoke: %v", err)
			}
		}
		lib.mu.Unlock()
		rec = e.sendJSON("POST", "/api/v1/applications/"+b.ID+"/submit", wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit while the license is revoked", rec, http.StatusUnprocessableEntity)
		if codes, _ := fieldCodes(t, rec); codes["materials.m2"] != "material_license_lapsed" || len(codes) != 1 {
			t.Fatalf("errors = %v, want m2 license lapsed alone", codes)
		}
		var state string
		d.Read().QueryRow(`SELECT state FROM applications WHERE id = $1`, b.ID).Scan(&state)
		if state != "draft" {
			t.Fatalf("application is %s, want still a draft", state)
		}
	})
}

// removingLicenses answers as fakeLicenses, and once armed, removes an
// upload before it answers: the applicant deleting it in another tab
// between the checks before submission and the submitting transaction.
type removingLicenses struct {
	fakeLicenses
	remove func()
}

func (r *removingLicenses) Held(ctx context.Context, holderKey, typ string) (*application.License, error) {
	r.mu.Lock()
	remove := r.remove
	r.remove = nil
	r.mu.Unlock()
	if remove != nil {
		remove()
	}
	return r.fakeLicenses.Held(ctx, holderKey, typ)
}

// TestFulfilUploadRemovedDuringSubmission: the uploads are read again
// inside the transaction that files the application; one removed since
// the checks before it is missing, and nothing is filed.
func TestFulfilUploadRemovedDuringSubmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		lib := &removingLicenses{}
		r := newRestaurantWith(t, d, &lib.fakeLicenses, lib)
		e, wangwu := r.e, r.wangwu
		a := r.start(t)
		rec := uploadMaterialAPI(e, wangwu, a.ID, "m4", "布局图.pdf", []byte(tinyPDF))
		wantStatus(t, "upload m4", rec, http.StatusCreated)
		var m4 application.Material
		decodeResponse(t, rec, &m4)
		wantStatus(t, "upload m5", uploadMaterialAPI(e, wangwu, a.ID, "m5", "制度目录.pdf", []byte(tinyPDF)), http.StatusCreated)
		acc, err := e.srv.Identity.AccountByUsername(t.Context(), "wangwu")
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.srv.Identity.Principal(t.Context(), acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		lib.mu.Lock()
		lib.remove = func() {
			if err := e.srv.Applications.RemoveMaterial(context.Background(), p, a.ID, m4.ID); err != nil {
				t.Errorf("remove m4: %v", err)
			}
		}
		lib.mu.Unlock()
		rec = e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit while m4 is removed", rec, http.StatusUnprocessableEntity)
		if codes, _ := fieldCodes(t, rec); codes["materials.m4"] != "material_missing" || len(codes) != 1 {
			t.Fatalf("errors = %v, want m4 missing alone", codes)
		}
		var state string
		var stamps int
		d.Read().QueryRow(`SELECT state FROM applications WHERE id = $1`, a.ID).Scan(&state)
		d.Read().QueryRow(`SELECT COUNT(*) FROM ledger_entries WHERE object_id = $1`, a.ID).Scan(&stamps)
		if state != "draft" || stamps != 0 {
			t.Fatalf("application is %s with %d ledger entries, want still a draft with none", state, stamps)
		}
		wantStatus(t, "upload m4 again", uploadMaterialAPI(e, wangwu, a.ID, "m4", "布局图.pdf", []byte(tinyPDF)), http.StatusCreated)
		rec = e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/submit", wangwu, `{"form":`+restaurantForm+`}`)
		wantStatus(t, "submit with m4 uploaded again", rec, http.StatusOK)
		answersAsGet(t, e, wangwu, a.ID, rec)
		stampedAsStored(t, e, a.ID)
	})
}

// answersAsGet checks that a submission's answer, which is put together
// from what the submission wrote, is what reading the application back
// gives.
func answersAsGet(t *testing.T, e *env, token, id string, submitted *httptest.ResponseRecorder) {
	t.Helper()
	rec := e.do("GET", "/api/v1/applications/"+id, token, "", nil)
	wantStatus(t, "get after submit", rec, http.StatusOK)
	if got, want := submitted.Body.String(), rec.Body.String(); got != want {
		t.Errorf("submit answered\n%s\nGET reads\n%s", got, want)
	}
}

// TestFulfilFromLicenseLibrary runs the restaurant scenario against the
// license library itself, with the licenses the demo issued: the
// restaurant's business license and wangwu's ID card replace m2, m3 and
// m6, and the clerk's link opens the page the license's QR code opens,
// which says it is genuine and valid.
func TestFulfilFromLicenseLibrary(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnvOpts(t, d, envOptions{fulfil: true, libraryLicenses: true})
		_, org := wangwuCompany(t, e)
		wangwu := e.session("wangwu")
		rec := e.sendJSON("POST", "/api/v1/applications", wangwu, `{"service_code":"SCJG-001","organization_id":"`+org.ID+`"}`)
		wantStatus(t, "create SCJG-001 draft", rec, http.StatusCreated)
		var a application.Application
		decodeResponse(t, rec, &a)
		got := fulfilled(a)
		for code, typ := range map[string]string{"m2": "business_license", "m3": "resident_id_card", "m6": "resident_id_card"} {
			if f, ok := got[code]; !ok || f.Source != application.FromLicense || f.LicenseType != typ {
				t.Errorf("material %s fulfilled by %+v, want the held %s", code, f, typ)
			}
		}
		if f := got["m2"]; f.Department != "SCJG" || f.LicenseID == "" {
			t.Errorf("m2 provenance = %+v, want the business license SCJG issued", f)
		}
		var form map[string]any
		json.Unmarshal(a.Form, &form)
		if form["经营者名称"] != org.Name || form["统一社会信用代码"] != org.CreditCode {
			t.Errorf("prefilled form = %v", form)
		}
		link := e.srv.LicenseLink(got["m2"].LicenseID)
		if !strings.HasPrefix(link, "/licenses/check/"+got["m2"].LicenseID+"/") {
			t.Fatalf("license link = %q", link)
		}
		rec = e.get(link, "")
		wantStatus(t, "license check page", rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), `data-outcome="valid"`) || !strings.Contains(rec.Body.String(), org.Name) {
			t.Error("the check page does not say the holder's license is valid")
		}
		if e.srv.LicenseLink("no-such-license") != "" {
			t.Error("a link for a license that does not exist")
		}
		// The draft names the licenses and their issuers in the reader's
		// language: the English page used Chinese names it has English
		// ones for.
		for _, tc := range []struct {
			lang string
			want []string
		}{
			{"zh-CN", []string{"营业执照", "居民身份证", "临江市市场监督管理局"}},
			{"en", []string{"Business license", "Resident identity card", "Linjiang Administration for Market Regulation"}},
		} {
			page := e.do("GET", "/applications/"+a.ID, wangwu, "", nil, "Accept-Language", tc.lang).Body.String()
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("the draft in %s does not name %q", tc.lang, w)
				}
			}
		}
	})
}

// stampedAsStored checks that the latest ledger stamp of application id
// carries the digests of its state read back from the database: a
// submission puts the state it stamps together from what it wrote.
func stampedAsStored(t *testing.T, e *env, id string) {
	t.Helper()
	stamps, err := e.srv.Ledger.Stamps(t.Context(), application.LedgerObject, id)
	if err != nil || len(stamps) == 0 {
		t.Fatalf("stamps of %s: %v (%d)", id, err, len(stamps))
	}
	state, err := e.srv.Applications.LedgerState(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	last := stamps[len(stamps)-1]
	if sha, sm := ledger.Digests(state); sha != last.SHA256 || sm != last.SM3 {
		t.Errorf("state read back %s does not have the digests of the %s stamp", state, last.Event)
	}
}
