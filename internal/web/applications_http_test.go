package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

// applyService is the demo service the application tests apply for (营业执照
// 变更登记 of SCJG): open to persons, with no form and two required
// materials, m1 and m3, as requireApplyService checks.
const applyService = "SCJG-004"

// numberRE is the shape of a tracking number: department, date, sequence.
var numberRE = regexp.MustCompile(`^SCJG[0-9]{8}[0-9]{5}$`)

// tinyPNG is a real 1×1 PNG image.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tinyPDF is a minimal one-page PDF.
const tinyPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// decodeResponse decodes a JSON response body into v.
func decodeResponse(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("response is not the JSON expected: %v: %s", err, rec.Body.String())
	}
}

// wantStatus fails the test unless rec has the status.
func wantStatus(t *testing.T, what string, rec *httptest.ResponseRecorder, code int) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("%s = %d, want %d: %s", what, rec.Code, code, rec.Body.String())
	}
}

// fieldCodes returns the field failures of a 422 response, field → code,
// and field → message.
func fieldCodes(t *testing.T, rec *httptest.ResponseRecorder) (codes, messages map[string]string) {
	t.Helper()
	var e apiError
	decodeResponse(t, rec, &e)
	if e.Status != http.StatusUnprocessableEntity || e.Code != "error_422" {
		t.Fatalf("error = %d %q, want 422 error_422: %s", e.Status, e.Code, rec.Body.String())
	}
	codes, messages = map[string]string{}, map[string]string{}
	for _, f := range e.Fields {
		codes[f.Field], messages[f.Field] = f.Code, f.Message
	}
	return codes, messages
}

// matchesOpenAPI fails the test unless the body of rec is valid against
// the schema of that name in openapi.json, so the document stays true to
// what the API answers.
func matchesOpenAPI(t *testing.T, rec *httptest.ResponseRecorder, schema string) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapiDoc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("openapi.json#/components/schemas/" + schema)
	if err != nil {
		t.Fatalf("openapi.json schema %s: %v", schema, err)
	}
	body, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	if err := sch.Validate(body); err != nil {
		t.Errorf("response does not match openapi.json schema %s: %v\n%s", schema, err, rec.Body.String())
	}
}

// uploadMaterialAPI uploads one file for a requirement as a multipart form
// with the fields requirement and file, in that order.
func uploadMaterialAPI(e *env, token, appID, requirement, fileName string, content []byte) *httptest.ResponseRecorder {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("requirement", requirement); err != nil {
		e.t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		e.t.Fatal(err)
	}
	fw.Write(content)
	if err := mw.Close(); err != nil {
		e.t.Fatal(err)
	}
	return e.do("POST", "/api/v1/applications/"+appID+"/materials", token, mw.FormDataContentType(), &body)
}

// requireApplyService checks the demo still has applyService as the tests
// assume it.
func requireApplyService(t *testing.T, e *env) {
	t.Helper()
	rec := e.get("/api/v1/services/"+applyService, "")
	wantStatus(t, "GET service "+applyService, rec, http.StatusOK)
	var svc struct {
		DepartmentCode string   `json:"department_code"`
		Audience       []string `json:"audience"`
		FormSchema     any      `json:"form_schema"`
		Guide          struct {
			Materials []struct {
				Code     string `json:"code"`
				Required bool   `json:"required"`
			} `json:"materials"`
		} `json:"guide"`
	}
	decodeResponse(t, rec, &svc)
	var required []string
	for _, m := range svc.Guide.Materials {
		if m.Required {
			required = append(required, m.Code)
		}
	}
	if svc.DepartmentCode != "SCJG" || !strings.Contains(strings.Join(svc.Audience, ","), "person") || svc.FormSchema != nil || strings.Join(required, ",") != "m1,m3" {
		t.Fatalf("demo service %s changed (department %s, audience %v, form %v, required %v): pick another for these tests",
			applyService, svc.DepartmentCode, svc.Audience, svc.FormSchema != nil, required)
	}
}

// fileApplication creates, completes and submits an application for
// applyService as the holder of token, and returns it.
func fileApplication(t *testing.T, e *env, token string) application.Application {
	t.Helper()
	rec := e.sendJSON("POST", "/api/v1/applications", token, `{"service_code":"`+applyService+`"}`)
	wantStatus(t, "create draft", rec, http.StatusCreated)
	var a application.Application
	decodeResponse(t, rec, &a)
	wantStatus(t, "upload m1", uploadMaterialAPI(e, token, a.ID, "m1", "申请书.png", tinyPNG(t)), http.StatusCreated)
	wantStatus(t, "upload m3", uploadMaterialAPI(e, token, a.ID, "m3", "执照.pdf", []byte(tinyPDF)), http.StatusCreated)
	rec = e.do("POST", "/api/v1/applications/"+a.ID+"/submit", token, "", nil)
	wantStatus(t, "submit", rec, http.StatusOK)
	decodeResponse(t, rec, &a)
	return a
}

// TestApplicationAPIApplicant walks an applicant through the JSON API: a
// retried create, a submission refused for missing materials, a disguised
// upload, real uploads, submission and a double submit, and another
// citizen who must not see any of it.
func TestApplicationAPIApplicant(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	zhang, lisi := e.session("zhangsan"), e.session("lisi")

	// The same Idempotency-Key twice makes one draft.
	create := func() application.Application {
		t.Helper()
		rec := e.do("POST", "/api/v1/applications", zhang, "application/json", strings.NewReader(`{"service_code":"`+applyService+`"}`), "Idempotency-Key", "retry-7f3a")
		wantStatus(t, "create draft", rec, http.StatusCreated)
		matchesOpenAPI(t, rec, "Application")
		var a application.Application
		decodeResponse(t, rec, &a)
		return a
	}
	a, again := create(), create()
	if a.ID == "" || again.ID != a.ID {
		t.Fatalf("retried create made draft %q, then %q: want the same", a.ID, again.ID)
	}
	if a.State != application.Draft || a.ServiceCode != applyService || a.ApplicantName != "张三" {
		t.Fatalf("draft = state %q service %q applicant %q", a.State, a.ServiceCode, a.ApplicantName)
	}
	var mine listResponse[application.Application]
	rec := e.get("/api/v1/applications", zhang)
	matchesOpenAPI(t, rec, "ApplicationList")
	decodeResponse(t, rec, &mine)
	if mine.Count != 1 || mine.Items[0].ID != a.ID {
		t.Fatalf("my applications after a retried create: %d, want the one draft", mine.Count)
	}

	// Saving the form needs the revision it was typed on, and a value of
	// the wrong kind is named on its field.
	for _, c := range []struct{ body, field, code string }{
		{`{"form":{}}`, "revision", "revision_required"},
		{`{"form":{},"revision":"1"}`, "revision", "json_type_integer"},
	} {
		rec := e.sendJSON("PUT", "/api/v1/applications/"+a.ID+"/form", zhang, c.body)
		wantStatus(t, "save "+c.body, rec, http.StatusUnprocessableEntity)
		if codes, msgs := fieldCodes(t, rec); codes[c.field] != c.code || strings.Contains(msgs[c.field], "Go ") {
			t.Errorf("save %s: %v %v, want %s on %s", c.body, codes, msgs, c.code, c.field)
		}
	}

	// Submitting without the required materials names each one, in the
	// caller's language.
	submitURL := "/api/v1/applications/" + a.ID + "/submit"
	for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
		var hdr []string
		if lang == i18n.EN {
			hdr = []string{"Accept-Language", "en"}
		}
		rec := e.do("POST", submitURL, zhang, "", nil, hdr...)
		wantStatus(t, "submit without materials ("+string(lang)+")", rec, http.StatusUnprocessableEntity)
		matchesOpenAPI(t, rec, "Error")
		codes, msgs := fieldCodes(t, rec)
		for _, f := range []string{"materials.m1", "materials.m3"} {
			if codes[f] != "material_missing" {
				t.Errorf("%s: field %s = %q, want material_missing; fields %v", lang, f, codes[f], codes)
			}
			if want := i18n.T(lang, "material_missing"); msgs[f] != want {
				t.Errorf("%s: message of %s = %q, want %q", lang, f, msgs[f], want)
			}
		}
		if _, ok := codes["materials.m2"]; ok {
			t.Errorf("optional material m2 reported missing: %v", codes)
		}
	}
	if i18n.T(i18n.ZH, "material_missing") == i18n.T(i18n.EN, "material_missing") {
		t.Fatal("material_missing has the same text in both languages")
	}

	// HTML named .pdf is judged by its content and refused.
	rec = uploadMaterialAPI(e, zhang, a.ID, "m1", "申请书.pdf", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))
	wantStatus(t, "upload HTML named .pdf", rec, http.StatusUnprocessableEntity)
	if codes, _ := fieldCodes(t, rec); codes["file"] != "file_type" {
		t.Fatalf("upload HTML named .pdf: fields %v, want file: file_type", codes)
	}
	// A requirement the service does not have is refused.
	rec = uploadMaterialAPI(e, zhang, a.ID, "m99", "x.pdf", []byte(tinyPDF))
	wantStatus(t, "upload for an unknown requirement", rec, http.StatusUnprocessableEntity)

	// Real files are stored with their SHA-256.
	pngData := tinyPNG(t)
	rec = uploadMaterialAPI(e, zhang, a.ID, "m1", "申请书.png", pngData)
	wantStatus(t, "upload PNG", rec, http.StatusCreated)
	matchesOpenAPI(t, rec, "Material")
	var m application.Material
	decodeResponse(t, rec, &m)
	sum := sha256.Sum256(pngData)
	if m.ID == "" || m.RequirementCode != "m1" || m.ContentType != "image/png" || m.Size != int64(len(pngData)) || m.SHA256 != hex.EncodeToString(sum[:]) || m.FileName != "申请书.png" {
		t.Fatalf("uploaded PNG = %+v, want m1 image/png %d bytes sha256 %x", m, len(pngData), sum)
	}
	rec = uploadMaterialAPI(e, zhang, a.ID, "m3", "执照.pdf", []byte(tinyPDF))
	wantStatus(t, "upload PDF", rec, http.StatusCreated)

	// The applicant gets the file back as a download, never inline.
	mURL := "/api/v1/applications/" + a.ID + "/materials/" + m.ID
	rec = e.get(mURL, zhang)
	wantStatus(t, "download own material", rec, http.StatusOK)
	if !bytes.Equal(rec.Body.Bytes(), pngData) || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d bytes, Content-Disposition %q", rec.Body.Len(), rec.Header().Get("Content-Disposition"))
	}
	// Another citizen sees neither the draft nor its files.
	wantStatus(t, "another citizen GET draft", e.get("/api/v1/applications/"+a.ID, lisi), http.StatusNotFound)
	wantStatus(t, "another citizen GET material", e.get(mURL, lisi), http.StatusNotFound)

	// Submit files it with a tracking number; a second submit answers the same.
	rec = e.do("POST", submitURL, zhang, "", nil)
	wantStatus(t, "submit", rec, http.StatusOK)
	matchesOpenAPI(t, rec, "Application")
	var filed application.Application
	decodeResponse(t, rec, &filed)
	if filed.State != application.Submitted || !numberRE.MatchString(filed.Number) {
		t.Fatalf("submitted: state %q number %q", filed.State, filed.Number)
	}
	rec = e.do("POST", submitURL, zhang, "", nil)
	wantStatus(t, "submit again", rec, http.StatusOK)
	var twice application.Application
	decodeResponse(t, rec, &twice)
	if twice.Number != filed.Number || twice.State != application.Submitted {
		t.Fatalf("second submit: number %q state %q, want %q submitted", twice.Number, twice.State, filed.Number)
	}
	// Filed materials cannot be changed any more.
	wantStatus(t, "upload after submission", uploadMaterialAPI(e, zhang, a.ID, "m2", "x.pdf", []byte(tinyPDF)), http.StatusConflict)
	wantStatus(t, "delete material after submission", e.do("DELETE", mURL, zhang, "", nil), http.StatusConflict)

	// Another citizen can neither see nor act on the filed application.
	for _, c := range []struct{ method, url string }{
		{"GET", "/api/v1/applications/" + a.ID},
		{"GET", mURL},
		{"POST", submitURL},
		{"POST", "/api/v1/applications/" + a.ID + "/withdraw"},
	} {
		wantStatus(t, "another citizen "+c.method+" "+c.url, e.do(c.method, c.url, lisi, "", nil), http.StatusNotFound)
	}
	decodeResponse(t, e.get("/api/v1/applications", lisi), &mine)
	if mine.Count != 0 {
		t.Fatalf("another citizen's list has %d applications, want 0", mine.Count)
	}
}

// TestApplicationAPIStaff: a filed application reaches the SCJG clerks'
// queue and no other department's; a refusal needs its reasons; of two
// clerks claiming at once one wins; staff never see the applicant's full
// ID number.
func TestApplicationAPIStaff(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	ctx := t.Context()
	zhang := e.session("zhangsan")
	a := fileApplication(t, e, zhang)

	// The clerk's queue lists the intake task.
	clerk := e.session("scjg-clerk")
	rec := e.get("/api/v1/tasks", clerk)
	wantStatus(t, "clerk's queue", rec, http.StatusOK)
	matchesOpenAPI(t, rec, "TaskList")
	var queue listResponse[application.Task]
	decodeResponse(t, rec, &queue)
	var task application.Task
	for _, tk := range queue.Items {
		if tk.ApplicationID == a.ID {
			task = tk
		}
	}
	if task.ID == "" || task.StepID != "accept" || task.State != application.TaskOpen || task.DepartmentCode != "SCJG" || task.Number != a.Number {
		t.Fatalf("clerk's queue lacks the intake task of %s: %+v", a.Number, queue.Items)
	}
	taskURL := "/api/v1/tasks/" + task.ID

	// Another department's clerk cannot see or act on it.
	ga := e.session("ga-clerk")
	decodeResponse(t, e.get("/api/v1/tasks", ga), &queue)
	for _, tk := range queue.Items {
		if tk.ID == task.ID {
			t.Fatal("the GA clerk's queue lists an SCJG task")
		}
	}
	wantStatus(t, "GA clerk GET task", e.get(taskURL, ga), http.StatusNotFound)
	wantStatus(t, "GA clerk decision", e.sendJSON("POST", taskURL+"/decision", ga, `{"action":"accept"}`), http.StatusNotFound)
	wantStatus(t, "GA clerk claim", e.do("POST", taskURL+"/claim", ga, "", nil), http.StatusNotFound)
	wantStatus(t, "GA clerk GET application", e.get("/api/v1/applications/"+a.ID, ga), http.StatusNotFound)

	// A refusal without its reason and legal basis is sent back, and
	// changes nothing.
	rec = e.sendJSON("POST", taskURL+"/decision", clerk, `{"action":"refuse"}`)
	wantStatus(t, "refuse without opinion", rec, http.StatusUnprocessableEntity)
	codes, _ := fieldCodes(t, rec)
	if codes["opinion"] != "refusal_reason_required" {
		t.Errorf("refuse without opinion: fields %v, want opinion: refusal_reason_required", codes)
	}
	if _, ok := codes["legal_basis"]; !ok {
		t.Errorf("refuse without legal basis: fields %v, want legal_basis", codes)
	}
	rec = e.get("/api/v1/applications/"+a.ID, zhang)
	var now application.Application
	decodeResponse(t, rec, &now)
	if now.State != application.Submitted {
		t.Fatalf("after a refused refusal the application is %q, want submitted", now.State)
	}
	// An action the step does not offer is refused too.
	rec = e.sendJSON("POST", taskURL+"/decision", clerk, `{"action":"approve","opinion":"同意"}`)
	wantStatus(t, "approve at intake", rec, http.StatusUnprocessableEntity)

	// Two clerks claim at once: exactly one wins, the other is told a
	// colleague has it.
	if _, err := e.srv.Identity.Seed(ctx, identity.Account{Kind: identity.KindStaff, Username: "scjg-clerk2", Name: "林受理", DepartmentCode: "SCJG"},
		demo.Password, []identity.RoleGrant{{Role: identity.Clerk, Department: "SCJG"}}); err != nil {
		t.Fatal(err)
	}
	clerk2 := e.session("scjg-clerk2")
	var wg sync.WaitGroup
	recs := make([]*httptest.ResponseRecorder, 2)
	for i, tok := range []string{clerk, clerk2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs[i] = e.do("POST", taskURL+"/claim", tok, "", nil)
		}()
	}
	wg.Wait()
	winner, loser := clerk, clerk2
	if recs[0].Code != http.StatusOK {
		recs[0], recs[1] = recs[1], recs[0]
		winner, loser = clerk2, clerk
	}
	if recs[0].Code != http.StatusOK || recs[1].Code != http.StatusConflict {
		t.Fatalf("two claims = %d and %d, want one 200 and one 409: %s %s", recs[0].Code, recs[1].Code, recs[0].Body.String(), recs[1].Body.String())
	}
	matchesOpenAPI(t, recs[0], "Task")
	matchesOpenAPI(t, recs[1], "Error")
	var claimErr apiError
	decodeResponse(t, recs[1], &claimErr)
	if claimErr.Code != "task_claimed_by_other" {
		t.Errorf("losing claim: code %q, want task_claimed_by_other", claimErr.Code)
	}
	// The loser cannot decide on the winner's task.
	wantStatus(t, "decision by the losing clerk", e.sendJSON("POST", taskURL+"/decision", loser, `{"action":"accept"}`), http.StatusConflict)
	// The task's page tells the loser who has it, and an approver of the
	// department that the step is not theirs; neither gets the forms.
	winnerName := "刘受理"
	if winner == clerk2 {
		winnerName = "林受理"
	}
	for _, c := range []struct{ who, token, want string }{
		{"losing clerk", loser, "此环节已由" + winnerName + "签收办理"},
		{"approver", e.session("scjg-approver"), "此环节由临江市市场监督管理局的受理人员办理"},
	} {
		rec := e.get("/staff/tasks/"+task.ID, c.token)
		wantStatus(t, c.who+" task page", rec, http.StatusOK)
		body := rec.Body.String()
		if !strings.Contains(body, c.want) {
			t.Errorf("%s's task page does not say %q", c.who, c.want)
		}
		if strings.Contains(body, `id="decide"`) || strings.Contains(body, `/claim"`) {
			t.Errorf("%s's task page offers to claim or decide", c.who)
		}
	}
	if body := e.get("/staff/tasks/"+task.ID, winner).Body.String(); !strings.Contains(body, `id="decide"`) || strings.Contains(body, `id="not-yours"`) {
		t.Error("the winning clerk's task page lacks the decision form or says the task is not theirs")
	}

	// Staff see the application, but the applicant's ID number and phone
	// only as far as the application needs: not at all.
	owner, err := e.srv.Identity.AccountByUsername(ctx, "zhangsan")
	if err != nil || len(owner.IDNumber) != 18 {
		t.Fatalf("demo citizen: %v", err)
	}
	for _, u := range []struct{ url, schema string }{
		{"/api/v1/applications/" + a.ID, "Application"},
		{taskURL, "TaskDetail"},
		{"/api/v1/tasks", "TaskList"},
	} {
		rec := e.get(u.url, winner)
		wantStatus(t, "clerk GET "+u.url, rec, http.StatusOK)
		matchesOpenAPI(t, rec, u.schema)
		body := rec.Body.String()
		if strings.Contains(body, owner.IDNumber) || strings.Contains(body, owner.Phone) {
			t.Errorf("GET %s to the clerk shows the applicant's full ID or phone number", u.url)
		}
		if !strings.Contains(body, "张三") {
			t.Errorf("GET %s to the clerk does not name the applicant", u.url)
		}
	}

	// The winner accepts; the application moves on to the decision, the
	// next step of SCJG-004's process.
	rec = e.sendJSON("POST", taskURL+"/decision", winner, `{"action":"accept"}`)
	wantStatus(t, "accept", rec, http.StatusOK)
	matchesOpenAPI(t, rec, "Application")
	decodeResponse(t, rec, &now)
	if now.State != application.Accepted || now.AcceptDate == "" || now.StatutoryDue == "" {
		t.Fatalf("after accept: state %q accept date %q statutory due %q", now.State, now.AcceptDate, now.StatutoryDue)
	}
	decodeResponse(t, e.get("/api/v1/tasks", e.session("scjg-approver")), &queue)
	found := false
	for _, tk := range queue.Items {
		found = found || (tk.ApplicationID == a.ID && tk.StepID == "decide")
	}
	if !found {
		t.Fatalf("the approver's queue lacks the decision task: %+v", queue.Items)
	}
	// A decided task takes no second decision.
	if rec := e.sendJSON("POST", taskURL+"/decision", winner, `{"action":"accept"}`); rec.Code != http.StatusConflict {
		t.Fatalf("second decision on a closed task = %d, want 409: %s", rec.Code, rec.Body.String())
	}
}

// An administrator's calendar edit moves the deadlines of an application
// in process, and its applicant reads what moved in the timeline.
func TestCalendarEditMovesDeadlines(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	zhang := e.session("zhangsan")
	a := fileApplication(t, e, zhang)
	clerk := e.session("scjg-clerk")
	var task application.Task
	decodeResponse(t, e.get("/api/v1/applications/"+a.ID, zhang), &a)
	for _, tk := range a.Tasks {
		if tk.StepID == "accept" {
			task = tk
		}
	}
	rec := e.sendJSON("POST", "/api/v1/tasks/"+task.ID+"/decision", clerk, `{"action":"accept"}`)
	wantStatus(t, "accept", rec, http.StatusOK)
	decodeResponse(t, rec, &a)
	open := func(a application.Application) application.Task {
		for _, tk := range a.Tasks {
			if tk.State == application.TaskOpen {
				return tk
			}
		}
		t.Fatalf("no open step: %+v", a.Tasks)
		return application.Task{}
	}
	was, step := a.StatutoryDue, open(a)
	if was == "" || step.DueDate == "" || step.DueDate > was {
		t.Fatalf("after acceptance: statutory deadline %q, open step due %q", was, step.DueDate)
	}
	// The open step's deadline becomes a day off: it moves on, and so
	// does the statutory deadline, which falls on or after it.
	rec = e.sendJSON("PUT", "/api/v1/admin/calendar/days/"+step.DueDate, e.session("admin"), `{"kind":"holiday","name":"防汛"}`)
	wantStatus(t, "make the step's deadline a holiday", rec, http.StatusOK)
	if st, err := e.srv.Applications.ScanWarnings(t.Context()); err != nil || st.Recounted == 0 {
		t.Fatalf("scan: %+v %v", st, err)
	}
	rec = e.get("/api/v1/applications/"+a.ID, zhang)
	wantStatus(t, "application after the edit", rec, http.StatusOK)
	matchesOpenAPI(t, rec, "Application")
	decodeResponse(t, rec, &a)
	moved := open(a)
	if a.StatutoryDue <= was || moved.DueDate <= step.DueDate {
		t.Fatalf("statutory deadline %s (was %s), step due %s (was %s) after the step's deadline became a holiday", a.StatutoryDue, was, moved.DueDate, step.DueDate)
	}
	page := e.get("/applications/"+a.ID, zhang)
	wantStatus(t, "application page", page, http.StatusOK)
	for _, want := range []string{
		"工作日历调整，期限重新计算",
		"法定期限：" + was + " → " + a.StatutoryDue,
		"环节期限：" + step.DueDate + " → " + moved.DueDate,
	} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("the timeline does not say %q", want)
		}
	}
	en := e.do("GET", "/applications/"+a.ID, zhang, "", nil, "Accept-Language", "en").Body.String()
	for _, want := range []string{"Statutory deadline: " + was + " → " + a.StatutoryDue, "Deadline of "} {
		if !strings.Contains(en, want) {
			t.Errorf("the English timeline does not say %q", want)
		}
	}
}

// TestQueueFiltersHTTP filters and pages the work queue over the API and
// the page, over the demo's applications (some yellow and red).
func TestQueueFiltersHTTP(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	// The scan marks the demo's late tasks, as a running server does.
	if _, err := e.srv.Applications.ScanWarnings(t.Context()); err != nil {
		t.Fatal(err)
	}
	clerk := e.session("xf-reviewer") // the demo gives XF a red and a yellow task
	var all struct {
		listResponse[application.Task]
		Counts     application.QueueCounts `json:"counts"`
		NextOffset *int                    `json:"next_offset"`
	}
	rec := e.get("/api/v1/tasks", clerk)
	wantStatus(t, "queue", rec, http.StatusOK)
	matchesOpenAPI(t, rec, "TaskList")
	decodeResponse(t, rec, &all)
	if all.Counts.Total != all.Count || all.NextOffset != nil || all.Count == 0 {
		t.Fatalf("whole queue: %d items, counts %+v, next %v", all.Count, all.Counts, all.NextOffset)
	}
	if all.Counts.Red == 0 {
		t.Fatal("the demo gives the XF reviewer no red task to filter")
	}
	var red struct {
		listResponse[application.Task]
		Counts application.QueueCounts `json:"counts"`
	}
	decodeResponse(t, e.get("/api/v1/tasks?warning=red", clerk), &red)
	if red.Count != all.Counts.Red || red.Counts != all.Counts {
		t.Errorf("red: %d items, counts %+v; want %d and the same counts", red.Count, red.Counts, all.Counts.Red)
	}
	for _, tk := range red.Items {
		if tk.Warning != application.Red {
			t.Errorf("red filter lists %s marked %q", tk.Number, tk.Warning)
		}
	}
	// One a page: the next page starts where this one ends.
	var page struct {
		listResponse[application.Task]
		NextOffset *int `json:"next_offset"`
	}
	rec = e.get("/api/v1/tasks?limit=1&offset=0", clerk)
	matchesOpenAPI(t, rec, "TaskList")
	decodeResponse(t, rec, &page)
	if page.Count != 1 || page.NextOffset == nil || *page.NextOffset != 1 || page.Items[0].ID != all.Items[0].ID {
		t.Errorf("first page of one: %+v next %v", page.Items, page.NextOffset)
	}
	// A full page that ends the queue is the last: no next page.
	rec = e.get(fmt.Sprintf("/api/v1/tasks?limit=%d&offset=%d", 1, all.Count-1), clerk)
	page.NextOffset = nil
	decodeResponse(t, rec, &page)
	if page.Count != 1 || page.NextOffset != nil {
		t.Errorf("the last task as a page of one: %d items, next %v; want no next page", page.Count, page.NextOffset)
	}
	rec = e.get(fmt.Sprintf("/api/v1/tasks?limit=%d", all.Count), clerk)
	page.NextOffset = nil
	decodeResponse(t, rec, &page)
	if page.Count != all.Count || page.NextOffset != nil {
		t.Errorf("the whole queue as one full page: %d items, next %v; want no next page", page.Count, page.NextOffset)
	}
	// By tracking number.
	number := all.Items[len(all.Items)-1].Number
	decodeResponse(t, e.get("/api/v1/tasks?q="+strings.ToLower(number), clerk), &page)
	if page.Count != 1 || page.Items[0].Number != number {
		t.Errorf("by number %s: %+v", number, page.Items)
	}
	// Bad filters: 422 with the field's message, in the caller's language.
	for _, q := range []string{"warning=purple", "offset=-3", "limit=500", "q=" + strings.Repeat("长", 51)} {
		rec := e.get("/api/v1/tasks?"+q, clerk)
		wantStatus(t, "queue ?"+q, rec, http.StatusUnprocessableEntity)
		matchesOpenAPI(t, rec, "Error")
	}
	rec = e.get("/staff/tasks?warning=purple", clerk)
	wantStatus(t, "queue page with a bad warning", rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), i18n.T(i18n.ZH, "queue_warning_invalid")) {
		t.Error("the queue page does not say what is wrong with the warning")
	}
	// The page shows the counts and only red tasks when asked.
	rec = e.get("/staff/tasks?warning=red", clerk)
	wantStatus(t, "red queue page", rec, http.StatusOK)
	body := rec.Body.String()
	if !strings.Contains(body, fmt.Sprintf("共 %d 件", all.Counts.Total)) || strings.Contains(body, `class="row-yellow"`) || !strings.Contains(body, `class="row-red"`) {
		t.Error("the red queue page lacks the counts or shows a yellow task")
	}
	// A supervisor narrows every department's queue to one.
	jiancha := e.session("jiancha")
	var ga struct {
		listResponse[application.Task]
	}
	decodeResponse(t, e.get("/api/v1/tasks?department=GA", jiancha), &ga)
	for _, tk := range ga.Items {
		if tk.DepartmentCode != "GA" {
			t.Errorf("department=GA lists a task of %s", tk.DepartmentCode)
		}
	}
	if page := e.get("/staff/tasks", jiancha).Body.String(); !strings.Contains(page, `name="department"`) || !strings.Contains(page, "全部门待办") || strings.Contains(page, "我签收的") {
		t.Error("the supervisor's queue page offers no department filter, or a department's and a claimer's tabs")
	}
	if strings.Contains(e.get("/staff/tasks", clerk).Body.String(), `name="department"`) {
		t.Error("a clerk's queue page offers a department filter")
	}
}

// TestRepeatSupplementsHTTP: a second supplement request, over the API,
// shows with its reason on the supervisors' list (page and API) and in
// the application's supplement record, and the list is theirs alone.
func TestRepeatSupplementsHTTP(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	zhang, clerk, jiancha := e.session("zhangsan"), e.session("scjg-clerk"), e.session("jiancha")
	a := fileApplication(t, e, zhang)
	ask := func(body string) {
		t.Helper()
		var queue listResponse[application.Task]
		decodeResponse(t, e.get("/api/v1/tasks?q="+a.Number, clerk), &queue)
		if len(queue.Items) != 1 {
			t.Fatalf("the intake task of %s: %+v", a.Number, queue.Items)
		}
		wantStatus(t, "supplement request", e.sendJSON("POST", "/api/v1/tasks/"+queue.Items[0].ID+"/decision", clerk, body), http.StatusOK)
	}
	ask(`{"action":"supplement","items":[{"material":"m1","reason":"申请书未签字"}]}`)
	wantStatus(t, "upload the answer", uploadMaterialAPI(e, zhang, a.ID, "m1", "申请书-签字.png", append(tinyPNG(t), 0)), http.StatusCreated)
	wantStatus(t, "answer", e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/supplement", zhang, `{}`), http.StatusOK)
	ask(`{"action":"supplement","repeat_reason":"补交的申请书签字与身份证不符","items":[{"material":"m1","reason":"签字不符"},{"material":"m3","reason":"执照页不全"}]}`)

	rec := e.get("/api/v1/supervision/supplements", jiancha)
	wantStatus(t, "repeat supplements", rec, http.StatusOK)
	matchesOpenAPI(t, rec, "RepeatSupplementList")
	var got listResponse[application.RepeatSupplement]
	decodeResponse(t, rec, &got)
	if got.Count != 1 || got.Items[0].Number != a.Number || got.Items[0].Seq != 2 || got.Items[0].Items != 2 || got.Items[0].Reason != "补交的申请书签字与身份证不符" {
		t.Fatalf("repeat supplements = %+v", got.Items)
	}
	page := e.get("/supervision/supplements", jiancha).Body.String()
	for _, want := range []string{a.Number, "补交的申请书签字与身份证不符", "第 2 次补正，2 项", "待申请人补正"} {
		if !strings.Contains(page, want) {
			t.Errorf("the supervisors' page lacks %q", want)
		}
	}
	// Every number links to a page the supervisor can open: the task
	// that asked for the supplement.
	links := regexp.MustCompile(`<a href="(/[^"]+)">`+regexp.QuoteMeta(a.Number)).FindAllStringSubmatch(page, -1)
	if len(links) != 1 {
		t.Fatalf("links to %s on the supervisors' page: %v", a.Number, links)
	}
	if rec := e.get(links[0][1], jiancha); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "补交的申请书签字与身份证不符") {
		t.Errorf("the supervisor follows %s: %d", links[0][1], rec.Code)
	}
	if !strings.Contains(e.get("/supervision", jiancha).Body.String(), `href="/supervision/supplements"`) {
		t.Error("the supervision page does not link the repeat supplements")
	}
	app := e.get("/applications/"+a.ID, zhang).Body.String()
	for _, want := range []string{"补正记录", "第 1 次补正，1 项", "已补正", "第 2 次补正，2 项", "补交的申请书签字与身份证不符"} {
		if !strings.Contains(app, want) {
			t.Errorf("the application page's supplement record lacks %q", want)
		}
	}
	wantStatus(t, "a clerk lists repeat supplements", e.get("/api/v1/supervision/supplements", clerk), http.StatusForbidden)
}

// TestGuideOffersYourDraft: a service's guide leads one who has a draft of
// it to that draft, so that applying again does not start a second one
// that looks the same in their list; others see none.
func TestGuideOffersYourDraft(t *testing.T) {
	e := sqliteEnv(t)
	lisi := e.session("lisi")
	if page := e.get("/services/GJJ-001", lisi).Body.String(); strings.Contains(page, `id="your-drafts"`) {
		t.Fatal("the guide offers a draft before there is one")
	}
	rec := e.sendJSON("POST", "/api/v1/applications", lisi, `{"service_code":"GJJ-001"}`)
	wantStatus(t, "draft", rec, http.StatusCreated)
	var a application.Application
	decodeResponse(t, rec, &a)
	page := e.get("/services/GJJ-001", lisi).Body.String()
	if i := strings.Index(page, `id="your-drafts"`); i < 0 || !strings.Contains(page[i:], `href="/applications/`+a.ID+`"`) {
		t.Errorf("the guide does not lead lisi to her draft")
	}
	if page := e.get("/services/GJJ-001", e.session("zhangsan")).Body.String(); strings.Contains(page, `id="your-drafts"`) {
		t.Error("the guide offers lisi's draft to zhangsan")
	}
}

// TestApplyRefusedSaysWhyOnTheGuide: applying for an organization one is
// not an agent of answers with the guide and, beside the button, why no
// draft was started; it was a redirect with a flash that read like a
// confirmation.
func TestApplyRefusedSaysWhyOnTheGuide(t *testing.T) {
	e := sqliteEnv(t)
	_, org := wangwuCompany(t, e)
	rec := e.postForm("/applications", e.session("zhangsan"), url.Values{"service": {"SCJG-003"}, "organization_id": {org.ID}})
	wantStatus(t, "apply for another's organization", rec, http.StatusUnprocessableEntity)
	page := rec.Body.String()
	if i := strings.Index(page, `id="apply-error"`); i < 0 || !strings.Contains(page[i:], i18n.T(i18n.ZH, "not_agent_of_organization")) {
		t.Errorf("the guide does not say why no draft was started")
	}
}
