package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/ledger"
)

// The supervisors' dashboard shows the last verification of the store
// against the ledger, and every break it recorded.
func TestSupervisionShowsLastVerification(t *testing.T) {
	e := sqliteEnv(t)
	tok := e.session("jiancha")
	page := func() string {
		t.Helper()
		rec := e.get("/supervision", tok)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /supervision = %d", rec.Code)
		}
		return rec.Body.String()
	}
	if body := page(); !strings.Contains(body, "尚未核验") {
		t.Fatalf("before any verification the dashboard does not say so:\n%s", body)
	}

	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	clean := ledger.NewVerification("command", "node-a", t0, t0.Add(time.Second), &ledger.Report{Tree: ledger.Tree{N: 41}, Objects: 12}, nil)
	if err := ledger.RecordVerification(ctx, e.db, clean); err != nil {
		t.Fatal(err)
	}
	body := page()
	for _, want := range []string{"未发现篡改", "2026-11-02 09:00:01 CST", "日志共 41 条", "核对记录 12 项"} {
		if !strings.Contains(body, want) {
			t.Fatalf("dashboard after a clean verification lacks %q:\n%s", want, body)
		}
	}

	broken := ledger.NewVerification("serve", "node-b", t0.Add(time.Hour), t0.Add(time.Hour+time.Second), &ledger.Report{Tree: ledger.Tree{N: 50}, Breaks: []ledger.Break{
		{ObjectType: "application", ObjectID: "3b1e", EntryID: "51aa", Index: 41, Event: "approve", Problem: "the record's current state does not match the digest of its latest entry: it was changed outside the platform"},
	}}, nil)
	if err := ledger.RecordVerification(ctx, e.db, broken); err != nil {
		t.Fatal(err)
	}
	body = page()
	for _, want := range []string{"发现 1 处不一致", "application 3b1e: entry 51aa (index 41, approve)", "服务定时核验", `role="alert"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("dashboard after a broken verification lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "未发现篡改") {
		t.Fatal("dashboard still says no tampering after a verification found a break")
	}
}
