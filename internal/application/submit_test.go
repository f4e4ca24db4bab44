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
		want := map[string]string{"materials.m1": "material_missing", "form.name": "form_field_min_length", "note": "text_too_long"}
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

// A form that does not read at all is told with the rest of the answer's
// problems, not instead of them.
func TestAnswerSupplementUnreadableForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "supplement", Items: []application.SupplementItem{
			{Material: "m1", Reason: "营业执照已过期"}, {Field: "area", Reason: "面积有误"}}})
		_, err := f.store.AnswerSupplement(ctx, f.p["zhang"], a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":1e400}`), strings.Repeat("说", 1001))
		got := fieldKeys(t, err)
		want := map[string]string{"materials.m1": "material_missing", "form.area": "form_field_range", "note": "text_too_long"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("answer: %s is %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		if _, ok := got["form.name"]; ok {
			t.Errorf("an unchanged field is reported: %v", got)
		}
	})
}

// Only what a supplement request asks about is judged in the answer: a
// value filed before, which the answer may not change, cannot hold it up
// even where today's rules would refuse it (a date typed by hand before
// dates were checked).
func TestAnswerSupplementJudgesWhatWasAsked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		a := f.filed(t, "SCJG-FOOD", 100)
		if _, err := d.Write().ExecContext(ctx, `UPDATE applications SET form = $1 WHERE id = $2`,
			`{"name":"临江味道餐饮","area":100,"opened":"2026/02/28"}`, a.ID); err != nil {
			t.Fatal(err)
		}
		// Asked about the area: the old date is left alone.
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "supplement", Items: []application.SupplementItem{{Field: "area", Reason: "面积有误"}}})
		if _, err := f.store.AnswerSupplement(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":120,"opened":"2026/02/28"}`), ""); err != nil {
			t.Fatalf("answering about the area of a form with an old hand-typed date: %v", err)
		}
		// Asked about the date itself: it must be a date now.
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "supplement", RepeatReason: "开业日期格式不对",
			Items: []application.SupplementItem{{Field: "opened", Reason: "请按年-月-日填写"}}})
		_, err := f.store.AnswerSupplement(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":120,"opened":"2026/02/28"}`), "")
		if fieldKeys(t, err)["form.opened"] != "form_field_format" {
			t.Fatalf("answering about the date with the same text: %v", err)
		}
		if _, err := f.store.AnswerSupplement(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":120,"opened":"2026-02-28"}`), ""); err != nil {
			t.Fatalf("answering about the date with a date: %v", err)
		}
	})
}
