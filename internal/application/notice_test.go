package application_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/notify"
)

// inbox returns the notices of an account whose link is link, as its
// owner reads them.
func inbox(t *testing.T, d *db.DB, account, link string) []*notify.Notice {
	t.Helper()
	list, err := notify.NewStore(d, time.Now).List(context.Background(), account, 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []*notify.Notice
	for _, n := range list {
		if n.Link == link {
			out = append(out, n)
		}
	}
	return out
}

func ofKind(ns []*notify.Notice, k notify.Kind) []*notify.Notice {
	var out []*notify.Notice
	for _, n := range ns {
		if n.Kind == k {
			out = append(out, n)
		}
	}
	return out
}

// TestApplicantToldOfTheDecision: when the decision is made the applicant
// is told whether it was approved, and that the letter follows with the
// conclusion; the conclusion then tells them again. A decision used to say nothing until the conclusion.
func TestApplicantToldOfTheDecision(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		zhang := f.p["zhang"].Account.ID
		for _, tc := range []struct {
			decision application.Decision
			kind     notify.Kind
			zh, en   []string
		}{
			{application.Decision{Action: "approve", Opinion: "准予许可"}, notify.ApplicationApproved,
				[]string{"办件已作出决定：予以批准", "已作出决定：予以批准。决定书将在办结时送达"},
				[]string{"Decision made: approved", "it is approved. The decision letter follows when the application is concluded."}},
			{application.Decision{Action: "deny", Opinion: "经营场所不符合要求", LegalBasis: "《食品经营许可管理办法》第十一条"}, notify.ApplicationDenied,
				[]string{"办件已作出决定：不予批准", "已作出决定：不予批准。决定书（含理由和依据）将在办结时送达"},
				[]string{"Decision made: not approved", "it is not approved. The decision letter, with the reasons and legal basis, follows"}},
		} {
			a := f.filed(t, "SCJG-FOOD", 100)
			if a.ServiceNameEn != "Food Business License" {
				t.Errorf("the application keeps the service's English name as %q", a.ServiceNameEn)
			}
			link := "/applications/" + a.ID
			a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
			a = f.decide(t, "reviewer", a, "review", application.Decision{Action: "pass", Opinion: "材料齐全"})
			if n := ofKind(inbox(t, d, zhang, link), tc.kind); len(n) != 0 {
				t.Fatalf("%s: the applicant was told %s before the decision", tc.decision.Action, tc.kind)
			}
			a = f.decide(t, "approver", a, "decide", tc.decision)
			got := ofKind(inbox(t, d, zhang, link), tc.kind)
			if len(got) != 1 {
				t.Fatalf("%s: after the decision the applicant has %d notices %s, want 1", tc.decision.Action, len(got), tc.kind)
			}
			for _, c := range []struct {
				l    i18n.Lang
				want []string
			}{{i18n.ZH, tc.zh}, {i18n.EN, tc.en}} {
				subject, body := got[0].Subject(c.l), got[0].Body(c.l)
				if subject != c.want[0] || !strings.Contains(body, c.want[1]) || !strings.Contains(body, a.Number) {
					t.Errorf("%s in %s reads %q: %q, want %q and %q with %s", tc.decision.Action, c.l, subject, body, c.want[0], c.want[1], a.Number)
				}
				// The service by its name in the reader's language.
				name := map[i18n.Lang]string{i18n.ZH: "食品经营许可事项", i18n.EN: "Food Business License"}[c.l]
				if !strings.Contains(body, name) {
					t.Errorf("%s in %s does not name the service %q: %q", tc.decision.Action, c.l, name, body)
				}
			}
			f.decide(t, "clerk", a, "conclude", application.Decision{Action: "conclude"})
			all := inbox(t, d, zhang, link)
			if len(ofKind(all, "concluded")) != 1 || len(ofKind(all, tc.kind)) != 1 || len(ofKind(all, notify.ApplicationApproved))+len(ofKind(all, notify.ApplicationDenied)) != 1 {
				t.Errorf("%s: after the conclusion the applicant holds %d notices", tc.decision.Action, len(all))
			}
		}

	})
}

// TestReturnTellsWhy: the people of a step a return reopens are told it
// came back to them, and why; they used to be told it was assigned to
// them, with no reason.
func TestReturnTellsWhy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "reviewer", a, "review", application.Decision{Action: "pass", Opinion: "材料齐全"})
		reason := "经营场所面积与平面图不符，请重新核查"
		a, err := f.store.Return(ctx, f.p["approver"], f.task(t, a, "decide").ID, "review", reason)
		if err != nil {
			t.Fatal(err)
		}
		review := f.task(t, a, "review")
		if review.State != application.TaskOpen {
			t.Fatalf("review after the return: %s", review.State)
		}
		got := inbox(t, d, f.p["reviewer"].Account.ID, "/staff/tasks/"+review.ID)
		if len(got) != 1 || got[0].Kind != notify.TaskReturned {
			kinds := []notify.Kind{}
			for _, n := range got {
				kinds = append(kinds, n.Kind)
			}
			t.Fatalf("the reviewer was told %v of the reopened review, want one task_returned", kinds)
		}
		for _, c := range []struct {
			l                     i18n.Lang
			subject, body, absent string
		}{
			{i18n.ZH, "办件退回本环节重新办理", "已退回至本环节重新办理。退回原因：" + reason, "分派"},
			{i18n.EN, "Application returned to your step", "was returned to your step to be handled again. Reason: " + reason, "assigned"},
		} {
			subject, body := got[0].Subject(c.l), got[0].Body(c.l)
			if subject != c.subject || !strings.Contains(body, c.body) || !strings.Contains(body, a.Number) || strings.Contains(subject+body, c.absent) {
				t.Errorf("in %s the return reads %q: %q", c.l, subject, body)
			}
		}
	})
}
