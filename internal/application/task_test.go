package application_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// guideBasis is the legal basis the test services' guide lists.
const guideBasis = "《中华人民共和国食品安全法》 第三十五条"

// concluded has the clerk conclude a and returns its letter's body.
func (f *fixture) concluded(t *testing.T, a *application.Application) application.LetterBody {
	t.Helper()
	a = f.decide(t, "clerk", a, "conclude", application.Decision{Action: "conclude"})
	if a.State != application.Concluded || a.Letter == nil {
		t.Fatalf("not concluded: %s %+v", a.State, a.Letter)
	}
	return a.Letter.Body
}

// TestLetterCitesTheDecisionsLegalBasis: a decision letter cites the legal
// basis entered with the decisions that led to it, first, then (for an
// approval) the guide's general list, each once; before, a denial's letter
// cited only the guide, whatever the approver had to enter, and then the
// guide's laws as if they were grounds for the denial.
func TestLetterCitesTheDecisionsLegalBasis(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)

		// An approver's denial.
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "reviewer", a, "review", application.Decision{Action: "pass", Opinion: "材料齐全"})
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "deny", Opinion: "经营场所与住宅未有效分隔",
			LegalBasis: "《食品经营许可和备案管理办法》第十二条"})
		body := f.concluded(t, a)
		if body.Result != application.Denied || !slices.Equal(body.Reasons, []string{"经营场所与住宅未有效分隔"}) ||
			!slices.Equal(body.LegalBasis, []string{"《食品经营许可和备案管理办法》第十二条"}) {
			t.Errorf("denial letter: result %s, reasons %q, legal basis %q", body.Result, body.Reasons, body.LegalBasis)
		}

		// A parallel fire review's rejection ends the process (deny_ends);
		// its basis lists two articles, one of them the guide's, spaced
		// differently: each is cited once.
		a = f.filed(t, "SCJG-FOOD", 600)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "xf", a, "fire", application.Decision{Action: "reject", Opinion: "疏散通道宽度不足",
			LegalBasis: "《建设工程消防设计审查验收管理暂行规定》第十七条；《中华人民共和国食品安全法》第三十五条"})
		body = f.concluded(t, a)
		if body.Result != application.Denied || !slices.Equal(body.Reasons, []string{"疏散通道宽度不足"}) ||
			!slices.Equal(body.LegalBasis, []string{"《建设工程消防设计审查验收管理暂行规定》第十七条", "《中华人民共和国食品安全法》第三十五条"}) {
			t.Errorf("letter of a rejected parallel review: result %s, reasons %q, legal basis %q", body.Result, body.Reasons, body.LegalBasis)
		}

		// An approval that gives its basis cites it; the review's passing
		// opinion is no reason of the letter.
		a = f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "reviewer", a, "review", application.Decision{Action: "pass", Opinion: "材料齐全"})
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "准予许可", LegalBasis: "《中华人民共和国行政许可法》第三十八条"})
		body = f.concluded(t, a)
		if body.Result != application.Approved || !slices.Equal(body.Reasons, []string{"准予许可"}) ||
			!slices.Equal(body.LegalBasis, []string{"《中华人民共和国行政许可法》第三十八条", guideBasis}) {
			t.Errorf("approval letter: result %s, reasons %q, legal basis %q", body.Result, body.Reasons, body.LegalBasis)
		}
	})
}

// TestLetterGivesEverySignersOpinion: the letter of a countersigned
// (会签) approval gives each signer's opinion, in the order they signed,
// and the legal basis each gave; it used to keep only the last signer's.
func TestLetterGivesEverySignersOpinion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a := f.filed(t, "SCJG-SIGN", 10)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "approver-two", a, "decide", application.Decision{Action: "approve", Opinion: "经营场所核查无误，同意", LegalBasis: "《中华人民共和国行政许可法》第三十四条"})
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "材料真实有效，同意"})
		body := f.concluded(t, a)
		if want := []string{"经营场所核查无误，同意", "材料真实有效，同意"}; !slices.Equal(body.Reasons, want) {
			t.Errorf("countersigned letter's reasons %q, want %q", body.Reasons, want)
		}
		if want := []string{"《中华人民共和国行政许可法》第三十四条", guideBasis}; !slices.Equal(body.LegalBasis, want) {
			t.Errorf("countersigned letter's legal basis %q, want %q", body.LegalBasis, want)
		}

		// One signer agrees, the other denies: the denial's reason alone.
		a = f.filed(t, "SCJG-SIGN", 10)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "同意"})
		a = f.decide(t, "approver-two", a, "decide", application.Decision{Action: "deny", Opinion: "申请人不具备经营条件", LegalBasis: "《中华人民共和国行政许可法》第三十八条第二款"})
		body = f.concluded(t, a)
		if body.Result != application.Denied || !slices.Equal(body.Reasons, []string{"申请人不具备经营条件"}) ||
			!slices.Equal(body.LegalBasis, []string{"《中华人民共和国行政许可法》第三十八条第二款"}) {
			t.Errorf("countersigned denial: result %s, reasons %q, legal basis %q", body.Result, body.Reasons, body.LegalBasis)
		}
	})
}

// TestLetterLeavesOutSupersededDecisions: a decision a return sent back
// for deciding again is no ground of the letter; the new one is.
func TestLetterLeavesOutSupersededDecisions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "reviewer", a, "review", application.Decision{Action: "pass", Opinion: "材料齐全"})
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "初审同意", LegalBasis: "《旧办法》第一条"})
		a, err := f.store.Return(ctx, f.p["clerk"], f.task(t, a, "conclude").ID, "decide", "决定意见需复核")
		if err != nil {
			t.Fatal(err)
		}
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "复核后同意"})
		body := f.concluded(t, a)
		if !slices.Equal(body.Reasons, []string{"复核后同意"}) || !slices.Equal(body.LegalBasis, []string{guideBasis}) {
			t.Errorf("after a return: reasons %q, legal basis %q; want the second decision's alone", body.Reasons, body.LegalBasis)
		}
	})
}

// TestNoHandoverToOneself: a task cannot be handed over to the one
// handing it over, claimed or not, and they are not among the colleagues
// offered; it used to be handed over, logged and announced to them.
func TestNoHandoverToOneself(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-SIGN", 10)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		dec := f.task(t, a, "decide")
		approver := f.p["approver"]
		colleagues, err := f.store.Colleagues(ctx, approver, &dec)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range colleagues {
			names = append(names, c.Username)
		}
		if !slices.Equal(names, []string{"approver-two"}) {
			t.Errorf("colleagues offered to approver: %v, want approver-two alone", names)
		}
		before := f.notices.Load()
		if _, err := f.store.Handover(ctx, approver, dec.ID, approver.Account.ID, "x"); fieldKeys(t, err)["to"] != "handover_to_self" {
			t.Fatalf("handing an unclaimed task to oneself: %v", err)
		}
		if _, err := f.store.Claim(ctx, approver, dec.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Handover(ctx, approver, dec.ID, approver.Account.ID, "x"); fieldKeys(t, err)["to"] != "handover_to_self" {
			t.Fatalf("handing one's own task to oneself: %v", err)
		}
		a, err = f.store.Get(ctx, approver, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range a.Events {
			if e.Action == "handed_over" {
				t.Errorf("a refused handover was logged: %+v", e)
			}
		}
		if n := f.notices.Load() - before; n != 0 {
			t.Errorf("a refused handover sent %d notices", n)
		}
		// To a colleague it still goes.
		if tk, err := f.store.Handover(ctx, approver, dec.ID, f.p["approver-two"].Account.ID, "出差"); err != nil || tk.AssigneeID != f.p["approver-two"].Account.ID {
			t.Fatalf("handover to a colleague: %v", err)
		}
	})
}

// TestClaimAndHandoverNameTheStep: the task a claim or a handover answers
// names its step and application as the work queue does; it used to come
// with an empty step name.
func TestClaimAndHandoverNameTheStep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-SIGN", 10)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		dec := f.task(t, a, "decide")
		named := func(what string, tk *application.Task) {
			t.Helper()
			if tk.StepName != "集体决定" || tk.Number != a.Number || tk.ServiceName != a.ServiceName || tk.ApplicantName != a.ApplicantName {
				t.Errorf("%s answers step %q, number %q, service %q, applicant %q", what, tk.StepName, tk.Number, tk.ServiceName, tk.ApplicantName)
			}
		}
		tk, err := f.store.Claim(ctx, f.p["approver"], dec.ID)
		if err != nil {
			t.Fatal(err)
		}
		named("a claim", tk)
		if tk, err = f.store.Handover(ctx, f.p["approver"], dec.ID, f.p["approver-two"].Account.ID, "出差"); err != nil {
			t.Fatal(err)
		}
		named("a handover", tk)
	})
}

// TestHandoverSkipsSigners: on a countersigned step one who has signed is
// neither offered nor accepted as whom to hand it to (the task would wait
// on a signature they cannot give), nor offered the decision again; and a
// hand-over's reason is capped like a return's. Signers used to be offered
// and taken, and a reason of any length was stored.
func TestHandoverSkipsSigners(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-SIGN", 10)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "同意"})
		dec := f.task(t, a, "decide")
		approver, two := f.p["approver"], f.p["approver-two"]
		if got := application.Offered(approver, &dec, a); len(got) != 0 {
			t.Errorf("actions offered to one who signed: %v", got)
		}
		if got := application.Offered(two, &dec, a); !slices.Equal(got, []string{"approve", "deny"}) {
			t.Errorf("actions offered to the other signer: %v", got)
		}
		colleagues, err := f.store.Colleagues(ctx, two, &dec)
		if err != nil {
			t.Fatal(err)
		}
		if len(colleagues) != 0 {
			t.Errorf("colleagues offered to approver-two: %v, want none (approver has signed)", colleagues)
		}
		if _, err := f.store.Handover(ctx, two, dec.ID, approver.Account.ID, "出差"); fieldKeys(t, err)["to"] != "handover_target_signed" {
			t.Fatalf("handing a countersigned step to one who signed it: %v", err)
		}
		// Nor may one who signed send the step back, throwing away the
		// signatures.
		if _, err := f.store.Return(ctx, approver, dec.ID, "accept", "材料需重新核对"); fieldKeys(t, err)["task"] != "already_signed" {
			t.Fatalf("a signer returning the countersigned step: %v", err)
		}
		long := strings.Repeat("长", 2001)
		if _, err := f.store.Handover(ctx, approver, dec.ID, two.Account.ID, long); fieldKeys(t, err)["reason"] != "text_too_long" {
			t.Fatalf("a hand-over reason of 2,001 characters: %v", err)
		}
		a, err = f.store.Get(ctx, approver, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range a.Events {
			if e.Action == "handed_over" {
				t.Errorf("a refused hand-over was logged: %+v", e)
			}
		}
	})
}
