package application_test

import (
	"context"
	"encoding/json"
	"strings"
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

// TestAnswerSupplementTellsOnce: an answer is told every problem at once
// (一次性告知), as a submission is: the material asked for and not
// uploaded, the field asked about and left wrong, and a note too long.
// The field's error used to wait until the material was there.
func TestAnswerSupplementTellsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "supplement", Items: []application.SupplementItem{
			{Material: "m1", Reason: "营业执照已过期"}, {Field: "name", Reason: "名称与执照不一致"}}})
		_, err := f.store.AnswerSupplement(ctx, zhang, a.ID, json.RawMessage(`{"name":"","area":100}`), strings.Repeat("说", 1001))
		got := fieldKeys(t, err)
		want := map[string]string{"materials.m1": "material_missing", "form.name": "form_field_length", "note": "text_too_long"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("answer: %s is %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		if b, err := f.store.Get(ctx, zhang, a.ID); err != nil || b.State != application.Supplement {
			t.Fatalf("after the refused answer: %v %v", b.State, err)
		}
	})
}
