package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/rating"
)

// LoadRatings rates the demo's concluded applications and closed tickets
// (好差评), once, when there are no ratings: praise for the pension
// window, a fairly satisfied rating of the denied fund withdrawal, and an
// unsatisfied rating of the refused registration, whose rectification has
// just opened. Three more hotline tickets, filed and closed weeks ago on a
// clock set back in time, carry bad ratings whose rectifications are
// overdue (red), due in two working days (yellow), and answered and called
// back. zhangsan's approved sole-trader registration is left unrated, to
// try the rating form. Call it after Load and LoadHotline; hdeps and
// rdeps are the platform's hotline and rating dependencies.
func LoadRatings(ctx context.Context, hdeps hotline.Deps, rdeps rating.Deps, ids *identity.Store) error {
	var n int
	if err := rdeps.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM ratings`).Scan(&n); err != nil || n > 0 {
		return err
	}
	now := time.Now()
	if rdeps.Now != nil {
		now = rdeps.Now()
	}
	loc := rdeps.Location
	if loc == nil {
		loc = time.UTC
	}
	cal, err := rdeps.Calendar.Calendar(ctx)
	if err != nil {
		return err
	}
	people := map[string]*identity.Principal{}
	for _, u := range []string{"zhangsan", "lisi", "wangwu", "rexian", "jiancha", "zj-clerk", "scjg-clerk", "ga-clerk", "rs-clerk"} {
		a, err := ids.AccountByUsername(ctx, u)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", u, err)
		}
		if people[u], err = ids.Principal(ctx, a.ID); err != nil {
			return err
		}
	}
	clock := now
	hdeps.Now = func() time.Time { return clock }
	rdeps.Now = hdeps.Now
	h := hotline.NewStore(hdeps)
	r := rating.NewStore(rdeps)
	days := rdeps.RectifyDays
	if days <= 0 {
		days = rating.DefaultRectifyDays
	}
	// workdaysAgo is 10:00 on the k-th working day before today.
	today := calendar.DateIn(now, loc)
	workdaysAgo := func(k int) time.Time {
		d := today
		for n := 0; n < k; {
			d = d.AddDays(-1)
			if cal.IsWorkday(d) {
				n++
			}
		}
		return d.In(loc).Add(10 * time.Hour)
	}

	var failed error
	do := func(at time.Time, what string, fn func() error) {
		if failed != nil {
			return
		}
		clock = at
		if err := fn(); err != nil {
			failed = fmt.Errorf("demo rating: %s: %w", what, err)
		}
	}
	// closedTicket files a ticket at start and takes it through dispatch,
	// reply and a closing callback over the next days.
	closedTicket := func(start time.Time, user, dept, clerk string, in hotline.Input, reply string) *hotline.Ticket {
		var t *hotline.Ticket
		steps := []struct {
			after time.Duration
			fn    func() (*hotline.Ticket, error)
		}{
			{0, func() (*hotline.Ticket, error) { return h.File(ctx, people[user], hotline.Web, in, nil) }},
			{time.Hour, func() (*hotline.Ticket, error) { return h.Dispatch(ctx, people["rexian"], t.ID, dept, "") }},
			{2 * time.Hour, func() (*hotline.Ticket, error) { return h.Sign(ctx, people[clerk], t.ID) }},
			{26 * time.Hour, func() (*hotline.Ticket, error) { return h.Reply(ctx, people[clerk], t.ID, reply) }},
			{50 * time.Hour, func() (*hotline.Ticket, error) {
				return h.Callback(ctx, people[user], t.ID, true, hotline.Basic, "")
			}},
		}
		for _, s := range steps {
			do(start.Add(s.after), in.Text, func() error {
				var err error
				t, err = s.fn()
				return err
			})
		}
		return t
	}
	rate := func(at time.Time, user string, typ rating.ObjectType, id string, l rating.Level, text string, tags ...string) *rating.Rating {
		var out *rating.Rating
		do(at, "rate "+id, func() error {
			var err error
			out, err = r.Rate(ctx, people[user], rating.Web, rating.Input{ObjectType: typ, ObjectID: id, Level: l, Tags: tags, Text: text})
			return err
		})
		return out
	}

	// Overdue: rubbish left for days, rated very unsatisfied, unanswered
	// past its deadline.
	overdue := workdaysAgo(days + 4)
	if t := closedTicket(overdue.AddDate(0, 0, -4), "zhangsan", "ZJ", "zj-clerk", hotline.Input{Kind: hotline.Complaint, Category: "GARBAGE",
		Text: "春晓路垃圾站满溢，臭味很大，一周没人清理。", Address: "临江市滨江区春晓路垃圾站"}, "已通知环卫公司清运。"); t != nil {
		rate(overdue, "zhangsan", rating.TicketObject, t.ID, rating.VeryUnsatisfied, "回复说清运了，其实第二天又堆满了，打了三次电话才来。", "repeated_visits", "buck_passing")
	}
	// Due soon: a noise complaint rated unsatisfied, due in two working
	// days.
	soon := workdaysAgo(max(days-2, 1))
	if t := closedTicket(soon.AddDate(0, 0, -4), "lisi", "GA", "ga-clerk", hotline.Input{Kind: hotline.Complaint, Category: "NOISE",
		Text: "湖滨路 30 号酒吧夜间音乐声很大。", Address: "临江市西湖湾区湖滨路 30 号", Division: "339902", Attributes: map[string]string{"when": "night"}},
		"已现场劝导，要求商户 22 时后降低音量。"); t != nil {
		rate(soon, "lisi", rating.TicketObject, t.ID, rating.Unsatisfied, "劝导后只安静了两天。", "inefficient")
	}
	// Answered on time and called back: a price complaint rated very
	// unsatisfied; the market regulator answered and the citizen was
	// satisfied with what it did.
	answered := workdaysAgo(days + 6)
	if t := closedTicket(answered.AddDate(0, 0, -3), "zhangsan", "SCJG", "scjg-clerk", hotline.Input{Kind: hotline.Complaint, Category: "PRICE",
		Text: "菜场摊位缺斤短两，一斤肉少了一两多。", Address: "临江市滨江区春晓农贸市场"}, "已责令摊主整改。"); t != nil {
		if rt := rate(answered, "zhangsan", rating.TicketObject, t.ID, rating.VeryUnsatisfied, "只说责令整改，没说怎么处理、有没有退钱。", "overdue", "guidance_unclear"); rt != nil {
			do(workdaysAgo(days), "answer", func() error {
				_, err := r.Answer(ctx, people["scjg-clerk"], rt.RectificationID, "答复过于笼统，未告知处理结果和退赔途径。",
					"已对摊主立案处罚并没收不合格计量器具；已联系投诉人，摊主退还差价；市场已设公平秤。")
				return err
			})
			do(workdaysAgo(days-1), "callback", func() error {
				_, err := r.Callback(ctx, people["zhangsan"], rt.RectificationID, rating.Web, true, "处理到位，谢谢。")
				return err
			})
		}
	}

	// The concluded demo applications and the closed praise ticket, rated
	// now.
	clock = now
	appID := func(key string) (string, error) {
		var id string
		err := rdeps.DB.Read().QueryRowContext(ctx, `SELECT id FROM applications WHERE idempotency_key = $1`, "demo:"+key).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil // the demo applications were not filed
		}
		return id, err
	}
	if id, err := appID("fund-withdrawal-denied"); err != nil {
		return err
	} else if id != "" {
		rate(now, "lisi", rating.ApplicationObject, id, rating.Basic, "结果不理想，但告知了原因和依据。", "many_materials")
	}
	if id, err := appID("sole-trader-refused"); err != nil {
		return err
	} else if id != "" {
		rate(now, "lisi", rating.ApplicationObject, id, rating.Unsatisfied, "网上办事指南没写清楚只收本市经营场所，白准备了材料。", "guidance_unclear")
	}
	var praise string
	if err := rdeps.DB.Read().QueryRowContext(ctx, `SELECT t.id FROM tickets t JOIN accounts a ON a.id = t.reporter_id
		WHERE a.username = 'wangwu' AND t.kind = 'praise' AND t.state = 'closed' LIMIT 1`).Scan(&praise); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if praise != "" {
		rate(now, "wangwu", rating.TicketObject, praise, rating.VerySatisfied, "", "courteous", "one_visit")
	}
	if failed != nil {
		return failed
	}
	rdeps.Now = func() time.Time { return now }
	_, err = rating.NewStore(rdeps).ScanWarnings(ctx)
	return err
}
