package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// fruitShop returns the demo's submitted SCJG-002 application by wangwu
// (waiting for intake by the market regulator) and its open task.
func (e *env) fruitShop() (appID, taskID string) {
	e.t.Helper()
	err := e.db.Read().QueryRow(`SELECT a.id, t.id FROM applications a JOIN tasks t ON t.application_id = a.id AND t.state = 'open'
		WHERE a.service_code = 'SCJG-002' AND a.state = 'submitted'`).Scan(&appID, &taskID)
	if err != nil {
		e.t.Fatalf("demo fruit shop application: %v", err)
	}
	return appID, taskID
}

func (e *env) idNumber(username string) string {
	e.t.Helper()
	a, err := e.srv.Identity.AccountByUsername(e.t.Context(), username)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.IDNumber
}

func decodeExchange[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// TestExchangeEndToEnd is the promise of data sharing: a demo clerk
// taking in wangwu's fruit shop application looks up his household data
// under SCJG's grant on GA's register, and wangwu sees that lookup on his
// "who used my data" page and API at once; lookups outside the case are
// refused with a reason and shown to supervisors.
func TestExchangeEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnvWith(t, d, true)
		appID, _ := e.fruitShop()
		clerk, wangwu, jiancha := e.session("scjg-clerk"), e.session("wangwu"), e.session("jiancha")
		wangwuID := e.idNumber("wangwu")

		body, _ := json.Marshal(map[string]any{"resource": "GA-HOUSEHOLD", "subject": wangwuID, "application_id": appID,
			"fields": []string{"name", "household_address"}})
		rec := e.sendJSON("POST", "/api/v1/exchange/queries", clerk, string(body))
		if rec.Code != http.StatusOK {
			t.Fatalf("query = %d %s", rec.Code, rec.Body)
		}
		ans := decodeExchange[struct {
			Found      bool              `json:"found"`
			Fields     map[string]string `json:"fields"`
			Provenance map[string]any    `json:"provenance"`
		}](t, rec.Body.Bytes())
		if !ans.Found || len(ans.Fields) != 2 || ans.Fields["household_address"] != "临江市临江区望江路 66 号 2 幢 1201 室" ||
			ans.Provenance["department_code"] != "GA" || ans.Provenance["resource"] != "GA-HOUSEHOLD" {
			t.Errorf("answer = %+v", ans)
		}

		// wangwu sees it, in the API and on the page, in plain words.
		rec = e.get("/api/v1/me/data-access", wangwu)
		mine := decodeExchange[struct {
			Items []map[string]any `json:"items"`
		}](t, rec.Body.Bytes())
		if rec.Code != http.StatusOK || len(mine.Items) != 1 || mine.Items[0]["department_code"] != "SCJG" || mine.Items[0]["role"] != "clerk" ||
			mine.Items[0]["resource"] != "GA-HOUSEHOLD" || mine.Items[0]["account_name"] != nil {
			t.Errorf("wangwu's data uses = %d %s", rec.Code, rec.Body)
		}
		rec = e.get("/my-data", wangwu)
		page := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(page, "市场监督管理局的受理人员在办理办件") || !strings.Contains(page, "户籍人口信息（姓名、户籍地址）") ||
			strings.Contains(page, wangwuID) || strings.Contains(page, "刘受理") {
			t.Errorf("/my-data = %d; want the lookup in plain words without the clerk's name or the ID number:\n%s", rec.Code, page)
		}
		// zhangsan sees only the demo's lookup of his own record, not
		// wangwu's.
		if len(mine.Items) == 1 {
			rec := e.get("/api/v1/me/data-access", e.session("zhangsan"))
			theirs := decodeExchange[struct {
				Items []map[string]any `json:"items"`
			}](t, rec.Body.Bytes())
			for _, it := range theirs.Items {
				if it["case_number"] == mine.Items[0]["case_number"] {
					t.Errorf("zhangsan's data uses include wangwu's lookup: %s", rec.Body)
				}
			}
		}

		// Outside the case: someone else's data, a negative-list resource,
		// a field outside the grant.
		for _, tc := range []struct {
			body   map[string]any
			status int
			code   string
		}{
			{map[string]any{"resource": "GA-HOUSEHOLD", "subject": e.idNumber("zhangsan"), "application_id": appID}, 403, "exchange_refused_not_case_subject"},
			{map[string]any{"resource": "GA-CRIMINAL", "subject": wangwuID, "application_id": appID}, 403, "exchange_refused_negative_list"},
			{map[string]any{"resource": "GA-HOUSEHOLD", "subject": wangwuID, "application_id": appID, "fields": []string{"household_number"}}, 403, "exchange_refused_fields_not_granted"},
			{map[string]any{"resource": "MZ-MARRIAGE", "subject": wangwuID, "application_id": appID}, 403, "exchange_refused_no_grant"},
			{map[string]any{"resource": "GA-HOUSEHOLD", "subject": "12345", "application_id": appID}, 422, "error_422"},
		} {
			b, _ := json.Marshal(tc.body)
			rec := e.sendJSON("POST", "/api/v1/exchange/queries", clerk, string(b))
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), `"code":"`+tc.code+`"`) {
				t.Errorf("query %s = %d %s, want %d %s", b, rec.Code, rec.Body, tc.status, tc.code)
			}
		}
		// Supervisors see every attempt with the person, and the pattern.
		rec = e.get("/api/v1/exchange/access-log?outcome=refused", jiancha)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"count":4`) || !strings.Contains(rec.Body.String(), "刘受理") ||
			strings.Contains(rec.Body.String(), wangwuID) {
			t.Errorf("refused attempts = %d %s", rec.Code, rec.Body)
		}
		rec = e.get("/api/v1/exchange/patterns", jiancha)
		if !strings.Contains(rec.Body.String(), `"kind":"refused"`) || !strings.Contains(rec.Body.String(), `"count":4`) {
			t.Errorf("patterns = %s", rec.Body)
		}
		if rec := e.get("/supervision/data-access", jiancha); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "非办件当事人") {
			t.Errorf("/supervision/data-access = %d", rec.Code)
		}
		// No ID number reached the server log.
		for _, id := range []string{wangwuID, e.idNumber("zhangsan")} {
			if strings.Contains(e.log.String(), id) {
				t.Errorf("the server log holds an ID number")
			}
		}
	})
}

func TestTaskLookupPage(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	_, taskID := e.fruitShop()
	clerk := e.session("scjg-clerk")
	rec := e.get("/staff/tasks/"+taskID, clerk)
	if !strings.Contains(rec.Body.String(), "/staff/tasks/"+taskID+"/lookup") {
		t.Errorf("task page has no link to the lookup page")
	}
	rec = e.get("/staff/tasks/"+taskID+"/lookup", clerk)
	page := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(page, "户籍人口信息") || strings.Contains(page, e.idNumber("wangwu")) {
		t.Fatalf("lookup page = %d; want the grant and no full ID number:\n%s", rec.Code, page)
	}
	rec = e.postForm("/staff/tasks/"+taskID+"/lookup", clerk, url.Values{"subject": {"0"}, "resource": {"GA-HOUSEHOLD"}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "临江市临江区望江路 66 号 2 幢 1201 室") || !strings.Contains(rec.Body.String(), "数据来源：临江市公安局") {
		t.Errorf("lookup = %d:\n%s", rec.Code, rec.Body)
	}
	// Another department's staff cannot use this task's page.
	if rec := e.get("/staff/tasks/"+taskID+"/lookup", e.session("ga-clerk")); rec.Code != http.StatusNotFound {
		t.Errorf("GA clerk's lookup page = %d, want 404", rec.Code)
	}
}

func TestExchangeRequestsOverHTTP(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), false)
	admin, wj, mz := e.session("admin"), e.session("wj-admin"), e.session("mz-admin")
	// The pending demo request: WJ asks RS for insurance data.
	rec := e.get("/api/v1/exchange/requests", wj)
	list := decodeExchange[struct {
		Items []map[string]any `json:"items"`
	}](t, rec.Body.Bytes())
	var pending string
	for _, r := range list.Items {
		if r["state"] == "pending" {
			pending = r["id"].(string)
		}
	}
	if pending == "" {
		t.Fatalf("no pending request for WJ: %s", rec.Body)
	}
	if rec := e.sendJSON("POST", "/api/v1/exchange/requests/"+pending+"/decision", mz, `{"approve":true}`); rec.Code != http.StatusNotFound {
		t.Errorf("decision by MZ's admin = %d, want 404", rec.Code)
	}
	rec = e.sendJSON("POST", "/api/v1/exchange/requests/"+pending+"/decision", admin, `{"approve":true,"reason":"同意"}`)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"state":"granted"`) {
		t.Fatalf("decision = %d %s", rec.Code, rec.Body)
	}
	g := decodeExchange[struct {
		Grant struct {
			ID string `json:"id"`
		} `json:"grant"`
	}](t, rec.Body.Bytes())
	rec = e.sendJSON("POST", "/api/v1/exchange/grants/"+g.Grant.ID+"/revoke", admin, `{"reason":"试点结束"}`)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"revoke_reason":"试点结束"`) {
		t.Errorf("revoke = %d %s", rec.Code, rec.Body)
	}
	// The negative list is refused as a field error; a form on the page
	// re-renders with it.
	rec = e.sendJSON("POST", "/api/v1/exchange/requests", wj, `{"resource":"GA-CRIMINAL","fields":["records"],"purpose":"x","legal_basis":"y"}`)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "exchange_negative_list") {
		t.Errorf("negative-list request = %d %s", rec.Code, rec.Body)
	}
	rec = e.postForm("/staff/exchange/requests", wj, url.Values{"resource": {"MZ-MARRIAGE"}, "fields": {"marital_status, spouse_name"},
		"purpose": {"育儿补贴核验"}, "legal_basis": {"《育儿补贴制度实施方案》"}})
	if rec.Code != http.StatusSeeOther {
		t.Errorf("request form = %d %s", rec.Code, rec.Body)
	}
	rec = e.get("/staff/exchange", wj)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "育儿补贴核验") || !strings.Contains(rec.Body.String(), "婚姻登记信息") {
		t.Errorf("/staff/exchange = %d", rec.Code)
	}
}
