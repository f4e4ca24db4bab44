package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
)

// openapiErrors returns the paragraph of an operation's description that
// lists its errors ("Errors: ..."), "" when it has none.
func openapiErrors(t *testing.T, operation string) string {
	t.Helper()
	op, ok := openapiOperations(t, loadOpenAPI(t))[operation]
	if !ok {
		t.Fatalf("openapi.json has no operation %s", operation)
	}
	desc, _ := op["description"].(string)
	for _, para := range strings.Split(desc, "\n\n") {
		if strings.HasPrefix(para, "Errors:") {
			return para
		}
	}
	return ""
}

// TestRepeatSupplementWithoutReasonIsDocumented: a second supplement
// request with no repeat_reason is a 422 with the code
// supplement_repeat_reason_required on repeat_reason, and the decision
// operation's list of errors names that code. Before, it did not.
func TestRepeatSupplementWithoutReasonIsDocumented(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	zhang, clerk := e.session("zhangsan"), e.session("scjg-clerk")
	a := fileApplication(t, e, zhang)
	ask := func(body string) (int, map[string]string) {
		t.Helper()
		var queue listResponse[application.Task]
		decodeResponse(t, e.get("/api/v1/tasks?q="+a.Number, clerk), &queue)
		if len(queue.Items) != 1 {
			t.Fatalf("the intake task of %s: %+v", a.Number, queue.Items)
		}
		rec := e.sendJSON("POST", "/api/v1/tasks/"+queue.Items[0].ID+"/decision", clerk, body)
		if rec.Code != http.StatusUnprocessableEntity {
			return rec.Code, nil
		}
		matchesOpenAPI(t, rec, "Error")
		codes, _ := fieldCodes(t, rec)
		return rec.Code, codes
	}
	if code, _ := ask(`{"action":"supplement","items":[{"material":"m1","reason":"申请书未签字"}]}`); code != http.StatusOK {
		t.Fatalf("first supplement request = %d", code)
	}
	wantStatus(t, "upload the answer", uploadMaterialAPI(e, zhang, a.ID, "m1", "申请书-签字.png", append(tinyPNG(t), 0)), http.StatusCreated)
	wantStatus(t, "answer", e.sendJSON("POST", "/api/v1/applications/"+a.ID+"/supplement", zhang, `{}`), http.StatusOK)
	code, codes := ask(`{"action":"supplement","items":[{"material":"m1","reason":"签字不符"}]}`)
	if code != http.StatusUnprocessableEntity || codes["repeat_reason"] != "supplement_repeat_reason_required" {
		t.Fatalf("second supplement request without a reason = %d %v, want 422 supplement_repeat_reason_required on repeat_reason", code, codes)
	}
	errs := openapiErrors(t, "POST /api/v1/tasks/{id}/decision")
	if !strings.Contains(errs, "`repeat_reason` (") || !strings.Contains(errs, "`supplement_repeat_reason_required`") {
		t.Errorf("decideTask's errors do not name supplement_repeat_reason_required on repeat_reason:\n%s", errs)
	}
}

// TestDecisionItemErrorsAreDocumented: each error a supplement request's
// items can get (an empty item, one naming both a material and a field,
// an unknown material or field, a missing reason) is a 422 on the item's
// path with a code the decision operation's list of errors names. The
// list named the paths without their codes.
func TestDecisionItemErrorsAreDocumented(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	a := fileApplication(t, e, e.session("zhangsan"))
	clerk := e.session("scjg-clerk")
	var queue listResponse[application.Task]
	decodeResponse(t, e.get("/api/v1/tasks?q="+a.Number, clerk), &queue)
	if len(queue.Items) != 1 {
		t.Fatalf("the intake task of %s: %+v", a.Number, queue.Items)
	}
	rec := e.sendJSON("POST", "/api/v1/tasks/"+queue.Items[0].ID+"/decision", clerk, `{"action":"supplement","items":[
		{"reason":"缺"}, {"material":"m1","field":"经营者姓名","reason":"两样"}, {"material":"nope","reason":"无此材料"},
		{"field":"nope","reason":"无此字段"}, {"material":"m1"}, {"material":"m1","reason":"照片模糊"}]}`)
	wantStatus(t, "bad items", rec, http.StatusUnprocessableEntity)
	codes, _ := fieldCodes(t, rec)
	documented := openapiErrors(t, "POST /api/v1/tasks/{id}/decision")
	for field, want := range map[string]string{"items[0]": "supplement_item_empty", "items[1]": "supplement_item_one_thing",
		"items[2].material": "material_unknown", "items[3].field": "form_field_unknown", "items[4].reason": "supplement_reason_required",
		"items[5].material": "supplement_item_duplicate"} {
		if codes[field] != want {
			t.Errorf("%s: %q, want %q (all: %v)", field, codes[field], want, codes)
		}
		if !strings.Contains(documented, "`"+want+"`") {
			t.Errorf("decideTask's errors do not name %s", want)
		}
	}
}
