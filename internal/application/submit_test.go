package application_test

import (
	"context"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestWithdrawSaysWhyNot: withdrawing an application that cannot be
// withdrawn says why, in terms of its state; a second withdrawal used to
// answer that an accepted application cannot be withdrawn.
func TestWithdrawSaysWhyNot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		withdraw := func(what string, a *application.Application, want string) {
			t.Helper()
			_, err := f.store.Withdraw(ctx, zhang, a.ID, "")
			if got := fieldKeys(t, err)["state"]; got != want {
				t.Errorf("withdrawing %s: state %q, want %q", what, got, want)
			}
		}

		a := f.filed(t, "SCJG-FOOD", 100)
		if b, err := f.store.Withdraw(ctx, zhang, a.ID, "不需要了"); err != nil || b.State != application.Withdrawn {
			t.Fatalf("withdraw: %v", err)
		}
		withdraw("a withdrawn application", a, "withdraw_already_withdrawn")

		draft, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "")
		if err != nil {
			t.Fatal(err)
		}
		withdraw("a draft", draft, "withdraw_draft")

		accepted := f.decide(t, "clerk", f.filed(t, "SCJG-FOOD", 100), "accept", application.Decision{Action: "accept"})
		withdraw("an accepted application", accepted, "withdraw_not_possible")

		refused := f.decide(t, "clerk", f.filed(t, "SCJG-FOOD", 100), "accept", application.Decision{Action: "refuse", Opinion: "不属于本机关职权范围", LegalBasis: "《行政许可法》第三十二条"})
		withdraw("a refused application", refused, "withdraw_refused")

		c := f.decide(t, "reviewer", accepted, "review", application.Decision{Action: "pass", Opinion: "材料齐全"})
		c = f.decide(t, "approver", c, "decide", application.Decision{Action: "approve", Opinion: "准予许可"})
		c = f.decide(t, "clerk", c, "conclude", application.Decision{Action: "conclude"})
		withdraw("a concluded application", c, "withdraw_concluded")
	})
}
