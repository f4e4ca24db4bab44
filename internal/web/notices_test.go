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
	"github.com/tongban/tongban/internal/notify"
)

// notice enqueues a notice for a demo user and returns its ID.
func (e *env) notice(username string, n notify.Notice) string {
	e.t.Helper()
	ctx := e.t.Context()
	a, err := e.srv.Identity.AccountByUsername(ctx, username)
	if err != nil {
		e.t.Fatal(err)
	}
	n.AccountID = a.ID
	if err := e.db.Tx(ctx, func(tx *db.Tx) error { return notify.Enqueue(ctx, tx, n) }); err != nil {
		e.t.Fatal(err)
	}
	list, err := e.srv.Notify.List(ctx, a.ID, 1)
	if err != nil || len(list) == 0 {
		e.t.Fatalf("notice not listed: %v", err)
	}
	return list[0].ID
}

type noticeList struct {
	Items []struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Subject string `json:"subject"`
		Body    string `json:"body"`
		Link    string `json:"link"`
		Read    bool   `json:"read"`
	} `json:"items"`
	Count  int `json:"count"`
	Unread int `json:"unread"`
}

func TestNotices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		mine := e.notice("zhangsan", notify.Notice{Kind: notify.ApplicationAccepted, Args: []string{"LJ2026-000001", "食品经营许可"}, Link: "/applications/a1"})
		theirs := e.notice("lisi", notify.Notice{Kind: notify.ApplicationApproved, Args: []string{"LJ2026-000002", "出生医学证明"}})
		tok := e.session("zhangsan")

		// The header of any page shows the unread count.
		home := e.get("/", tok).Body.String()
		if !strings.Contains(home, `href="/notices"`) || !strings.Contains(home, `aria-label="1 条未读"`) {
			t.Errorf("header lacks the unread count:\n%s", home)
		}
		page := e.get("/notices", tok)
		if page.Code != http.StatusOK {
			t.Fatalf("GET /notices = %d", page.Code)
		}
		body := page.Body.String()
		for _, want := range []string{"办件已受理", "LJ2026-000001", "未读", `action="/notices/` + mine + `/read"`} {
			if !strings.Contains(body, want) {
				t.Errorf("/notices lacks %q", want)
			}
		}
		if strings.Contains(body, "LJ2026-000002") {
			t.Error("/notices shows another user's notice")
		}

		var got noticeList
		rec := e.do("GET", "/api/v1/notices", tok, "", nil, "Accept-Language", "en")
		if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil {
			t.Fatalf("GET /api/v1/notices = %d, %v: %s", rec.Code, err, rec.Body.String())
		}
		if got.Count != 1 || got.Unread != 1 || got.Items[0].ID != mine || got.Items[0].Subject != "Application accepted" ||
			got.Items[0].Kind != "application_accepted" || got.Items[0].Link != "/applications/a1" || got.Items[0].Read {
			t.Fatalf("GET /api/v1/notices = %+v", got)
		}

		// Someone else's notice is not found, and stays unread.
		for _, rec := range []*httptest.ResponseRecorder{
			e.sendJSON("POST", "/api/v1/notices/"+theirs+"/read", tok, ""),
			e.postForm("/notices/"+theirs+"/read", tok, nil),
		} {
			if code := rec.Code; code != http.StatusNotFound {
				t.Errorf("marking another user's notice read = %d, want 404", code)
			}
		}
		lisi, _ := e.srv.Identity.AccountByUsername(t.Context(), "lisi")
		if n, _ := e.srv.Notify.Unread(t.Context(), lisi.ID); n != 1 {
			t.Fatalf("lisi's unread = %d, want 1", n)
		}

		// Opening a notice from the page marks it read and goes to its
		// page.
		rec2 := e.postForm("/notices/"+mine+"/read", tok, url.Values{"open": {"1"}})
		if rec2.Code != http.StatusSeeOther || rec2.Header().Get("Location") != "/applications/a1" {
			t.Fatalf("open notice = %d to %q, want 303 to its link", rec2.Code, rec2.Header().Get("Location"))
		}
		rec = e.get("/api/v1/notices", tok)
		json.Unmarshal(rec.Body.Bytes(), &got)
		if got.Unread != 0 || !got.Items[0].Read {
			t.Fatalf("after reading: %+v", got)
		}
		if strings.Contains(e.get("/", tok).Body.String(), `class="count"`) {
			t.Error("header still shows an unread count")
		}
		rec = e.sendJSON("POST", "/api/v1/notices/"+mine+"/read", tok, "")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"read":true`) {
			t.Fatalf("marking read again = %d: %s", rec.Code, rec.Body.String())
		}
	})
}
