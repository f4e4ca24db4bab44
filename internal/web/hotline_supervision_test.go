package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/ledger"
)

// TestSupervisionHotline walks the supervisors' ticket list of the demo
// hotline as a page and through the API: filters, pages that follow each
// other by cursor, and field-level answers to bad filters.
func TestSupervisionHotline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := hotlineEnv(t, d)
		sup := e.session("jiancha")

		page := e.get("/supervision/hotline", sup)
		body := page.Body.String()
		if page.Code != http.StatusOK || !strings.Contains(body, "电子监察 · 12345 工单") || !strings.Contains(body, `href="/hotline/tickets/`) {
			t.Fatalf("GET /supervision/hotline = %d", page.Code)
		}
		red := e.get("/supervision/hotline?warning=red", sup).Body.String()
		if !strings.Contains(red, "row-red") || strings.Contains(red, "row-yellow") {
			t.Error("warning=red does not list only overdue tickets")
		}
		bad := e.get("/supervision/hotline?warning=green&from=2026-02-30", sup)
		if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), "预警须为黄牌、红牌或任一") || !strings.Contains(bad.Body.String(), "请按“年-月-日”填写有效日期") {
			t.Errorf("bad filters = %d, want 422 with the messages next to the fields", bad.Code)
		}

		// The API, two tickets a page, followed to the end.
		var all []string
		next := ""
		for range 50 {
			target := "/api/v1/supervision/hotline?limit=2"
			if next != "" {
				target += "&after=" + url.QueryEscape(next)
			}
			rec := e.get(target, sup)
			var p hotline.SupervisePage
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &p) != nil || len(p.Tickets) > 2 {
				t.Fatalf("%s = %d %s", target, rec.Code, rec.Body)
			}
			for _, tk := range p.Tickets {
				all = append(all, tk.Number)
			}
			if next = p.Next; next == "" {
				break
			}
		}
		var total int
		if err := d.Read().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM tickets`).Scan(&total); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, n := range all {
			seen[n] = true
		}
		if len(all) != total || len(seen) != total {
			t.Errorf("paging through the API gave %d tickets (%d distinct), want all %d once", len(all), len(seen), total)
		}
		// Next page from the page: the link keeps the filters.
		p1 := e.get("/supervision/hotline?limit=1&kind=complaint", sup).Body.String()
		if !strings.Contains(p1, "kind=complaint") || !strings.Contains(p1, "after=") {
			t.Error("the page's next link lacks the filters or the cursor")
		}

		rec := e.do("GET", "/api/v1/supervision/hotline?state=lost&limit=500&after=%21", sup, "", nil, "Accept-Language", "en")
		var apiErr apiError
		if rec.Code != http.StatusUnprocessableEntity || json.Unmarshal(rec.Body.Bytes(), &apiErr) != nil || len(apiErr.Fields) != 3 {
			t.Errorf("bad API filters = %d %s, want 422 naming state, limit and after", rec.Code, rec.Body)
		}
		for _, who := range []string{"rexian", "zj-clerk", "zhangsan"} {
			if rec := e.get("/api/v1/supervision/hotline", e.session(who)); rec.Code != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", who, rec.Code)
			}
		}
	})
}

// TestTicketReceipts files a ticket, integrates the ledger, and checks
// that the ticket page lists its stamps with receipts that verify offline,
// for those who may see the ticket only.
func TestTicketReceipts(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	rec := e.sendJSON("POST", "/api/v1/hotline/tickets", zhang, `{"category_code":"POTHOLE","kind":"complaint","text":"路口有坑","address":"江南大道 1 号","attributes":{"size":"large"}}`)
	tk := ticketFromAPI(t, rec.Code, rec.Body.String(), http.StatusCreated)
	if page := e.get("/hotline/tickets/"+tk.ID, zhang).Body.String(); !strings.Contains(page, "正在上链") {
		t.Error("the ticket page does not show the pending stamp")
	}
	integrateAll(t, e)
	stamps, err := e.srv.Ledger.Stamps(t.Context(), hotline.LedgerObject, tk.ID)
	if err != nil || len(stamps) != 1 || stamps[0].Event != "filed" {
		t.Fatalf("stamps = %+v, %v", stamps, err)
	}
	link := "/hotline/tickets/" + tk.ID + "/receipts/" + stamps[0].ID + ".tlog-proof"
	if page := e.get("/hotline/tickets/"+tk.ID, zhang).Body.String(); !strings.Contains(page, link) || !strings.Contains(page, "受理") {
		t.Error("the ticket page does not link the receipt")
	}
	rec = e.get(link, zhang)
	known, err := e.srv.Ledger.Keys.Verifiers()
	if err != nil {
		t.Fatal(err)
	}
	v, err := ledger.VerifyReceipt(rec.Body.Bytes(), known)
	if rec.Code != http.StatusOK || err != nil || v.Entry.ObjectID != tk.ID || v.Entry.ObjectType != "ticket" {
		t.Fatalf("receipt = %d: %v, %v", rec.Code, v, err)
	}
	if rec := e.get(link, e.session("lisi")); rec.Code != http.StatusNotFound {
		t.Errorf("another citizen's receipt = %d, want 404", rec.Code)
	}
	if rec := e.get("/hotline/tickets/"+tk.ID+"/receipts/nope.tlog-proof", zhang); rec.Code != http.StatusNotFound {
		t.Errorf("unknown entry = %d, want 404", rec.Code)
	}
}

// TestTicketPageLocalTimes: the ticket page gives its times in the
// platform's time zone, as every other page does, and names the channel a
// ticket came in by in words, not by its code.
func TestTicketPageLocalTimes(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	rec := e.sendJSON("POST", "/api/v1/hotline/tickets", zhang, `{"category_code":"POTHOLE","kind":"complaint","text":"路口有坑","address":"江南大道 1 号","attributes":{"size":"large"}}`)
	tk := ticketFromAPI(t, rec.Code, rec.Body.String(), http.StatusCreated)
	page := e.get("/hotline/tickets/"+tk.ID, zhang).Body.String()
	local := tk.CreatedAt.In(e.srv.Config.Location).Format("2006-01-02 15:04")
	utc := tk.CreatedAt.UTC().Format("2006-01-02 15:04")
	if !strings.Contains(page, local) || strings.Contains(page, utc) {
		t.Errorf("the ticket page does not show the filing time %s (platform time) alone; UTC would be %s", local, utc)
	}
	// Filed through the API: the history's filing line says so in words.
	if !strings.Contains(page, " · 接口</li>") || strings.Contains(page, `<span class="pre">api</span>`) {
		t.Error("the ticket's history does not name the channel in words")
	}
}
