package hotline_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/ledger"
)

// TestLedgerStamps follows tickets through every stamped action and checks
// that each is in the ledger, in order, with the acting department and
// role, digesting the ticket's state as the action left it, without
// personal data in clear; that urging stamps nothing and changes nothing
// stamped; that a reveal is stamped as its own object; and that a direct
// edit of the database no longer matches the latest stamp.
func TestLedgerStamps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		l := &ledger.Log{DB: d}
		events := func(objectType, id string) []string {
			t.Helper()
			stamps, err := l.Stamps(ctx, objectType, id)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range stamps {
				out = append(out, s.Event+"/"+s.Department+"/"+s.Role)
				for _, secret := range []string{"13800138000", "zhang-name", "江南大道", "大坑", "好了"} {
					if strings.Contains(string(s.Body), secret) {
						t.Errorf("entry %s carries %q in clear: %s", s.ID, secret, s.Body)
					}
				}
			}
			return out
		}
		// matches reports whether the ticket's current state hashes to the
		// digests of its latest stamp.
		matches := func(objectType, id string, state func(context.Context, string) ([]byte, error)) bool {
			t.Helper()
			stamps, err := l.Stamps(ctx, objectType, id)
			if err != nil || len(stamps) == 0 {
				t.Fatalf("stamps of %s %s: %d, %v", objectType, id, len(stamps), err)
			}
			b, err := state(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			sha, sm := ledger.Digests(b)
			last := stamps[len(stamps)-1]
			return last.SHA256 == sha && last.SM3 == sm
		}

		tk, err := f.store.File(ctx, f.p["zhang"], hotline.Web, pothole("江南大道有个大坑"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err = f.store.Dispatch(ctx, f.p["dispatcher"], tk.ID, "SCJG", ""); err != nil {
			t.Fatal(err)
		}
		if _, err = f.store.Return(ctx, f.p["scjg"], tk.ID, "不归我局"); err != nil {
			t.Fatal(err)
		}
		if _, err = f.store.Dispatch(ctx, f.p["dispatcher"], tk.ID, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err = f.store.Sign(ctx, f.p["zj"], tk.ID); err != nil {
			t.Fatal(err)
		}
		if _, err = f.store.Urge(ctx, f.p["jiancha"], tk.ID, "请加快"); err != nil {
			t.Fatal(err)
		}
		if !matches(hotline.LedgerObject, tk.ID, f.store.LedgerState) {
			t.Error("after urging, the ticket no longer matches its latest stamp: urging must change nothing stamped")
		}
		if _, err = f.store.Reply(ctx, f.p["zj"], tk.ID, "已派人查看"); err != nil {
			t.Fatal(err)
		}
		if _, err = f.store.Callback(ctx, f.p["zhang"], tk.ID, false, hotline.Unsatisfied, "没修好"); err != nil {
			t.Fatal(err)
		}
		if _, err = f.store.Reply(ctx, f.p["zj"], tk.ID, "已修复"); err != nil {
			t.Fatal(err)
		}
		if _, err = f.store.Callback(ctx, f.p["zhang"], tk.ID, true, hotline.Satisfied, "好了"); err != nil {
			t.Fatal(err)
		}
		want := []string{"filed//reporter", "dispatched/SCJG/dispatcher", "returned/SCJG/staff", "dispatched/ZJ/dispatcher", "signed/ZJ/staff",
			"replied/ZJ/staff", "reopened/ZJ/reporter", "replied/ZJ/staff", "closed/ZJ/reporter"}
		if got := events(hotline.LedgerObject, tk.ID); !slices.Equal(got, want) {
			t.Errorf("stamps =\n%v\nwant\n%v", got, want)
		}
		if !matches(hotline.LedgerObject, tk.ID, f.store.LedgerState) {
			t.Error("the closed ticket does not match its latest stamp")
		}

		// A phone call, merged into another ticket; the merge target's
		// note is not a stamp.
		call := pothole("江南大道又有人报大坑")
		call.ReporterName, call.ReporterPhone = "王先生", "13900139000"
		dup, err := f.store.File(ctx, f.p["dispatcher"], hotline.Phone, call, nil)
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.store.File(ctx, f.p["lisi"], hotline.Web, pothole("大坑"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Merge(ctx, f.p["dispatcher"], dup.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		if got := events(hotline.LedgerObject, dup.ID); !slices.Equal(got, []string{"filed//dispatcher", "merged//dispatcher"}) {
			t.Errorf("phone ticket stamps = %v", got)
		}
		if got := events(hotline.LedgerObject, other.ID); !slices.Equal(got, []string{"filed//reporter"}) {
			t.Errorf("merge target stamps = %v", got)
		}

		// A protected report revealed by a supervisor.
		rep := pothole("有人私占道路")
		rep.Protection = hotline.Protected
		prot, err := f.store.File(ctx, f.p["lisi"], hotline.Web, rep, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Reveal(ctx, f.p["jiancha"], prot.ID, "核查诬告"); err != nil {
			t.Fatal(err)
		}
		got, _ := f.store.Get(ctx, f.p["jiancha"], prot.ID)
		revealID := prot.ID + "-" + itoa(got.Events[len(got.Events)-1].Seq)
		if ev := events(hotline.RevealObject, revealID); !slices.Equal(ev, []string{"revealed//supervisor"}) {
			t.Errorf("reveal stamps = %v", ev)
		}
		if !matches(hotline.RevealObject, revealID, f.store.RevealState) {
			t.Error("the reveal does not match its stamp")
		}

		// Tampering: a direct edit of the reply, or of a reveal's reason.
		if _, err := d.Write().ExecContext(ctx, `UPDATE tickets SET reply = 'tampered' WHERE id = $1`, tk.ID); err != nil {
			t.Fatal(err)
		}
		if matches(hotline.LedgerObject, tk.ID, f.store.LedgerState) {
			t.Error("an edited reply still matches the stamp")
		}
		if _, err := d.Write().ExecContext(ctx, `UPDATE ticket_events SET note = 'other' WHERE ticket_id = $1 AND action = 'revealed'`, prot.ID); err != nil {
			t.Fatal(err)
		}
		if matches(hotline.RevealObject, revealID, f.store.RevealState) {
			t.Error("an edited reveal still matches the stamp")
		}
		if _, err := f.store.RevealState(ctx, "nonsense"); err == nil {
			t.Error("RevealState of a malformed ID: no error")
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
