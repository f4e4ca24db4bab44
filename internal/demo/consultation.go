package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/consultation"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// ConsultationStaff is the demo's admin of 住建局 (ZJ), who drafts and
// moderates its consultations; 市场监管局's consultations are scjg-admin's.
var ConsultationStaff = Login{Username: "zj-admin", Role: "dept_admin@ZJ"}

// The demo consultations' titles, for tests and the README.
const (
	OpenConsultationTitle   = "临江市生活垃圾分类管理办法（征求意见稿）"
	ClosedConsultationTitle = "临江市餐饮服务食品安全管理规定（征求意见稿）"
)

// LoadConsultations loads the demo consultations once (when there are
// none): an open one of 住建局 on waste sorting with comments on the whole
// draft, on sections and on passages, one of them hidden for abuse; and a
// closed one of 市场监管局 with comments answered one by one and in a
// group, and its published adoption report. It also seeds zj-admin. The
// comments are written on a clock set back in time; loc is the platform
// time zone.
func LoadConsultations(ctx context.Context, d *db.DB, ids *identity.Store, loc *time.Location) error {
	if _, err := seedStaff(ctx, ids, staff{"zj-admin", "韩管理", "ZJ", []identity.Role{identity.DeptAdmin}}); err != nil {
		return err
	}
	var n int
	if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM consultations`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	pr := map[string]*identity.Principal{}
	for _, u := range []string{"zj-admin", "scjg-admin", "zhangsan", "lisi", "wangwu"} {
		a, err := ids.AccountByUsername(ctx, u)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", u, err)
		}
		if pr[u], err = ids.Principal(ctx, a.ID); err != nil {
			return err
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	today := time.Now().In(loc)
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format(time.DateOnly) }
	var clock time.Time
	at := func(offset int, hour int) { // move the clock to a day and hour
		t := today.AddDate(0, 0, offset)
		clock = time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, loc)
	}
	// The demo's report was published weeks ago: its notices would be
	// stale, so none are queued.
	s := consultation.NewStore(d, loc, func() time.Time { return clock }).WithNotifier(
		func(context.Context, *db.Tx, notify.Notice) error { return nil })

	// The closed one: 市场监管局, over ten days ago.
	at(-45, 9)
	closed, err := s.Create(ctx, pr["scjg-admin"], consultation.Input{Title: ClosedConsultationTitle,
		Summary:  "为规范餐饮服务经营行为，保障公众饮食安全，根据《中华人民共和国食品安全法》等法律法规，结合本市实际，起草本规定。",
		OpensOn:  day(-40),
		ClosesOn: day(-11),
		Sections: []consultation.SectionInput{
			{Heading: "适用范围", Body: "本市行政区域内从事餐饮服务经营活动及其监督管理，适用本规定。"},
			{Heading: "明厨亮灶", Body: "餐饮服务提供者应当在加工制作区域设置透明玻璃或者视频设备，向消费者展示加工制作过程。\n鼓励通过互联网向社会公开后厨视频。"},
			{Heading: "从业人员健康", Body: "从事接触直接入口食品工作的从业人员，应当每年进行健康检查，取得健康证明后方可上岗。"},
			{Heading: "网络订餐", Body: "入网餐饮服务提供者应当在网络平台公示营业执照、食品经营许可证和量化分级信息。"},
		}})
	if err != nil {
		return fmt.Errorf("demo consultation: %w", err)
	}
	if _, err := s.Publish(ctx, pr["scjg-admin"], closed.ID); err != nil {
		return fmt.Errorf("demo consultation: %w", err)
	}
	type note struct {
		user, passage, text string
		section, day        int
	}
	comment := func(c *consultation.Consultation, n note) (*consultation.Comment, error) {
		at(n.day, 10+len(n.text)%8)
		cm, err := s.AddComment(ctx, pr[n.user], c.ID, consultation.CommentInput{Section: n.section, Passage: n.passage, Text: n.text})
		if err != nil {
			return nil, fmt.Errorf("demo comment %q: %w", n.text, err)
		}
		return cm, nil
	}
	var cs []*consultation.Comment
	for _, n := range []note{
		{user: "zhangsan", section: 2, passage: "设置透明玻璃或者视频设备", text: "建议明确小型餐馆可以只设视频设备，透明玻璃改造成本较高。", day: -38},
		{user: "lisi", section: 2, text: "后厨视频应当强制公开，而不只是鼓励。", day: -35},
		{user: "wangwu", section: 2, text: "作为餐饮企业，支持明厨亮灶，但希望给半年过渡期。", day: -30},
		{user: "lisi", section: 3, passage: "每年进行健康检查", text: "建议健康证明电子化，线上可查，不用再贴在墙上。", day: -25},
		{user: "zhangsan", section: 0, text: "整体赞成。希望增加对外卖包装封签的要求。", day: -20},
	} {
		cm, err := comment(closed, n)
		if err != nil {
			return err
		}
		cs = append(cs, cm)
	}
	at(-8, 9)
	scjg := pr["scjg-admin"]
	g, err := s.CreateGroup(ctx, scjg, closed.ID, consultation.GroupInput{Title: "明厨亮灶的方式和过渡期", Comments: []string{cs[0].ID, cs[2].ID}})
	if err != nil {
		return fmt.Errorf("demo group: %w", err)
	}
	for _, a := range []consultation.AnswerInput{
		{GroupID: g.ID, Verdict: consultation.Adopted, Reason: "第二条修改为“设置透明玻璃或者视频设备之一”，并规定自施行之日起六个月内完成改造。"},
		{CommentID: cs[1].ID, Verdict: consultation.NotAdopted, Reason: "后厨视频涉及从业人员个人信息，上位法未作强制规定，保留鼓励性条款。"},
		{CommentID: cs[3].ID, Verdict: consultation.Partly, Reason: "健康证明将纳入电子证照，可在线查验；现场公示要求暂予保留。"},
		{CommentID: cs[4].ID, Verdict: consultation.Adopted, Reason: "增加一款：外卖食品应当使用封签。"},
	} {
		if err := s.Answer(ctx, scjg, closed.ID, a); err != nil {
			return fmt.Errorf("demo answer: %w", err)
		}
	}
	at(-6, 15)
	if _, err := s.PublishReport(ctx, scjg, closed.ID, "征求意见期间共收到意见 5 条，其中采纳 3 条、部分采纳 1 条、不予采纳 1 条。感谢市民和企业的参与，规定修改稿已报市政府审议。"); err != nil {
		return fmt.Errorf("demo report: %w", err)
	}

	// The open one: 住建局, closing in three weeks.
	at(-7, 9)
	open, err := s.Create(ctx, pr["zj-admin"], consultation.Input{Title: OpenConsultationTitle,
		Summary:  "为推进生活垃圾分类，改善人居环境，促进资源循环利用，根据《中华人民共和国固体废物污染环境防治法》，起草本办法，现公开征求社会意见。",
		OpensOn:  day(-5),
		ClosesOn: day(21),
		Sections: []consultation.SectionInput{
			{Heading: "目的和依据", Body: "为了加强生活垃圾分类管理，改善人居环境，促进资源循环利用，根据有关法律法规，结合本市实际，制定本办法。"},
			{Heading: "分类标准", Body: "本市生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。\n大件垃圾和装修垃圾应当单独投放。"},
			{Heading: "投放要求", Body: "单位和个人应当按照分类标准，将生活垃圾分类投放至相应的收集容器。\n居住区实行定时定点投放，投放时间由物业服务企业公示。"},
			{Heading: "收运处理", Body: "分类投放的生活垃圾应当分类收集、分类运输、分类处理，禁止混装混运。"},
			{Heading: "法律责任", Body: "个人违反分类投放规定的，由城市管理部门责令改正；拒不改正的，处五十元以上二百元以下罚款。"},
		}})
	if err != nil {
		return fmt.Errorf("demo consultation: %w", err)
	}
	at(-6, 9)
	if _, err := s.Publish(ctx, pr["zj-admin"], open.ID); err != nil {
		return fmt.Errorf("demo consultation: %w", err)
	}
	var rude *consultation.Comment
	for i, n := range []note{
		{user: "zhangsan", section: 0, text: "支持垃圾分类。希望小区里多设几个投放点，老人走不了太远。", day: -4},
		{user: "lisi", section: 3, passage: "居住区实行定时定点投放", text: "定时投放对上班族不友好，建议早晚各延长一小时，并设置误时投放点。", day: -3},
		{user: "wangwu", section: 5, text: "罚款标准建议区分首次和多次违规，首次以教育为主。", day: -2},
		{user: "lisi", section: 2, text: "写这个办法的人都是饭桶，脑子进水了！", day: -2},
		{user: "zhangsan", section: 4, passage: "禁止混装混运", text: "经常看到收运车把分好的垃圾又倒在一起，建议公开收运车辆的 GPS 轨迹接受监督。", day: -1},
	} {
		cm, err := comment(open, n)
		if err != nil {
			return err
		}
		if i == 3 {
			rude = cm
		}
	}
	at(-1, 16)
	return s.Hide(ctx, pr["zj-admin"], open.ID, rude.ID, "abusive", "含针对起草人员的人身攻击，请就条文内容提出意见。")
}
