package exchange_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/ledger/ledgertest"
)

var ticketSeq atomic.Int64

// ticket inserts a hotline ticket reported by username ("" for a
// telephone call without an account), dispatched to dept in state, with
// the reporter's protection: the hotline package's rows, written directly.
func (f *fixture) ticket(t testing.TB, username, dept, state, protection string) (id, number string) {
	t.Helper()
	ctx := context.Background()
	n := ticketSeq.Add(1)
	id, number = fmt.Sprintf("tk%06d", n), fmt.Sprintf("RX20260928%05d", n)
	if _, err := f.db.Write().ExecContext(ctx, `INSERT INTO hotline_categories (code, name, position, active, attributes) VALUES ('PRICE', '价格', 1, TRUE, '[]') ON CONFLICT (code) DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	var reporter any
	channel := "phone"
	if username != "" {
		reporter, channel = f.p[username].Account.ID, "web"
	}
	now := db.NewTime(f.clock.now())
	_, err := f.db.Write().ExecContext(ctx, `INSERT INTO tickets (id, number, kind, category_code, text, channel, reporter_id, reporter_name, protection,
		state, department_code, days, created_at, updated_at) VALUES ($1, $2, 'complaint', 'PRICE', '超市多收钱', $3, $4, '张三', $5, $6, $7, 5, $8, $8)`,
		id, number, channel, reporter, protection, state, dept, now)
	if err != nil {
		t.Fatal(err)
	}
	return id, number
}

// TestQueryForATicket: a hotline ticket is a case like an application,
// for the department that signed for it and only about its reporter, who
// must not be protected; the access log, the ledger and the citizen's page
// name the ticket.
func TestQueryForATicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.grantHousehold(t, []string{"name", "address"}, 100)
		handling, number := f.ticket(t, "citizen", "SCJG", "handling", "none")
		ans, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: citizenID, Ticket: handling})
		if err != nil {
			t.Fatalf("Query for a ticket: %v", err)
		}
		if !ans.Found || ans.Fields["name"] != "张三" || ans.Provenance.Case != number {
			t.Errorf("answer = %+v, want the record with the ticket number as the case", ans)
		}
		var app, tk, caseNo string
		if err := d.Read().QueryRow(`SELECT application_id, ticket_id, case_number FROM exchange_access_log WHERE id = $1`, ans.AccessID).Scan(&app, &tk, &caseNo); err != nil {
			t.Fatal(err)
		}
		if app != "" || tk != handling || caseNo != number {
			t.Errorf("access log case = (%q, %q, %q), want the ticket", app, tk, caseNo)
		}
		mine, err := f.s.MyData(ctx, f.p["citizen"])
		if err != nil || len(mine) != 1 || mine[0].CaseKind != exchange.CaseTicket || mine[0].Case != number || mine[0].Ticket != "" {
			t.Fatalf("MyData = %+v, %v; want the lookup naming ticket %s", mine, err, number)
		}
		// A replied ticket is still the department's until it closes.
		replied, _ := f.ticket(t, "citizen", "SCJG", "replied", "none")
		if _, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: citizenID, Ticket: replied}); err != nil {
			t.Errorf("Query for a replied ticket: %v", err)
		}

		dispatched, _ := f.ticket(t, "citizen", "SCJG", "dispatched", "none")
		closed, _ := f.ticket(t, "citizen", "SCJG", "closed", "none")
		gaTicket, _ := f.ticket(t, "citizen", "GA", "handling", "none")
		protected, _ := f.ticket(t, "citizen", "SCJG", "handling", "protected")
		anonymous, _ := f.ticket(t, "citizen", "SCJG", "handling", "anonymous")
		phone, _ := f.ticket(t, "", "SCJG", "handling", "none")
		others, _ := f.ticket(t, "other", "SCJG", "handling", "none")
		for _, tc := range []struct {
			name, ticket, subject, reason string
		}{
			{"unknown ticket", "nope", citizenID, exchange.ReasonNoCase},
			{"not signed for yet", dispatched, citizenID, exchange.ReasonNoCase},
			{"closed", closed, citizenID, exchange.ReasonNoCase},
			{"another department's ticket", gaTicket, citizenID, exchange.ReasonNoCase},
			{"name-protected reporter", protected, citizenID, exchange.ReasonReporterProtected},
			{"anonymous reporter", anonymous, citizenID, exchange.ReasonReporterProtected},
			{"protected, someone else", protected, otherID, exchange.ReasonReporterProtected},
			{"telephone caller without an account", phone, citizenID, exchange.ReasonNotCaseSubject},
			{"not the reporter", others, citizenID, exchange.ReasonNotCaseSubject},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: tc.subject, Ticket: tc.ticket})
				var ref *exchange.Refusal
				if !errors.As(err, &ref) || ref.Reason != tc.reason || ref.AccessID == "" {
					t.Fatalf("Query = %v, want refusal %s", err, tc.reason)
				}
			})
		}
		// A case is an application or a ticket, not both.
		_, err = f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: citizenID, Ticket: handling, Application: f.app})
		var inv *fielderr.Invalid
		if !errors.As(err, &inv) || inv.Get("ticket_id") != "exchange_one_case" {
			t.Errorf("Query with two cases = %v, want a field error on ticket_id", err)
		}
		// The refused attempts are logged with the ticket's number where
		// the ticket was the department's.
		var refused int
		if err := d.Read().QueryRow(`SELECT COUNT(*) FROM exchange_access_log WHERE outcome = 'refused' AND reason = 'reporter_protected' AND ticket_id <> '' AND case_number <> ''`).Scan(&refused); err != nil || refused != 3 {
			t.Errorf("%d refusals for protected reporters with their ticket, %v; want 3", refused, err)
		}

		// The ledger checks ticket lookups as it checks the others.
		keys, _, err := ledger.GenerateKeys("tongban.test/ledger")
		if err != nil {
			t.Fatal(err)
		}
		l := &ledger.Log{DB: d, Keys: keys}
		ledgertest.IntegrateAll(t, l)
		known, _ := keys.Verifiers()
		states := map[string]ledger.StateFunc{exchange.LedgerObject: f.s.LedgerState}
		rep, err := l.Verify(ctx, known, nil, states)
		if err != nil || len(rep.Breaks) != 0 || rep.Objects != 11 {
			t.Fatalf("Verify = %+v, %v; want 11 accesses checked and clean", rep, err)
		}
		if _, err := d.Write().Exec(`UPDATE exchange_access_log SET ticket_id = '' WHERE id = $1`, ans.AccessID); err != nil {
			t.Fatal(err)
		}
		if rep, err = l.Verify(ctx, known, nil, states); err != nil || len(rep.Breaks) != 1 {
			t.Errorf("Verify after removing the ticket = %+v, %v; want one break", rep, err)
		}
	})
}
