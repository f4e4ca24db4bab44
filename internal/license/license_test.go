package license_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/ledger/ledgertest"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/segment"
	"github.com/tongban/tongban/internal/workflow"
)

var (
	segOnce sync.Once
	seg     *segment.Segmenter
)

// clock is a settable test clock that starts at the real time (the demo
// files its applications relative to today).
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

type fixture struct {
	d     *db.DB
	ls    *license.Store
	ids   *identity.Store
	apps  *application.Store
	clock *clock
}

// setup loads the whole demo (catalog, people, license types and
// licenses, applications, whose approved conclusions issue licenses).
func setup(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	segOnce.Do(func() {
		var err error
		if seg, err = segment.New(); err != nil {
			t.Fatal(err)
		}
	})
	f := &fixture{d: d, ids: identity.NewStore(d, time.Now), clock: &clock{}}
	orgs := org.NewStore(d)
	cat := catalog.NewStore(d, seg, time.Now)
	cals := calendar.NewStore(d, time.Now)
	if _, err := cals.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewLocal(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	f.ls = license.NewStore(license.Deps{DB: d, Identity: f.ids, Keys: license.NewKeyring(filepath.Join(t.TempDir(), "keys"), "test.example"),
		Now: f.clock.now, Location: loc})
	deps := application.Deps{DB: d, Catalog: cat, Processes: workflow.NewStore(d, f.ids, cat, time.Now), Calendar: cals, Blobs: blobs,
		Identity: f.ids, Org: orgs, Location: loc, Now: time.Now, Licenses: f.ls}
	if _, err := demo.Load(ctx, d, orgs, f.ids, cat, &deps); err != nil {
		t.Fatal(err)
	}
	f.apps = application.NewStore(deps)
	return f
}

func (f *fixture) principal(t testing.TB, username string) *identity.Principal {
	t.Helper()
	a, err := f.ids.AccountByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.ids.Principal(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) idNumber(t testing.TB, username string) string {
	return f.principal(t, username).Account.IDNumber
}

func businessCode() string {
	c, _ := idcheck.CreditCodeCheckChar(demo.BusinessCreditFirst17)
	return demo.BusinessCreditFirst17 + string(c)
}

// notices counts an account's notices of a kind that link to a license.
func (f *fixture) notices(t *testing.T, username, kind, licenseID string) int {
	t.Helper()
	var n int
	err := f.d.Read().QueryRow(`SELECT COUNT(*) FROM notices WHERE account_id = $1 AND kind = $2 AND link = $3`,
		f.principal(t, username).Account.ID, kind, "/licenses/"+licenseID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func fieldKey(err error) string {
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) || len(inv.Fields) == 0 {
		return ""
	}
	return inv.Fields[0].Field + ":" + inv.Fields[0].Key
}

func TestLicenses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		t.Run("held", func(t *testing.T) { testHeld(t, f) })
		t.Run("conclusion", func(t *testing.T) { testConclusion(t, f) })
		t.Run("verify", func(t *testing.T) { testVerify(t, f) })
		t.Run("signed file", func(t *testing.T) { testSigned(t, f) })
		t.Run("shares", func(t *testing.T) { testShares(t, f) })
		t.Run("wallet access", func(t *testing.T) { testAccess(t, f) })
		t.Run("types", func(t *testing.T) { testTypes(t, f) })
		t.Run("organization notices", func(t *testing.T) { testOrgNotices(t, f) })
		t.Run("key rotation", func(t *testing.T) { testRotation(t, f) })
	})
}

func testHeld(t *testing.T, f *fixture) {
	ctx := context.Background()
	for _, u := range []string{"zhangsan", "lisi", "wangwu"} {
		l, err := f.ls.Held(ctx, f.idNumber(t, u), "resident_id_card")
		if err != nil || l == nil {
			t.Fatalf("Held(%s, resident_id_card) = %v, %v; want the demo card", u, l, err)
		}
		if l.State != license.Valid || l.HolderKey != f.idNumber(t, u) || l.Type != "resident_id_card" || l.TypeName != "居民身份证" ||
			l.Department != "GA" || l.DepartmentName == "" || l.ValidUntil == nil || l.Number == "" || l.Fields["sex"] == "" {
			t.Errorf("Held(%s) = %+v", u, l)
		}
	}
	// 李四 holds two cards: the first expired in 2020, Held gives the current one.
	l, _ := f.ls.Held(ctx, f.idNumber(t, "lisi"), "resident_id_card")
	if l.ValidFrom.Format("2006-01-02") != "2020-08-20" {
		t.Errorf("Held(lisi) valid from %s, want the card of 2020-08-20", l.ValidFrom.Format("2006-01-02"))
	}
	b, err := f.ls.Held(ctx, businessCode(), "business_license")
	if err != nil || b == nil || b.HolderName != "临江市味道餐饮有限公司" || b.ValidUntil != nil || b.HolderKind != license.Organization {
		t.Errorf("Held(business, business_license) = %+v, %v", b, err)
	}
	// The restaurant's earlier food license was revoked: not held.
	if l, err := f.ls.Held(ctx, businessCode(), "food_business_license"); l != nil || err != nil {
		t.Errorf("Held(business, food_business_license) = %+v, %v; want nil, nil (revoked)", l, err)
	}
	if l, err := f.ls.Held(ctx, "110101199003074477", "resident_id_card"); l != nil || err != nil {
		t.Errorf("Held(stranger) = %+v, %v; want nil, nil", l, err)
	}
	// The demo's approved sole-trader registration issued 张三 a business
	// license through the conclusion, with the form's fields.
	z, err := f.ls.Held(ctx, f.idNumber(t, "zhangsan"), "business_license")
	if err != nil || z == nil || z.ApplicationID == "" || z.Fields["entity_name"] != "临江市滨江区张三小吃店" || z.HolderName != "张三" {
		t.Fatalf("Held(zhangsan, business_license) = %+v, %v; want the license of the demo application", z, err)
	}
	if !strings.HasPrefix(z.Number, "SCJG-YYZZ-") {
		t.Errorf("number %q, want SCJG-YYZZ-<year>-<seq>", z.Number)
	}

	// StillValid goes by Held's rule, for licenses known by ID.
	var expired, revoked string
	if err := f.d.Read().QueryRowContext(ctx, `SELECT id FROM licenses WHERE holder_key = $1 AND type_code = 'resident_id_card' AND valid_from < '2020-08-20'`,
		f.idNumber(t, "lisi")).Scan(&expired); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Read().QueryRowContext(ctx, `SELECT id FROM licenses WHERE holder_key = $1 AND type_code = 'food_business_license'`, businessCode()).Scan(&revoked); err != nil {
		t.Fatal(err)
	}
	valid, err := f.ls.StillValid(ctx, []string{z.ID, l.ID, expired, revoked, "no-such-license", z.ID})
	if err != nil || !valid[z.ID] || !valid[l.ID] || valid[expired] || valid[revoked] || len(valid) != 2 {
		t.Errorf("StillValid = %v, %v; want %s and %s alone", valid, err, z.ID, l.ID)
	}
	if valid, err := f.ls.StillValid(ctx, nil); err != nil || len(valid) != 0 {
		t.Errorf("StillValid(none) = %v, %v", valid, err)
	}
}

// openTask returns the application's open task of step.
func openTask(t *testing.T, a *application.Application, step string) string {
	t.Helper()
	for _, tk := range a.Tasks {
		if tk.StepID == step && tk.State == application.TaskOpen {
			return tk.ID
		}
	}
	t.Fatalf("application %s has no open %s task", a.Number, step)
	return ""
}

func testConclusion(t *testing.T, f *fixture) {
	ctx := context.Background()
	zs := f.principal(t, "zhangsan")
	list, err := f.apps.Mine(ctx, zs)
	if err != nil {
		t.Fatal(err)
	}
	var change *application.Application
	for _, a := range list {
		if a.ServiceCode == "SCJG-004" {
			change = a
		}
	}
	if change == nil {
		t.Fatal("demo application licence-change-decide (SCJG-004) missing")
	}
	change, err = f.apps.Get(ctx, zs, change.ID)
	if err != nil {
		t.Fatal(err)
	}
	approver, clerk, admin := f.principal(t, "scjg-approver"), f.principal(t, "scjg-clerk"), f.principal(t, "admin")
	a, err := f.apps.Decide(ctx, approver, openTask(t, change, "decide"), application.Decision{Action: application.ActApprove, Opinion: "准予变更。"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.ls.Wallet(ctx, zs)

	// A type that cannot go to a person makes the conclusion fail as a
	// whole: the application stays accepted and no license exists.
	bl, err := f.ls.Type(ctx, "business_license")
	if err != nil {
		t.Fatal(err)
	}
	org := *bl
	org.HolderKind = license.Organization
	if _, err := f.ls.PutType(ctx, admin, org); err != nil {
		t.Fatal(err)
	}
	_, err = f.apps.Decide(ctx, clerk, openTask(t, a, "conclude"), application.Decision{Action: application.ActConclude})
	if got := fieldKey(err); got != "holder:license_holder_kind_mismatch" {
		t.Fatalf("conclude with a mismatched license type: err = %v (%s), want holder:license_holder_kind_mismatch", err, got)
	}
	again, _ := f.apps.Get(ctx, zs, a.ID)
	if again.State != application.Accepted {
		t.Errorf("after the failed issue the application is %s, want accepted (one transaction)", again.State)
	}
	if after, _ := f.ls.Wallet(ctx, zs); len(after) != len(before) {
		t.Errorf("wallet has %d licenses after the failed conclusion, want %d", len(after), len(before))
	}

	// Put right, the conclusion issues the license in its transaction.
	if _, err := f.ls.PutType(ctx, admin, *bl); err != nil {
		t.Fatal(err)
	}
	done, err := f.apps.Decide(ctx, clerk, openTask(t, again, "conclude"), application.Decision{Action: application.ActConclude})
	if err != nil {
		t.Fatal(err)
	}
	if done.State != application.Concluded {
		t.Fatalf("state %s, want concluded", done.State)
	}
	after, _ := f.ls.Wallet(ctx, zs)
	if len(after) != len(before)+1 {
		t.Fatalf("wallet has %d licenses, want %d", len(after), len(before)+1)
	}
	got := after[0]
	if got.ApplicationID != done.ID || got.Type != "business_license" || got.State != license.Valid {
		t.Errorf("newest license = %+v, want the business license of application %s", got, done.ID)
	}
	if n := f.notices(t, "zhangsan", "license_issued", got.ID); n != 1 {
		t.Errorf("张三 has %d notices of the issued license, want 1", n)
	}
	// Named in the reader's language.
	inbox, err := notify.NewStore(f.d, time.Now).List(ctx, zs.Account.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range inbox {
		if n.Kind == "license_issued" && n.Link == "/licenses/"+got.ID {
			if zh, en := n.Body(i18n.ZH), n.Body(i18n.EN); !strings.Contains(zh, "营业执照") || !strings.Contains(en, "Business license") || strings.Contains(en, "营业执照") {
				t.Errorf("the issued license's notice reads %q / %q", zh, en)
			}
		}
	}
	held, _ := f.ls.Held(ctx, zs.Account.IDNumber, "business_license")
	if held == nil || held.ID != got.ID {
		t.Errorf("Held gives %+v, want the newest license %s", held, got.ID)
	}
	var events []string
	rows, err := f.d.Read().QueryContext(ctx, `SELECT event, body FROM ledger_entries WHERE object_type = 'license' AND object_id = $1`, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ev, body string
		rows.Scan(&ev, &body)
		events = append(events, ev)
		if strings.Contains(body, zs.Account.IDNumber) || strings.Contains(body, "张三") {
			t.Errorf("ledger entry carries personal data: %s", body)
		}
		state, err := f.ls.LedgerState(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ledger.ParseEntry([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if sha, _ := ledger.Digests(state); sha != e.SHA256 {
			t.Errorf("ledger entry digest %s, license state digests to %s", e.SHA256, sha)
		}
	}
	if len(events) != 1 || events[0] != "issued" {
		t.Errorf("ledger events %v, want [issued]", events)
	}
}

func testVerify(t *testing.T, f *fixture) {
	ctx := context.Background()
	l, _ := f.ls.Held(ctx, f.idNumber(t, "zhangsan"), "resident_id_card")
	v, err := f.ls.Check(ctx, l.ID, l.Code())
	if err != nil {
		t.Fatal(err)
	}
	if v.Outcome != license.OutcomeValid || !v.Genuine || len(v.Algorithms) != 2 {
		t.Fatalf("Check(valid) = %+v", v)
	}
	p := v.License
	if p.Holder != idcheck.MaskIDNumber(l.HolderKey) || strings.Contains(mustJSON(t, v), l.HolderKey) {
		t.Errorf("verification shows holder %q; want the masked ID number and never the whole", p.Holder)
	}
	for _, fd := range p.Fields {
		if fd.Name == "address" {
			t.Errorf("verification shows the unprinted field address")
		}
	}
	if len(p.Fields) != 3 {
		t.Errorf("verification fields %+v, want sex, ethnicity, birth date", p.Fields)
	}
	// Forged or altered QR codes.
	for name, c := range map[string][2]string{
		"altered code":   {l.ID, altered(l.Code())},
		"empty code":     {l.ID, ""},
		"unknown id":     {"000000000000000000000000", l.Code()},
		"injected chars": {"<script>", "'"},
	} {
		v, err := f.ls.Check(ctx, c[0], c[1])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v.Outcome != license.OutcomeInvalid || v.Genuine || v.License != nil || v.Problem == "" {
			t.Errorf("%s: %+v, want invalid with a problem and no license", name, v)
		}
	}
	// Suspend, reinstate, revoke: each stamped, each shown.
	ga := f.principal(t, "ga-approver")
	scjg := f.principal(t, "scjg-approver")
	if _, err := f.ls.Change(ctx, scjg, l.ID, license.Suspend, "x"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another department suspends: err = %v, want not found", err)
	}
	if _, err := f.ls.Change(ctx, ga, l.ID, license.Suspend, " "); fieldKey(err) != "reason:required" {
		t.Errorf("suspend without reason: %v", err)
	}
	if _, err := f.ls.Change(ctx, ga, l.ID, "destroy", "x"); fieldKey(err) != "action:license_choice_invalid" {
		t.Errorf("unknown action: %v", err)
	}
	if _, err := f.ls.Change(ctx, ga, l.ID, license.Reinstate, ""); !errors.Is(err, license.ErrState) {
		t.Errorf("reinstate a valid license: err = %v, want ErrState", err)
	}
	s, err := f.ls.Change(ctx, ga, l.ID, license.Suspend, "证件涉嫌被冒用，核查期间中止。")
	if err != nil || s.State != license.Suspended {
		t.Fatalf("suspend: %+v, %v", s, err)
	}
	v, _ = f.ls.Check(ctx, l.ID, l.Code())
	if v.Outcome != license.OutcomeSuspended || !v.Genuine || v.Reason != "证件涉嫌被冒用，核查期间中止。" {
		t.Errorf("Check(suspended) = %+v", v)
	}
	if n := f.notices(t, "zhangsan", "license_suspended", l.ID); n != 1 {
		t.Errorf("张三 has %d notices of the suspension, want 1", n)
	}
	if n := f.notices(t, "zhangsan", "license_issued", l.ID); n != 0 {
		t.Errorf("a license entered from the register sent %d notices, want none", n)
	}
	if h, _ := f.ls.Held(ctx, l.HolderKey, "resident_id_card"); h != nil {
		t.Errorf("Held gives a suspended license")
	}
	if r, err := f.ls.Change(ctx, ga, l.ID, license.Reinstate, ""); err != nil || r.State != license.Valid || r.Reason != "" {
		t.Fatalf("reinstate: %+v, %v", r, err)
	}
	if r, err := f.ls.Change(ctx, ga, l.ID, license.Revoke, "已办理换领，原证作废。"); err != nil || r.State != license.Revoked {
		t.Fatalf("revoke: %+v, %v", r, err)
	}
	v, _ = f.ls.Check(ctx, l.ID, l.Code())
	if v.Outcome != license.OutcomeRevoked || v.Reason != "已办理换领，原证作废。" || v.StateAt == nil {
		t.Errorf("Check(revoked) = %+v", v)
	}
	if _, err := f.ls.Change(ctx, ga, l.ID, license.Revoke, "again"); !errors.Is(err, license.ErrState) {
		t.Errorf("revoke twice: err = %v, want ErrState", err)
	}
	var events []string
	rows, _ := f.d.Read().QueryContext(ctx, `SELECT event FROM ledger_entries WHERE object_type = 'license' AND object_id = $1 ORDER BY created_at`, l.ID)
	for rows.Next() {
		var e string
		rows.Scan(&e)
		events = append(events, e)
	}
	rows.Close()
	if strings.Join(events, ",") != "issued,suspended,reinstated,revoked" {
		t.Errorf("ledger events %v", events)
	}
	// 李四's first card is genuine but expired.
	wallet, _ := f.ls.Wallet(ctx, f.principal(t, "lisi"))
	found := false
	for _, w := range wallet {
		if w.Type == "resident_id_card" && w.ValidFrom.Year() == 2010 {
			found = true
			v, _ := f.ls.Check(ctx, w.ID, w.Code())
			if w.State != license.Expired || v.Outcome != license.OutcomeExpired || !v.Genuine {
				t.Errorf("the 2010 card: state %s, verification %+v; want expired", w.State, v)
			}
		}
	}
	if !found {
		t.Error("李四's expired card is missing from her wallet")
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func testSigned(t *testing.T, f *fixture) {
	ctx := context.Background()
	l, _ := f.ls.Held(ctx, businessCode(), "business_license")
	raw, err := l.Signed()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := f.ls.PublicKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	known, err := license.Verifiers(keys)
	if err != nil {
		t.Fatal(err)
	}
	d, algs, err := license.VerifySigned(raw, known)
	if err != nil || d.Number != l.Number || len(algs) != 2 {
		t.Fatalf("VerifySigned(genuine) = %+v, %v, %v", d, algs, err)
	}
	if v, _ := f.ls.CheckSigned(ctx, raw); v.Outcome != license.OutcomeValid || !v.Genuine {
		t.Errorf("CheckSigned(genuine) = %+v", v)
	}
	// Whitespace does not matter: the signature covers the canonical form.
	var compact map[string]any
	json.Unmarshal(raw, &compact)
	if v, _ := f.ls.CheckSigned(ctx, []byte(mustJSON(t, compact))); v.Outcome != license.OutcomeValid {
		t.Errorf("CheckSigned(recompacted) = %+v", v)
	}
	problem := func(name string, b []byte, want string) {
		t.Helper()
		if _, _, err := license.VerifySigned(b, known); err == nil {
			t.Errorf("%s: VerifySigned accepted it", name)
		}
		v, err := f.ls.CheckSigned(ctx, b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v.Outcome != license.OutcomeInvalid || v.Problem != want {
			t.Errorf("%s: CheckSigned = %+v, want problem %s", name, v, want)
		}
	}
	problem("altered name", []byte(strings.Replace(string(raw), "临江市味道餐饮有限公司", "临江市好味道餐饮有限公司", 1)), license.ProblemSignature)
	problem("extended validity", []byte(strings.Replace(string(raw), `"valid_until": ""`, `"valid_until": "2099-12-31"`, 1)), license.ProblemSignature)
	problem("added key", []byte(strings.Replace(string(raw), `"format": "tongban-license/1"`, `"format": "tongban-license/1", "extra": "x"`, 1)), license.ProblemMalformed)
	problem("not JSON", []byte("%PDF-1.4"), license.ProblemMalformed)
	problem("no signatures", []byte(strings.Replace(string(raw), `"signatures"`, `"sigs"`, 1)), license.ProblemUnknownKey)
	// Signed with a key the department never published.
	other := license.NewKeyring(t.TempDir(), "test.example")
	forged := license.NewStore(license.Deps{DB: f.d, Identity: f.ids, Keys: other})
	fv, err := forged.CheckSigned(ctx, raw)
	if err != nil || fv.Problem != license.ProblemSignature && fv.Problem != license.ProblemUnknownKey {
		t.Errorf("CheckSigned with other keys = %+v, %v; want unknown key", fv, err)
	}
	// A revoked license verifies offline but not against the register.
	old, _ := f.ls.Wallet(ctx, f.principal(t, "wangwu"))
	for _, w := range old {
		if w.Type == "food_business_license" && w.State == license.Revoked {
			raw, _ := w.Signed()
			if _, _, err := license.VerifySigned(raw, known); err != nil {
				t.Errorf("revoked license offline: %v; want the signature to verify", err)
			}
			if v, _ := f.ls.CheckSigned(ctx, raw); v.Outcome != license.OutcomeRevoked || v.Reason == "" {
				t.Errorf("CheckSigned(revoked) = %+v", v)
			}
		}
	}
}

func testShares(t *testing.T, f *fixture) {
	ctx := context.Background()
	ww := f.principal(t, "wangwu")
	l, _ := f.ls.Held(ctx, businessCode(), "business_license")
	if _, err := f.ls.CreateShare(ctx, ww, l.ID, "30d"); fieldKey(err) != "expires_in:license_choice_invalid" {
		t.Errorf("share for 30 days: %v", err)
	}
	if _, err := f.ls.CreateShare(ctx, f.principal(t, "zhangsan"), l.ID, "1h"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("someone else shares it: err = %v, want not found", err)
	}
	if _, err := f.ls.CreateShare(ctx, f.principal(t, "scjg-approver"), l.ID, "1h"); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("staff shares it: err = %v, want forbidden", err)
	}
	sh, err := f.ls.CreateShare(ctx, ww, l.ID, "1h")
	if err != nil || sh.Token == "" {
		t.Fatalf("CreateShare: %+v, %v", sh, err)
	}
	v, _ := f.ls.CheckShare(ctx, sh.Token)
	if v.Outcome != license.OutcomeValid || v.SharedUntil == nil || v.License.Holder != businessCode() {
		t.Errorf("CheckShare = %+v", v)
	}
	for token, want := range map[string]string{"": license.ProblemShareUnknown, sh.Token + "x": license.ProblemShareUnknown} {
		if v, _ := f.ls.CheckShare(ctx, token); v.Problem != want || v.License != nil {
			t.Errorf("CheckShare(%q) = %+v, want %s", token, v, want)
		}
	}
	f.clock.advance(61 * time.Minute)
	if v, _ := f.ls.CheckShare(ctx, sh.Token); v.Problem != license.ProblemShareExpired {
		t.Errorf("an hour later: %+v, want expired", v)
	}
	f.clock.advance(-61 * time.Minute)
	day, _ := f.ls.CreateShare(ctx, ww, l.ID, "1d")
	if _, err := f.ls.RevokeShare(ctx, ww, l.ID, day.ID); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.ls.CheckShare(ctx, day.Token); v.Problem != license.ProblemShareRevoked {
		t.Errorf("revoked link: %+v", v)
	}
	if _, err := f.ls.RevokeShare(ctx, ww, l.ID, day.ID); !errors.Is(err, license.ErrState) {
		t.Errorf("revoke twice: %v", err)
	}
	list, _ := f.ls.Shares(ctx, ww, l.ID)
	if len(list) != 2 || list[0].Token != "" {
		t.Errorf("Shares = %+v; want two, without tokens", list)
	}
}

func testAccess(t *testing.T, f *fixture) {
	ctx := context.Background()
	ww, zs := f.principal(t, "wangwu"), f.principal(t, "zhangsan")
	mine, err := f.ls.Wallet(ctx, ww)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, l := range mine {
		kinds[l.Type]++
		if l.HolderKey != ww.Account.IDNumber && l.HolderKey != businessCode() {
			t.Errorf("wangwu's wallet has %s of %s", l.Number, l.HolderName)
		}
	}
	if kinds["business_license"] != 1 || kinds["resident_id_card"] != 1 || kinds["food_business_license"] != 1 || kinds["marriage_certificate"] != 1 {
		t.Errorf("wangwu's wallet %v", kinds)
	}
	if _, err := f.ls.Get(ctx, zs, mine[0].ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("zhangsan opens wangwu's license: %v, want not found", err)
	}
	for _, l := range mine {
		_, err := f.ls.Get(ctx, f.principal(t, "scjg-approver"), l.ID)
		if l.Department == "SCJG" && err != nil || l.Department != "SCJG" && !errors.Is(err, db.ErrNotFound) {
			t.Errorf("scjg-approver opens %s of %s: %v", l.Number, l.Department, err)
		}
	}
	if _, err := f.ls.Wallet(ctx, f.principal(t, "scjg-clerk")); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("staff wallet: %v, want forbidden", err)
	}
	if _, err := f.ls.Issued(ctx, f.principal(t, "scjg-clerk"), ""); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("clerk lists issued licenses: %v, want forbidden", err)
	}
	issued, err := f.ls.Issued(ctx, f.principal(t, "scjg-admin"), "")
	if err != nil || len(issued) == 0 {
		t.Fatalf("Issued(scjg-admin) = %d, %v", len(issued), err)
	}
	for _, l := range issued {
		if l.Department != "SCJG" {
			t.Errorf("scjg-admin sees %s of %s", l.Number, l.Department)
		}
	}
	one, _ := f.ls.Issued(ctx, f.principal(t, "scjg-admin"), issued[0].Number)
	if len(one) != 1 || one[0].ID != issued[0].ID {
		t.Errorf("Issued by number = %d", len(one))
	}
}

func testTypes(t *testing.T, f *fixture) {
	ctx := context.Background()
	scjg := f.principal(t, "scjg-admin")
	bad := license.Type{Code: "Bad Code", Department: "SCJG", Name: "", Prefix: "x1", HolderKind: "alien", ValidityYears: -1,
		Fields: []license.Field{{Name: "a", Label: "A"}, {Name: "a", Label: ""}}}
	_, err := f.ls.PutType(ctx, scjg, bad)
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("PutType(bad) = %v", err)
	}
	got := map[string]bool{}
	for _, fe := range inv.Fields {
		got[fe.Field+":"+fe.Key] = true
	}
	for _, want := range []string{"code:license_type_code_invalid", "name:required", "prefix:license_prefix_invalid", "holder_kind:license_choice_invalid",
		"validity_years:license_validity_range", "fields.0.name:license_field_name_invalid", "fields.1.label:required"} {
		if !got[want] {
			t.Errorf("PutType(bad): missing %s in %v", want, inv.Fields)
		}
	}
	ga := license.Type{Code: "hunting_permit", Department: "GA", Name: "持枪证", Prefix: "CQ", HolderKind: license.Person}
	if _, err := f.ls.PutType(ctx, scjg, ga); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("scjg-admin defines a GA type: %v, want forbidden", err)
	}
	bl, _ := f.ls.Type(ctx, "business_license")
	moved := *bl
	moved.Prefix = "ZZ"
	if _, err := f.ls.PutType(ctx, scjg, moved); fieldKey(err) != "prefix:license_prefix_fixed" {
		t.Errorf("change the prefix of a type in use: %v", err)
	}
	moved = *bl
	moved.Name = "营业执照（电子）"
	if out, err := f.ls.PutType(ctx, scjg, moved); err != nil || out.Name != "营业执照（电子）" {
		t.Errorf("rename: %+v, %v", out, err)
	}
	mine, _ := f.ls.ManagedTypes(ctx, scjg)
	if len(mine) != 2 {
		t.Errorf("scjg-admin manages %d types, want 2", len(mine))
	}
}

// testOrgNotices: a change to an organization's license reaches its agents.
func testOrgNotices(t *testing.T, f *fixture) {
	ctx := context.Background()
	l, _ := f.ls.Held(ctx, businessCode(), "business_license")
	admin := f.principal(t, "scjg-admin")
	if _, err := f.ls.Change(ctx, admin, l.ID, license.Suspend, "年报逾期未报送，暂停使用。"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ls.Change(ctx, admin, l.ID, license.Reinstate, ""); err != nil {
		t.Fatal(err)
	}
	if f.notices(t, "wangwu", "license_suspended", l.ID) != 1 || f.notices(t, "wangwu", "license_reinstated", l.ID) != 1 {
		t.Error("王五, the company's agent, was not told of the suspension and the reinstatement")
	}
	if f.notices(t, "zhangsan", "license_suspended", l.ID) != 0 {
		t.Error("someone else was told")
	}
}

// testRotation: after a department's keys are rotated, what they signed
// stays genuine (its public keys are published as retired), new licenses
// are signed with the new keys, and a license whose key is published
// nowhere is not genuine.
func testRotation(t *testing.T, f *fixture) {
	ctx := context.Background()
	old, _ := f.ls.Held(ctx, f.idNumber(t, "wangwu"), "resident_id_card")
	before, _ := f.ls.PublicKeys(ctx)
	if err := f.ls.Keys().Rotate("GA", time.Now()); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.ls.Check(ctx, old.ID, old.Code()); v.Outcome != license.OutcomeValid || !v.Genuine {
		t.Errorf("after rotation, the old license: %+v", v)
	}
	fresh, err := f.ls.IssueDirect(ctx, license.Issue{Type: "residence_permit", HolderKind: license.Person, HolderKey: old.HolderKey, HolderName: old.HolderName,
		ValidFrom: time.Now().Format("2006-01-02"), Fields: map[string]string{"address": "临江市滨江区江南大道 88 号"}, Department: "GA", Role: "register", Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.ls.Check(ctx, fresh.ID, fresh.Code()); v.Outcome != license.OutcomeValid {
		t.Errorf("a license signed with the new keys: %+v", v)
	}
	after, _ := f.ls.PublicKeys(ctx)
	var ga license.PublicKey
	for _, k := range after {
		if k.Department == "GA" {
			ga = k
		}
	}
	for _, k := range before {
		if k.Department == "GA" && (ga.Ed25519 == k.Ed25519 || len(ga.Retired) != 2 || ga.Retired[0] != k.Ed25519) {
			t.Errorf("published GA keys after rotation = %+v, want new keys and the old ones retired", ga)
		}
	}
	known, _ := license.Verifiers(after)
	for _, l := range []*license.License{old, fresh} {
		raw, _ := l.Signed()
		if _, _, err := license.VerifySigned(raw, known); err != nil {
			t.Errorf("offline, %s: %v", l.Number, err)
		}
		if v, _ := f.ls.CheckSigned(ctx, raw); !v.Genuine {
			t.Errorf("uploaded, %s: %+v", l.Number, v)
		}
	}
	// Keys published nowhere: the retired list lost.
	other := license.NewStore(license.Deps{DB: f.d, Identity: f.ids, Keys: license.NewKeyring(t.TempDir(), "test.example")})
	if v, _ := other.Check(ctx, old.ID, old.Code()); v.Problem != license.ProblemUnknownKey {
		t.Errorf("with no published key: %+v, want unknown_key", v)
	}
}

// altered returns code with its first character changed. (Changing the
// last two to "AA" left about one code in sixteen as it was: those of a
// signature whose last byte is zero.)
func altered(code string) string {
	c := byte('A')
	if code[0] == 'A' {
		c = 'B'
	}
	return string(c) + code[1:]
}

// TestLicenseReplacedOnChange: 张三 changes his sole trader's registration
// (营业执照变更登记, which re-issues). Concluding it issues a new business
// license that keeps the old one's fields, and revokes the old one in the
// same transaction, with the new number as the reason, stamped in the
// ledger; checking the old QR code shows it revoked.
func TestLicenseReplacedOnChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		zhang := f.idNumber(t, "zhangsan")
		old, err := f.ls.Held(ctx, zhang, "business_license")
		if err != nil || old == nil {
			t.Fatalf("zhangsan's business license before the change: %+v, %v", old, err)
		}
		var appID string
		if err := d.Read().QueryRowContext(ctx, `SELECT id FROM applications WHERE service_code = 'SCJG-004' AND state = 'accepted'`).Scan(&appID); err != nil {
			t.Fatal(err)
		}
		decide := func(user, step string, dec application.Decision) {
			t.Helper()
			a, err := f.apps.Get(ctx, f.principal(t, "zhangsan"), appID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.apps.Decide(ctx, f.principal(t, user), openTask(t, a, step), dec); err != nil {
				t.Fatalf("%s %s: %v", user, dec.Action, err)
			}
		}
		decide("scjg-approver", "decide", application.Decision{Action: application.ActApprove, Opinion: "经营场所变更材料齐全，准予变更登记。"})
		decide("scjg-clerk", "conclude", application.Decision{Action: application.ActConclude})

		now, err := f.ls.Held(ctx, zhang, "business_license")
		if err != nil || now == nil || now.ID == old.ID || now.ApplicationID != appID {
			t.Fatalf("business license after the change = %+v, %v; want a new one from %s", now, err, appID)
		}
		if now.Fields["entity_name"] != old.Fields["entity_name"] || now.Fields["scope"] != old.Fields["scope"] || now.Fields["entity_name"] == "" {
			t.Errorf("new license fields %v, want the old one's %v", now.Fields, old.Fields)
		}
		v, err := f.ls.Check(ctx, old.ID, old.Code())
		if err != nil || v.Outcome != license.OutcomeRevoked || !strings.Contains(v.Reason, now.Number) {
			t.Errorf("checking the old license = %+v, %v; want revoked, naming %s", v, err, now.Number)
		}
		var stamped int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entries WHERE object_type = $1 AND object_id = $2 AND event = 'revoked'`,
			license.LedgerObject, old.ID).Scan(&stamped); err != nil || stamped != 1 {
			t.Errorf("revocation entries of the old license = %d, %v; want 1", stamped, err)
		}
		// Every license's record matches its latest ledger entry.
		keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(t.TempDir(), "ledger.key"), "test.example/ledger")
		if err != nil {
			t.Fatal(err)
		}
		lg := &ledger.Log{DB: d, Keys: keys}
		ledgertest.IntegrateAll(t, lg)
		known, err := keys.Verifiers()
		if err != nil {
			t.Fatal(err)
		}
		rep, err := lg.Verify(ctx, known, nil, map[string]ledger.StateFunc{license.LedgerObject: f.ls.LedgerState})
		if err != nil || len(rep.Breaks) != 0 {
			t.Errorf("ledger verification after the change: %v, breaks %v", err, rep.Breaks)
		}
	})
}
