package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/workflow"
)

// foodProcess returns the demo's food business process as JSON, changed by
// edit.
func foodProcess(t *testing.T, e *env, edit func(d *workflow.Definition)) string {
	t.Helper()
	def, err := e.srv.Processes.Latest(context.Background(), "SCJG-001")
	if err != nil {
		t.Fatal(err)
	}
	edit(def)
	b, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProcessAPI(t *testing.T) {
	e := sqliteEnv(t)
	admin := e.session("scjg-admin")

	rec := e.get("/api/v1/processes/SCJG-001", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET process = %d: %s", rec.Code, rec.Body)
	}
	var got workflow.Definition
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Version != 1 || len(got.Steps) != 5 {
		t.Fatalf("GET process = %+v, %v", got, err)
	}
	if rec := e.get("/api/v1/processes/NOPE", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET unknown process = %d, want 404", rec.Code)
	}

	// Invalid: 422 with every problem, translated.
	bad := foodProcess(t, e, func(d *workflow.Definition) {
		d.Steps[1].Days = 0
		d.Steps[2].When.Field = "营业面积"
		d.Steps[3].After = []string{"scjg_review", "nowhere"}
	})
	for _, tc := range []struct{ lang, want string }{
		{"zh-CN", "申请表中没有字段“营业面积”"},
		{"en", "The application form has no field “营业面积”"},
	} {
		rec := e.do("PUT", "/api/v1/admin/processes/SCJG-001", admin, "application/json", strings.NewReader(bad), "Accept-Language", tc.lang)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("PUT invalid (%s) = %d: %s", tc.lang, rec.Code, rec.Body)
		}
		var ae apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &ae); err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for _, f := range ae.Fields {
			fields[f.Field] = f.Message
		}
		if !strings.Contains(fields["steps[2].when.field"], tc.want) {
			t.Errorf("PUT invalid (%s): steps[2].when.field = %q, want %q", tc.lang, fields["steps[2].when.field"], tc.want)
		}
		if fields["steps[1].days"] == "" || fields["steps[3].after"] == "" {
			t.Errorf("PUT invalid (%s) fields = %v, want days and after errors too", tc.lang, fields)
		}
	}

	// Another department's admin: the existing process is not theirs,
	// and neither is a new one in SCJG.
	ga := e.session("ga-admin")
	good := foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Days = 1 })
	if rec := e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-001", ga, good); rec.Code != http.StatusNotFound {
		t.Errorf("PUT by GA's admin = %d, want 404: %s", rec.Code, rec.Body)
	}
	if rec := e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-NEW", ga, good); rec.Code != http.StatusForbidden {
		t.Errorf("PUT of a new SCJG process by GA's admin = %d, want 403: %s", rec.Code, rec.Body)
	}

	// The owner saves a new version; the path's code wins.
	rec = e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-001", admin, good)
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT valid = %d: %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Version != 2 || got.Code != "SCJG-001" {
		t.Errorf("PUT valid = %+v, %v; want version 2", got, err)
	}
	rec = e.get("/api/v1/processes/SCJG-001", "")
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Version != 2 || got.Steps[1].Days != 1 {
		t.Errorf("GET after PUT = %+v, %v", got, err)
	}
	if rec := e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-001", admin, `{"code":"X","stepz":[]}`); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("PUT with an unknown field = %d, want 422", rec.Code)
	}
}

func TestProcessSVGAndGuide(t *testing.T) {
	e := sqliteEnv(t)
	def, err := e.srv.Processes.Latest(context.Background(), "SCJG-001")
	if err != nil {
		t.Fatal(err)
	}
	rec := e.get("/services/SCJG-001/process.svg", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("process.svg = %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") {
		t.Errorf("Content-Type = %q, want image/svg+xml", ct)
	}
	body := rec.Body.String()
	for _, s := range def.Steps {
		if !strings.Contains(body, s.Name) {
			t.Errorf("SVG lacks step %q", s.Name)
		}
	}
	for _, want := range []string{"临江市消防救援支队", "经营面积 &gt; 500 时", "<title id=\"process-title\">"} {
		if !strings.Contains(body, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// In English, long names wrap over several lines of text.
	en := e.do("GET", "/services/SCJG-001/process.svg", "", "", nil, "Accept-Language", "en")
	var lines []string
	for _, m := range regexp.MustCompile(`>([^<]*)</text>`).FindAllStringSubmatch(en.Body.String(), -1) {
		lines = append(lines, m[1])
	}
	text := strings.Join(lines, " ")
	// The title has no Chinese punctuation in English.
	title := regexp.MustCompile(`<title id="process-title">([^<]*)</title>`)
	if m := title.FindStringSubmatch(en.Body.String()); m == nil || m[1] != "How it is processed: "+def.NameEn {
		t.Errorf("English SVG title = %q, want %q", m, "How it is processed: "+def.NameEn)
	}
	if m := title.FindStringSubmatch(body); m == nil || m[1] != "办理流程："+def.Name {
		t.Errorf("Chinese SVG title = %q, want %q", m, "办理流程："+def.Name)
	}
	for _, s := range def.Steps {
		if !strings.Contains(text, s.NameEn) {
			t.Errorf("English SVG lacks step %q", s.NameEn)
		}
	}
	if rec := e.get("/services/NOPE-1/process.svg", ""); rec.Code != http.StatusNotFound {
		t.Errorf("SVG of an unknown service = %d, want 404", rec.Code)
	}

	// The guide shows the diagram inline and the same steps as a list.
	page := e.get("/services/SCJG-001", "").Body.String()
	for _, want := range []string{`<section id="process">`, `<svg xmlns="http://www.w3.org/2000/svg"`, `<ol class="process-steps">`, "同时进行", "消防安全审查", "经营面积 &gt; 500 时"} {
		if !strings.Contains(page, want) {
			t.Errorf("guide lacks %q", want)
		}
	}
	// A joint approval says that one denial ends it, a countersigned step
	// says how many sign.
	page = e.get("/services/GJJ-002", "").Body.String()
	for _, want := range []string{"任一部门不同意即终止办理", "2 人会签", "临江市住房和城乡建设局"} {
		if !strings.Contains(page, want) {
			t.Errorf("GJJ-002 guide lacks %q", want)
		}
	}
}

func TestProcessAdminPage(t *testing.T) {
	e := sqliteEnv(t)
	admin := e.session("scjg-admin")
	rec := e.get("/admin/processes/SCJG-001", admin)
	if rec.Code != http.StatusOK {
		t.Fatalf("editor = %d: %s", rec.Code, rec.Body)
	}
	for _, want := range []string{`<textarea id="definition" name="definition"`, "&#34;scjg_review&#34;", `<section id="preview">`, "v1", "/api/openapi.json", "clerk、reviewer、approver"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("editor lacks %q", want)
		}
	}
	// The help names no file of the source code, which users cannot open.
	if strings.Contains(rec.Body.String(), "docs/") {
		t.Error("editor help points to docs/")
	}
	// In English, neither the help nor the preview's title has Chinese
	// punctuation.
	en := e.do("GET", "/admin/processes/SCJG-001", admin, "", nil, "Accept-Language", "en").Body.String()
	if !strings.Contains(en, `<title id="preview-title">How it is processed: `) || !strings.Contains(en, "/api/openapi.json") || strings.Contains(en, "docs/") {
		t.Errorf("English editor: preview title or help wrong: %s", en)
	}
	if rec := e.get("/admin/processes/SCJG-001", e.session("ga-admin")); rec.Code != http.StatusNotFound {
		t.Errorf("editor for GA's admin = %d, want 404", rec.Code)
	}
	// A new process starts from a skeleton in the editor's department.
	rec = e.get("/admin/processes/SCJG-NEW", admin)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "&#34;department_code&#34;: &#34;SCJG&#34;") {
		t.Errorf("new process editor = %d", rec.Code)
	}

	// Not JSON: 422 with the reason in the page's words, the text kept.
	rec = e.postForm("/admin/processes/SCJG-001", admin, url.Values{"version": {"1"}, "definition": {`{"steps": [`}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "JSON 不完整") || !strings.Contains(rec.Body.String(), `{&#34;steps&#34;: [`) {
		t.Errorf("POST broken JSON = %d: %s", rec.Code, rec.Body)
	}
	// A value of the wrong kind is named by its path, the step's index
	// included, without Go's words.
	n := 0
	wrong := regexp.MustCompile(`"days":\d+`).ReplaceAllStringFunc(foodProcess(t, e, func(*workflow.Definition) {}), func(m string) string {
		if n++; n == 4 {
			return `"days":"1"`
		}
		return m
	})
	rec = e.postForm("/admin/processes/SCJG-001", admin, url.Values{"version": {"1"}, "definition": {wrong}})
	if body := rec.Body.String(); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "steps[3].days 应为整数") || strings.Contains(body, "Go struct") {
		t.Errorf("POST steps[3].days \"1\" = %d: %s", rec.Code, body)
	}
	// Invalid definition: 422 listing every problem by field path.
	bad := foodProcess(t, e, func(d *workflow.Definition) {
		d.Steps[1].Days = 99
		d.Steps[1].Role = "boss"
	})
	rec = e.postForm("/admin/processes/SCJG-001", admin, url.Values{"version": {"1"}, "definition": {bad}})
	body := rec.Body.String()
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "steps[1].days") || !strings.Contains(body, "环节时限为 1–60 个工作日") || !strings.Contains(body, "steps[1].role") {
		t.Errorf("POST invalid = %d: %s", rec.Code, body)
	}
	// The preview shows the role as typed, not a message key.
	if !strings.Contains(body, " · boss · ") || strings.Contains(body, "role_boss") {
		t.Errorf("POST invalid: the preview does not show the role boss as typed: %s", body)
	}
	// The same for a step kind that does not exist, in English too.
	bad = foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Kind = "approve" })
	for _, lang := range []string{"zh-CN", "en"} {
		rec = e.do("POST", "/admin/processes/SCJG-001", admin, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"version": {"1"}, "definition": {bad}}.Encode()), "Accept-Language", lang)
		body = rec.Body.String()
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "approve") || strings.Contains(body, "step_kind_approve") {
			t.Errorf("POST kind approve (%s) = %d, want the kind shown as typed: %s", lang, rec.Code, body)
		}
	}
	// Valid: saved as version 2, back to the editor.
	good := foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Name = "现场核查" })
	rec = e.postForm("/admin/processes/SCJG-001", admin, url.Values{"version": {"1"}, "definition": {good}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/processes/SCJG-001" {
		t.Fatalf("POST valid = %d: %s", rec.Code, rec.Body)
	}
	def, err := e.srv.Processes.Latest(context.Background(), "SCJG-001")
	if err != nil || def.Version != 2 || def.Steps[1].Name != "现场核查" {
		t.Errorf("after POST: %+v, %v", def, err)
	}

	// The service editor links to the process and keeps its code.
	rec = e.get("/admin/services/SCJG-001", admin)
	if !strings.Contains(rec.Body.String(), `href="/admin/processes/SCJG-001"`) || !strings.Contains(rec.Body.String(), `name="process" value="SCJG-001"`) {
		t.Error("service editor lacks the process field and link")
	}
}

// TestProcessLostUpdate: two admins edit the same version of a process;
// the second save is refused, saying which version came meanwhile, and
// the page keeps what was typed.
func TestProcessLostUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.session("scjg-admin")
		other := e.session("admin")

		// The API: the version in the body is the one edited.
		first := foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Days = 5 })
		second := foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Name = "书面审查" })
		rec := e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-001", admin, first)
		if rec.Code != http.StatusOK {
			t.Fatalf("first PUT = %d: %s", rec.Code, rec.Body)
		}
		matchesOpenAPI(t, rec, "ProcessDefinition")
		for _, tc := range []struct{ lang, want string }{
			{"zh-CN", "他人已保存了第 2 版"},
			{"en", "Someone else saved version 2"},
		} {
			rec = e.do("PUT", "/api/v1/admin/processes/SCJG-001", other, "application/json", strings.NewReader(second), "Accept-Language", tc.lang)
			var ae apiError
			if rec.Code != http.StatusConflict || json.Unmarshal(rec.Body.Bytes(), &ae) != nil || !strings.Contains(ae.Message, tc.want) {
				t.Errorf("PUT from version 1 after version 2 (%s) = %d: %s; want 409 saying %q", tc.lang, rec.Code, rec.Body, tc.want)
			}
			matchesOpenAPI(t, rec, "Error")
		}
		def, err := e.srv.Processes.Latest(context.Background(), "SCJG-001")
		if err != nil || def.Version != 2 || def.Steps[1].Days != 5 || def.Steps[1].Name == "书面审查" {
			t.Fatalf("after the refused PUT: %+v, %v; want the first save only", def, err)
		}
		// Without a version, an existing process cannot be saved.
		var bare map[string]any
		if err := json.Unmarshal([]byte(second), &bare); err != nil {
			t.Fatal(err)
		}
		delete(bare, "version")
		b, _ := json.Marshal(bare)
		rec = e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-001", other, string(b))
		var ae apiError
		if rec.Code != http.StatusUnprocessableEntity || json.Unmarshal(rec.Body.Bytes(), &ae) != nil || len(ae.Fields) != 1 || ae.Fields[0].Field != "version" || ae.Fields[0].Code != "process_version_required" {
			t.Errorf("PUT without a version = %d: %s; want 422 on version", rec.Code, rec.Body)
		}
		matchesOpenAPI(t, rec, "Error")
		// A version the process never had.
		bare["version"] = 9
		b, _ = json.Marshal(bare)
		if rec := e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-001", other, string(b)); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "process_version_unknown") {
			t.Errorf("PUT from version 9 = %d: %s; want 422", rec.Code, rec.Body)
		}
		// From the latest version, it saves.
		bare["version"] = 2
		b, _ = json.Marshal(bare)
		if rec := e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-001", other, string(b)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"version":3`) {
			t.Errorf("PUT from version 2 = %d: %s; want version 3", rec.Code, rec.Body)
		}
		// A new process needs no version.
		fresh := foodProcess(t, e, func(d *workflow.Definition) {
			d.Code, d.Version = "SCJG-NEW", 0
			for i := range d.Steps {
				d.Steps[i].When = nil
			}
		})
		if rec := e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-NEW", admin, fresh); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"version":1`) {
			t.Errorf("PUT of a new process = %d: %s; want version 1", rec.Code, rec.Body)
		}

		// The editor: the form carries the version it shows.
		page := e.get("/admin/processes/SCJG-001", admin).Body.String()
		if !strings.Contains(page, `<input type="hidden" name="version" value="3">`) {
			t.Errorf("editor lacks the hidden version 3")
		}
		page = e.get("/admin/processes/SCJG-NEW2", admin).Body.String()
		if !strings.Contains(page, `<input type="hidden" name="version" value="0">`) {
			t.Errorf("editor of a new process lacks the hidden version 0")
		}
		mine := foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Days = 4 })
		theirs := foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Name = "现场核查" })
		if rec := e.postForm("/admin/processes/SCJG-001", other, url.Values{"version": {"3"}, "definition": {mine}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("first POST = %d: %s", rec.Code, rec.Body)
		}
		for _, tc := range []struct{ lang, want string }{
			{"zh-CN", "他人已保存了第 4 版"},
			{"en", "Someone else saved version 4"},
		} {
			rec = e.do("POST", "/admin/processes/SCJG-001", admin, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"version": {"3"}, "definition": {theirs}}.Encode()), "Accept-Language", tc.lang)
			body := rec.Body.String()
			if rec.Code != http.StatusConflict || !strings.Contains(body, tc.want) || !strings.Contains(body, "现场核查") {
				t.Errorf("POST from version 3 after version 4 (%s) = %d, want 409 saying %q with the text kept: %s", tc.lang, rec.Code, tc.want, body)
			}
			// Saving again, knowingly, replaces version 4.
			if !strings.Contains(body, `<input type="hidden" name="version" value="4">`) {
				t.Errorf("the refused page (%s) does not carry version 4 on", tc.lang)
			}
		}
		if def, err := e.srv.Processes.Latest(context.Background(), "SCJG-001"); err != nil || def.Version != 4 || def.Steps[1].Days != 4 || def.Steps[1].Name == "现场核查" {
			t.Fatalf("after the refused POST: %+v, %v; want the first save only", def, err)
		}
		// A form without the version is refused, the text kept.
		rec = e.postForm("/admin/processes/SCJG-001", admin, url.Values{"definition": {theirs}})
		if body := rec.Body.String(); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "页面未带上您编辑所依据的版本号") || !strings.Contains(body, "现场核查") {
			t.Errorf("POST without a version = %d: %s", rec.Code, body)
		}
		if rec := e.postForm("/admin/processes/SCJG-001", admin, url.Values{"version": {"4"}, "definition": {theirs}}); rec.Code != http.StatusSeeOther {
			t.Errorf("POST from version 4 = %d: %s", rec.Code, rec.Body)
		}
		if def, err := e.srv.Processes.Latest(context.Background(), "SCJG-001"); err != nil || def.Version != 5 || def.Steps[1].Name != "现场核查" {
			t.Errorf("after the POST from version 4: %+v, %v", def, err)
		}
	})
}

// toYAML writes a JSON document as the YAML it stands for.
func toYAML(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return "# 食品经营许可流程\n" + string(b)
}

// TestProcessYAML: a process definition may be written in YAML, in the
// editor and through the API (Content-Type application/yaml), and is read
// and checked as the JSON it stands for; YAML that does not parse is told
// by its line. Only JSON was read before, and YAML was called malformed
// JSON.
func TestProcessYAML(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.session("scjg-admin")

		doc := toYAML(t, foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Days = 6 }))
		rec := e.do("PUT", "/api/v1/admin/processes/SCJG-001", admin, "application/yaml", strings.NewReader(doc))
		wantStatus(t, "PUT YAML", rec, http.StatusOK)
		matchesOpenAPI(t, rec, "ProcessDefinition")
		def, err := e.srv.Processes.Latest(context.Background(), "SCJG-001")
		if err != nil || def.Version != 2 || def.Steps[1].Days != 6 {
			t.Fatalf("after the YAML PUT: %+v, %v", def, err)
		}

		// A value of the wrong kind is named where it is, as in JSON.
		bad := strings.Replace(toYAML(t, foodProcess(t, e, func(*workflow.Definition) {})), "days: 6", `days: "6"`, 1)
		rec = e.do("PUT", "/api/v1/admin/processes/SCJG-001", admin, "application/yaml", strings.NewReader(bad))
		wantStatus(t, "PUT YAML with a string for days", rec, http.StatusUnprocessableEntity)
		if codes, _ := fieldCodes(t, rec); codes["steps[1].days"] != "json_type_integer" {
			t.Errorf("YAML with a string for days: %v", codes)
		}
		rec = e.do("PUT", "/api/v1/admin/processes/SCJG-001", admin, "application/yaml", strings.NewReader("code: SCJG-001\nsteps: [\n"))
		wantStatus(t, "PUT broken YAML", rec, http.StatusUnprocessableEntity)
		if codes, msgs := fieldCodes(t, rec); codes["body"] != "yaml_syntax" || !strings.Contains(msgs["body"], "YAML") {
			t.Errorf("broken YAML: %v %v", codes, msgs)
		}

		// The editor takes YAML as typed.
		doc = toYAML(t, foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Days = 7 }))
		rec = e.postForm("/admin/processes/SCJG-001", admin, url.Values{"definition": {doc}, "version": {"2"}})
		wantStatus(t, "editor YAML", rec, http.StatusSeeOther)
		if def, err := e.srv.Processes.Latest(context.Background(), "SCJG-001"); err != nil || def.Version != 3 || def.Steps[1].Days != 7 {
			t.Fatalf("after the editor's YAML save: %+v, %v", def, err)
		}
		broken := "code: SCJG-001\nname: 食品经营许可流程\nsteps:\n  - id: accept\n   kind: accept\n"
		rec = e.postForm("/admin/processes/SCJG-001", admin, url.Values{"definition": {broken}, "version": {"3"}})
		wantStatus(t, "editor broken YAML", rec, http.StatusUnprocessableEntity)
		if page := rec.Body.String(); !strings.Contains(page, "不是有效的 YAML（第 3 行附近）") || !strings.Contains(page, "   kind: accept") {
			t.Errorf("the editor's answer to broken YAML does not give its line or lost the text")
		}
	})
}

// TestProcessYAMLRefusesAliases: YAML anchors and aliases are refused, so
// a small document cannot turn into gigabytes of JSON (a long text
// aliased many times).
func TestProcessYAMLRefusesAliases(t *testing.T) {
	e := sqliteEnv(t)
	admin := e.session("scjg-admin")
	doc := "name: &n " + strings.Repeat("x", 10000) + "\nsteps: [" + strings.TrimSuffix(strings.Repeat("*n, ", 100), ", ") + "]\n"
	rec := e.do("PUT", "/api/v1/admin/processes/SCJG-001", admin, "application/yaml", strings.NewReader(doc))
	wantStatus(t, "PUT YAML with aliases", rec, http.StatusUnprocessableEntity)
	if codes, _ := fieldCodes(t, rec); codes["body"] != "yaml_alias" {
		t.Errorf("YAML with aliases: %v", codes)
	}
}
