package exchange_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/ledger/ledgertest"
)

type logRow struct {
	outcome, reason, subject, fields, dept, role, app, grant string
}

func accessLog(t testing.TB, d *db.DB) []logRow {
	t.Helper()
	rows, err := d.Read().Query(`SELECT outcome, reason, subject, fields, department_code, role, application_id, grant_id FROM exchange_access_log ORDER BY at, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []logRow
	for rows.Next() {
		var r logRow
		if err := rows.Scan(&r.outcome, &r.reason, &r.subject, &r.fields, &r.dept, &r.role, &r.app, &r.grant); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// ledgerBodies returns the bodies of the ledger entries of access-log rows.
func ledgerBodies(t testing.TB, d *db.DB) []string {
	t.Helper()
	rows, err := d.Read().Query(`SELECT body FROM ledger_entries WHERE object_type = 'data_access' ORDER BY created_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var b string
		rows.Scan(&b)
		out = append(out, b)
	}
	return out
}

func TestQueryAnswersGrantedFieldsAndAuditsIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		g := f.grantHousehold(t, []string{"name", "address"}, 10)
		ans, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: citizenID, Application: f.app})
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		// Exactly the granted fields (household_head is in the record,
		// not in the grant), with their provenance.
		if len(ans.Fields) != 2 || ans.Fields["name"] != "张三" || ans.Fields["address"] != "临江市滨江区春晓路 28 号" || !ans.Found {
			t.Errorf("answer fields = %v, want name and address only", ans.Fields)
		}
		pv := ans.Provenance
		if pv.Department != "GA" || pv.Resource != "GA-HOUSEHOLD" || pv.Source != exchange.FromRegistry || pv.Grant != g.ID || pv.Case != "N"+f.app ||
			pv.Purpose != g.Purpose || pv.UpdatedAt == nil {
			t.Errorf("provenance = %+v", pv)
		}
		// Asking for one field gives that field.
		f.clock.add(time.Minute)
		one, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: citizenID, Application: f.app, Fields: []string{"address"}})
		if err != nil || len(one.Fields) != 1 || one.Fields["address"] == "" {
			t.Errorf("Query(address) = %v, %v", one, err)
		}
		log := accessLog(t, d)
		if len(log) != 2 {
			t.Fatalf("access log has %d rows, want 2", len(log))
		}
		if r := log[0]; r.outcome != "answered" || r.subject != citizenID || r.fields != `["name","address"]` || r.dept != "SCJG" || r.role != "clerk" ||
			r.app != f.app || r.grant != g.ID {
			t.Errorf("access log row = %+v", r)
		}
		// Each access is stamped in the ledger, without personal data.
		bodies := ledgerBodies(t, d)
		if len(bodies) != 2 {
			t.Fatalf("%d ledger entries for data access, want 2", len(bodies))
		}
		for _, b := range bodies {
			if strings.Contains(b, citizenID) || strings.Contains(b, "张三") || !strings.Contains(b, `"event":"query"`) || !strings.Contains(b, `"department":"SCJG"`) {
				t.Errorf("ledger entry %s: want a query by SCJG without personal data", b)
			}
		}
		// The citizen sees both accesses; the other citizen sees none.
		mine, err := f.s.MyData(ctx, f.p["citizen"])
		if err != nil || len(mine) != 2 {
			t.Fatalf("MyData = %d, %v; want 2", len(mine), err)
		}
		x := mine[1]
		if x.Department != "SCJG" || x.Role != "clerk" || x.ResourceName != "户籍人口信息" || x.Purpose != g.Purpose || x.Case != "N"+f.app ||
			strings.Join(x.FieldLabels, ",") != "姓名,户籍地址" || x.AccountID != "" || x.AccountName != "" {
			t.Errorf("MyData row = %+v; want department, role, resource, labels, purpose and case, no staff identity", x)
		}
		if other, err := f.s.MyData(ctx, f.p["other"]); err != nil || len(other) != 0 {
			t.Errorf("other citizen's MyData = %d, %v; want none", len(other), err)
		}
		// Supervisors see the person, and the subject masked.
		all, err := f.s.Log(ctx, f.p["jiancha"], exchange.LogFilter{Department: "SCJG"})
		if err != nil || len(all) != 2 || all[0].AccountName != "scjg-clerk" || strings.Contains(all[0].Subject, citizenID[6:14]) || all[0].Subject == "" {
			t.Errorf("Log = %d, %v (%+v)", len(all), err, all)
		}
		if _, err := f.s.Log(ctx, f.p["scjg-admin"], exchange.LogFilter{}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("Log by a department admin = %v, want forbidden", err)
		}
	})
}

func TestQueryRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.put(t, exchange.Resource{Code: "GA-CRIMINAL", Department: "GA", Name: "违法犯罪记录", SubjectKind: exchange.ByIDNumber,
			SharingClass: exchange.NotShared, UpdateFrequency: exchange.Daily, Source: exchange.FromRegistry,
			Fields: []exchange.Field{{Name: "records", Label: "记录", Sensitivity: exchange.SensitivePersonal}}})
		closed := f.application(t, "citizen", "SCJG", "done")
		gaCase := f.application(t, "citizen", "GA", "open")
		otherCase := f.application(t, "other", "SCJG", "open")
		q := func(who string, in exchange.QueryInput) error {
			if in.Resource == "" {
				in.Resource = "GA-HOUSEHOLD"
			}
			if in.Subject == "" {
				in.Subject = citizenID
			}
			if in.Application == "" {
				in.Application = f.app
			}
			_, err := f.s.Query(ctx, f.p[who], in)
			return err
		}
		want := func(t *testing.T, err error, reason string) {
			t.Helper()
			var ref *exchange.Refusal
			if !errors.As(err, &ref) || ref.Reason != reason || ref.AccessID == "" {
				t.Fatalf("Query = %v, want refusal %s", err, reason)
			}
		}
		// Before any grant.
		want(t, q("scjg-clerk", exchange.QueryInput{}), exchange.ReasonNoGrant)
		want(t, q("scjg-clerk", exchange.QueryInput{Resource: "GA-CRIMINAL"}), exchange.ReasonNegativeList)
		g := f.grantHousehold(t, []string{"name", "address"}, 2)
		for _, tc := range []struct {
			name, who, reason string
			in                exchange.QueryInput
		}{
			{"field outside the grant", "scjg-clerk", exchange.ReasonFields, exchange.QueryInput{Fields: []string{"name", "household_head"}}},
			{"no case: unknown application", "scjg-clerk", exchange.ReasonNoCase, exchange.QueryInput{Application: "nope"}},
			{"no case: task closed", "scjg-clerk", exchange.ReasonNoCase, exchange.QueryInput{Application: closed}},
			{"no case: another department's task", "scjg-clerk", exchange.ReasonNoCase, exchange.QueryInput{Application: gaCase}},
			{"case about someone else", "scjg-clerk", exchange.ReasonNotCaseSubject, exchange.QueryInput{Application: otherCase}},
			{"department without a grant", "ga-clerk", exchange.ReasonNoGrant, exchange.QueryInput{Application: gaCase}},
		} {
			t.Run(tc.name, func(t *testing.T) { want(t, q(tc.who, tc.in), tc.reason) })
		}
		// The rate: 2 an hour.
		for i := 0; i < 2; i++ {
			if err := q("scjg-clerk", exchange.QueryInput{}); err != nil {
				t.Fatalf("query %d: %v", i, err)
			}
		}
		want(t, q("scjg-clerk", exchange.QueryInput{}), exchange.ReasonRate)
		f.clock.add(61 * time.Minute)
		if err := q("scjg-clerk", exchange.QueryInput{}); err != nil {
			t.Fatalf("query an hour later: %v", err)
		}
		// Expiry: the grant was for 30 days.
		f.clock.add(30 * 24 * time.Hour)
		want(t, q("scjg-clerk", exchange.QueryInput{}), exchange.ReasonExpired)
		f.clock.add(-30 * 24 * time.Hour)
		// Revocation.
		if _, err := f.s.Revoke(ctx, f.p["ga-admin"], g.ID, "核验结束"); err != nil {
			t.Fatal(err)
		}
		want(t, q("scjg-clerk", exchange.QueryInput{}), exchange.ReasonRevoked)
		// Bad input is a field error, not an attempt.
		if err := q("scjg-clerk", exchange.QueryInput{Subject: "123"}); fieldKey(err, "subject") != "exchange_subject_invalid" {
			t.Errorf("bad subject = %v", err)
		}
		var inv *fielderr.Invalid
		if _, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{}); !errors.As(err, &inv) {
			t.Errorf("empty query = %v, want field errors", err)
		}
		// Citizens and supervisors cannot query at all.
		for _, who := range []string{"citizen", "jiancha", "admin"} {
			if err := q(who, exchange.QueryInput{}); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("query by %s = %v, want forbidden", who, err)
			}
		}
		// Every refusal is in the log and the ledger.
		var refused, answered int
		reasons := map[string]bool{}
		for _, r := range accessLog(t, d) {
			if r.outcome == "refused" {
				refused++
				reasons[r.reason] = true
			} else {
				answered++
			}
		}
		if refused != 11 || answered != 3 || len(reasons) != 8 {
			t.Errorf("log: %d refused (%v), %d answered; want 11 refused with 8 reasons, 3 answered", refused, reasons, answered)
		}
		if n := len(ledgerBodies(t, d)); n != 14 {
			t.Errorf("%d ledger entries, want 14", n)
		}
		// Refused attempts released nothing, so the citizen's page shows
		// the 3 answered lookups only; supervisors see the refusals.
		if mine, _ := f.s.MyData(ctx, f.p["citizen"]); len(mine) != 3 {
			t.Errorf("MyData = %d rows, want 3", len(mine))
		}
		pats, err := f.s.Patterns(ctx, f.p["jiancha"], f.clock.now().Add(-24*time.Hour))
		if err != nil || len(pats) == 0 || pats[0].Kind != exchange.PatternRefused || pats[0].AccountName != "scjg-clerk" || pats[0].Count != 10 {
			t.Errorf("Patterns = %+v; want scjg-clerk's 10 refusals first", pats)
		}
	})
}

func TestNightBulkPattern(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.grantHousehold(t, []string{"name"}, 100)
		f.clock.set("2026-09-28 23:30")
		for i := 0; i < exchange.NightBulkThreshold; i++ {
			if _, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: citizenID, Application: f.app}); err != nil {
				t.Fatal(err)
			}
			f.clock.add(30 * time.Minute) // until 04:00
		}
		pats, err := f.s.Patterns(ctx, f.p["jiancha"], f.clock.now().Add(-48*time.Hour))
		if err != nil || len(pats) != 1 || pats[0].Kind != exchange.PatternNightBulk || pats[0].Count != exchange.NightBulkThreshold {
			t.Fatalf("Patterns = %+v, %v; want one night-time bulk pattern", pats, err)
		}
	})
}

// TestLedgerCatchesAnEditedAccessLog: the access log is as tamper-evident
// as the applications: verifying the ledger finds a row changed after its
// lookup (here, the purpose rewritten and the case removed).
func TestLedgerCatchesAnEditedAccessLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.grantHousehold(t, []string{"name"}, 10)
		ans, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: citizenID, Application: f.app})
		if err != nil {
			t.Fatal(err)
		}
		keys, _, err := ledger.GenerateKeys("tongban.test/ledger")
		if err != nil {
			t.Fatal(err)
		}
		l := &ledger.Log{DB: d, Keys: keys}
		ledgertest.IntegrateAll(t, l)
		known, _ := keys.Verifiers()
		states := map[string]ledger.StateFunc{exchange.LedgerObject: f.s.LedgerState}
		rep, err := l.Verify(ctx, known, nil, states)
		if err != nil || len(rep.Breaks) != 0 || rep.Objects != 1 {
			t.Fatalf("Verify = %+v, %v; want the access checked and clean", rep, err)
		}
		if _, err := d.Write().Exec(`UPDATE exchange_access_log SET purpose = '例行检查', application_id = '' WHERE id = $1`, ans.AccessID); err != nil {
			t.Fatal(err)
		}
		rep, err = l.Verify(ctx, known, nil, states)
		if err != nil || len(rep.Breaks) != 1 || rep.Breaks[0].ObjectID != ans.AccessID {
			t.Errorf("Verify after the edit = %+v, %v; want one break on the access", rep, err)
		}
	})
}
