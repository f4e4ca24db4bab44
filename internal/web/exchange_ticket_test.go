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

// demoTicket returns the ID of the demo ticket whose text starts with
// prefix.
func (e *env) demoTicket(prefix string) string {
	e.t.Helper()
	var id string
	if err := e.db.Read().QueryRow(`SELECT id FROM tickets WHERE text LIKE $1`, prefix+"%").Scan(&id); err != nil {
		e.t.Fatalf("demo ticket %q: %v", prefix, err)
	}
	return id
}

// TestTicketLookup: the police, handling zhangsan's noise complaint, look
// up his marriage record under their grant from the civil affairs bureau,
// from the ticket page and through the API; zhangsan sees it named by the
// ticket; the name-protected report cannot be looked up.
func TestTicketLookup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := hotlineEnv(t, d)
		noise, food := e.demoTicket("小区楼下烧烤店"), e.demoTicket("某餐馆后厨")
		ga, scjg, zhangsan := e.session("ga-clerk"), e.session("scjg-clerk"), e.session("zhangsan")
		zhangsanID := e.idNumber("zhangsan")

		if rec := e.get("/hotline/tickets/"+noise, ga); !strings.Contains(rec.Body.String(), "/hotline/tickets/"+noise+"/lookup") {
			t.Errorf("the handling department's ticket page has no lookup link")
		}
		if rec := e.get("/hotline/tickets/"+noise, e.session("rexian")); strings.Contains(rec.Body.String(), "/lookup") {
			t.Errorf("the dispatcher's ticket page links to the lookup")
		}
		rec := e.get("/hotline/tickets/"+noise+"/lookup", ga)
		page := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(page, "婚姻登记信息") || !strings.Contains(page, "诉求人（") || strings.Contains(page, zhangsanID) {
			t.Fatalf("ticket lookup page = %d; want the grant and the masked reporter:\n%s", rec.Code, page)
		}
		rec = e.postForm("/hotline/tickets/"+noise+"/lookup", ga, url.Values{"subject": {"0"}, "resource": {"MZ-MARRIAGE"}})
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "陈晓") || !strings.Contains(rec.Body.String(), "工单 RX") {
			t.Errorf("lookup = %d:\n%s", rec.Code, rec.Body)
		}
		// The same through the API.
		body, _ := json.Marshal(map[string]any{"resource": "MZ-MARRIAGE", "subject": zhangsanID, "ticket_id": noise, "fields": []string{"marital_status"}})
		rec = e.sendJSON("POST", "/api/v1/exchange/queries", ga, string(body))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"marital_status":"已婚"`) || !strings.Contains(rec.Body.String(), `"case_number":"RX`) {
			t.Errorf("API lookup for a ticket = %d %s", rec.Code, rec.Body)
		}
		// zhangsan reads it in plain words, naming the ticket.
		rec = e.get("/my-data", zhangsan)
		if !strings.Contains(rec.Body.String(), "在办理 12345 热线工单 RX") || !strings.Contains(rec.Body.String(), "婚姻登记信息") {
			t.Errorf("/my-data does not name the ticket:\n%s", rec.Body)
		}
		rec = e.get("/api/v1/me/data-access", zhangsan)
		if !strings.Contains(rec.Body.String(), `"case_kind":"ticket"`) || strings.Contains(rec.Body.String(), noise) {
			t.Errorf("/api/v1/me/data-access = %s; want the case kind and no internal ticket ID", rec.Body)
		}

		// The protected reporter: the page says why, the API refuses.
		rec = e.get("/hotline/tickets/"+food+"/lookup", scjg)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "诉求人匿名或身份保密，不能查询其数据") || strings.Contains(rec.Body.String(), `name="subject"`) {
			t.Errorf("protected ticket's lookup page = %d:\n%s", rec.Code, rec.Body)
		}
		body, _ = json.Marshal(map[string]any{"resource": "GA-HOUSEHOLD", "subject": e.idNumber("wangwu"), "ticket_id": food})
		rec = e.sendJSON("POST", "/api/v1/exchange/queries", scjg, string(body))
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "exchange_refused_reporter_protected") {
			t.Errorf("API lookup of a protected reporter = %d %s", rec.Code, rec.Body)
		}
		// Staff of a department not handling the ticket get no page.
		if rec := e.get("/hotline/tickets/"+noise+"/lookup", scjg); rec.Code != http.StatusNotFound {
			t.Errorf("SCJG's lookup page for GA's ticket = %d, want 404", rec.Code)
		}
		for _, id := range []string{zhangsanID, e.idNumber("wangwu")} {
			if strings.Contains(e.log.String(), id) {
				t.Errorf("the server log holds an ID number")
			}
		}
	})
}
