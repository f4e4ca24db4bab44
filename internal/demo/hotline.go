package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/identity"
)

// Open311Key is the demo API key for trying the Open311 API.
const Open311Key = "demo-open311-key"

// hotlineCategories is the demo category tree of the 12345 hotline, with
// some Open311 attributes.
var hotlineCategories = []hotline.Category{
	{Code: "ROAD", Name: "道路交通", NameEn: "Roads and traffic", Position: 1},
	{Code: "POTHOLE", ParentCode: "ROAD", Name: "道路坑洼", NameEn: "Potholes", Description: "路面破损、坑洼、井盖缺失", Position: 1, Attributes: []hotline.Attribute{
		{Code: "size", Description: "坑洼大小 / Size", Datatype: "singlevaluelist", Required: true, Values: []hotline.AttrValue{
			{Key: "small", Name: "小于 30 厘米 / under 30 cm"}, {Key: "large", Name: "30 厘米以上 / 30 cm or more"}, {Key: "manhole", Name: "井盖缺失 / missing manhole cover"}}},
		{Code: "lane", Description: "所在车道或位置 / Lane or spot", Datatype: "string"},
	}},
	{Code: "STREETLIGHT", ParentCode: "ROAD", Name: "路灯故障", NameEn: "Street lights", Position: 2, Attributes: []hotline.Attribute{
		{Code: "pole", Description: "灯杆编号 / Pole number", Datatype: "string"},
		{Code: "count", Description: "不亮的盏数 / Lights out", Datatype: "number"},
	}},
	{Code: "ENV", Name: "环境秩序", NameEn: "Environment and order", Position: 2},
	{Code: "NOISE", ParentCode: "ENV", Name: "噪声扰民", NameEn: "Noise", Position: 1, Attributes: []hotline.Attribute{
		{Code: "when", Description: "发生时段 / When", Datatype: "singlevaluelist", Required: true, Values: []hotline.AttrValue{
			{Key: "day", Name: "白天 / day"}, {Key: "night", Name: "夜间 22 时后 / after 22:00"}}},
	}},
	{Code: "GARBAGE", ParentCode: "ENV", Name: "垃圾清运", NameEn: "Rubbish collection", Position: 2},
	{Code: "MARKET", Name: "市场监管", NameEn: "Market supervision", Position: 3},
	{Code: "FOOD", ParentCode: "MARKET", Name: "食品安全", NameEn: "Food safety", Position: 1, Attributes: []hotline.Attribute{
		{Code: "shop", Description: "商家名称 / Shop name", Datatype: "string", Required: true},
	}},
	{Code: "PRICE", ParentCode: "MARKET", Name: "价格欺诈", NameEn: "Price fraud", Position: 2},
	{Code: "SOCIAL", Name: "社会保障", NameEn: "Social security", Position: 4},
	{Code: "PENSION", ParentCode: "SOCIAL", Name: "社保养老", NameEn: "Pensions and social insurance", Position: 1},
	{Code: "MEDICAL", ParentCode: "SOCIAL", Name: "医保报销", NameEn: "Medical insurance", Position: 2},
}

// hotlineRules suggest a department per category; Binjiang's market
// problems go to its district bureau.
var hotlineRules = []hotline.Rule{
	{CategoryCode: "ROAD", DepartmentCode: "ZJ"},
	{CategoryCode: "GARBAGE", DepartmentCode: "ZJ"},
	{CategoryCode: "NOISE", DepartmentCode: "GA"},
	{CategoryCode: "MARKET", DepartmentCode: "SCJG"},
	{CategoryCode: "MARKET", DivisionCode: "339901", DepartmentCode: "BJSCJG"},
	{CategoryCode: "PENSION", DepartmentCode: "RS"},
	{CategoryCode: "MEDICAL", DepartmentCode: "YB"},
}

// LoadHotline loads the demo hotline: the categories and dispatch rules
// (once, when there are no categories), the Open311 key demo-open311-key,
// and tickets of every kind and state (once, when there are no tickets):
// waiting for dispatch, returned, dispatched, in hand, overdue, replied,
// reopened after an unsatisfied callback, closed, merged, name-protected
// and an anonymous telephone call. deps are the platform's hotline
// dependencies; the tickets, filed only withTickets, are filed on a clock
// set back in time, then a warning scan marks the late ones.
func LoadHotline(ctx context.Context, deps hotline.Deps, ids *identity.Store, withTickets bool) error {
	real := hotline.NewStore(deps)
	pr := func(username string) (*identity.Principal, error) {
		a, err := ids.AccountByUsername(ctx, username)
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", username, err)
		}
		return ids.Principal(ctx, a.ID)
	}
	admin, err := pr("admin")
	if err != nil {
		return err
	}
	cats, err := real.Categories(ctx)
	if err != nil {
		return err
	}
	if len(cats) == 0 {
		for _, c := range hotlineCategories {
			c.Active = true
			if _, err := real.PutCategory(ctx, admin, c); err != nil {
				return fmt.Errorf("demo category %s: %w", c.Code, err)
			}
		}
		for _, r := range hotlineRules {
			if _, err := real.PutRule(ctx, admin, r); err != nil {
				return fmt.Errorf("demo rule %s: %w", r.CategoryCode, err)
			}
		}
	}
	key, err := real.SeedKey(ctx, "演示应用 / demo app", Open311Key)
	if err != nil {
		return err
	}
	if !withTickets {
		return nil
	}
	if have, err := real.PublicList(ctx, hotline.Filter{Limit: 1}); err != nil || len(have) > 0 {
		return err
	}
	now := time.Now()
	if deps.Now != nil {
		now = deps.Now()
	}
	clock := now
	deps.Now = func() time.Time { return clock }
	h := hotline.NewStore(deps)
	people := map[string]*identity.Principal{}
	for _, u := range []string{"zhangsan", "lisi", "wangwu", "rexian", "jiancha", "zj-clerk", "scjg-clerk", "ga-clerk", "rs-clerk"} {
		if people[u], err = pr(u); err != nil {
			return err
		}
	}
	f := func(v float64) *float64 { return &v }
	// step runs one action on the demo clock, daysAgo days before now.
	var failed error
	step := func(daysAgo int, what string, fn func() (*hotline.Ticket, error)) *hotline.Ticket {
		if failed != nil {
			return nil
		}
		clock = now.AddDate(0, 0, -daysAgo)
		t, err := fn()
		if err != nil {
			failed = fmt.Errorf("demo ticket %s: %w", what, err)
		}
		return t
	}
	file := func(daysAgo int, user string, in hotline.Input) *hotline.Ticket {
		return step(daysAgo, in.Text, func() (*hotline.Ticket, error) { return h.File(ctx, people[user], hotline.Web, in, nil) })
	}
	dispatch := func(daysAgo int, t *hotline.Ticket, dept string) *hotline.Ticket {
		return step(daysAgo, "dispatch", func() (*hotline.Ticket, error) { return h.Dispatch(ctx, people["rexian"], t.ID, dept, "") })
	}
	sign := func(daysAgo int, t *hotline.Ticket, user string) *hotline.Ticket {
		return step(daysAgo, "sign", func() (*hotline.Ticket, error) { return h.Sign(ctx, people[user], t.ID) })
	}
	reply := func(daysAgo int, t *hotline.Ticket, user, text string) *hotline.Ticket {
		return step(daysAgo, "reply", func() (*hotline.Ticket, error) { return h.Reply(ctx, people[user], t.ID, text) })
	}
	callback := func(daysAgo int, t *hotline.Ticket, user string, solved bool, sat hotline.Satisfaction, comment string) *hotline.Ticket {
		return step(daysAgo, "callback", func() (*hotline.Ticket, error) {
			return h.Callback(ctx, people[user], t.ID, solved, sat, comment)
		})
	}

	// A pothole on Jiangnan Avenue, dispatched to housing and
	// construction, not yet signed for.
	pothole := file(2, "zhangsan", hotline.Input{Kind: hotline.Complaint, Category: "POTHOLE", Text: "江南大道与滨江路交叉口东侧有一个大坑，晚上骑电动车很危险，已经有人摔倒。",
		Address: "临江市滨江区江南大道与滨江路交叉口", Division: "339901", Lat: f(30.2741), Lon: f(120.1551), Attributes: map[string]string{"size": "large", "lane": "非机动车道"}})
	if pothole != nil {
		pothole = dispatch(2, pothole, "")
	}
	// The same pothole from an Open311 app, merged into the first.
	dup := step(1, "open311 pothole", func() (*hotline.Ticket, error) {
		return h.FileOpen311(ctx, key, hotline.Input{Category: "POTHOLE", Text: "江南大道滨江路口东侧路面有大坑，电动车容易摔倒。", Lat: f(30.2743), Lon: f(120.1553),
			ReporterEmail: "reporter@example.com", Attributes: map[string]string{"size": "large"}})
	})
	if dup != nil && pothole != nil {
		step(1, "merge", func() (*hotline.Ticket, error) { return h.Merge(ctx, people["rexian"], dup.ID, pothole.ID) })
	}
	// A pension question waiting for the dispatcher.
	file(0, "lisi", hotline.Input{Kind: hotline.Inquiry, Category: "PENSION", Text: "退休后从外省转回临江，养老保险关系转移需要多长时间？需要本人到窗口吗？"})
	// A night-time noise complaint handled by the police, long overdue.
	noise := file(20, "zhangsan", hotline.Input{Kind: hotline.Complaint, Category: "NOISE", Text: "小区楼下烧烤店每晚营业到凌晨两点，噪声很大，影响休息。",
		Address: "临江市西湖湾区湖滨路 18 号", Division: "339902", Attributes: map[string]string{"when": "night"}})
	if noise != nil {
		noise = dispatch(20, noise, "")
		sign(19, noise, "ga-clerk")
	}
	// A name-protected report (举报) of a restaurant, in hand at market
	// supervision.
	food := file(3, "wangwu", hotline.Input{Kind: hotline.Report, Category: "FOOD", Protection: hotline.Protected, Text: "某餐馆后厨使用过期食材，员工无健康证上岗。",
		Address: "临江市江南大道 200 号", Attributes: map[string]string{"shop": "江南小馆"}})
	if food != nil {
		food = dispatch(3, food, "SCJG")
		sign(2, food, "scjg-clerk")
	}
	// Sent to the police by mistake and returned: waiting for dispatch.
	price := file(4, "lisi", hotline.Input{Kind: hotline.Complaint, Category: "PRICE", Text: "超市标价 9.9 元的鸡蛋结账时按 15.8 元收费。", Address: "临江市湖滨路 66 号",
		Attributes: map[string]string{}})
	if price != nil {
		price = dispatch(4, price, "GA")
		step(3, "return", func() (*hotline.Ticket, error) {
			return h.Return(ctx, people["ga-clerk"], price.ID, "价格欺诈由市场监管部门处理，非本单位职责。")
		})
	}
	// Rubbish left for days: answered, waiting for the callback.
	garbage := file(6, "lisi", hotline.Input{Kind: hotline.Suggestion, Category: "GARBAGE", Text: "建议湖滨小区垃圾每天清运两次，夏天气味太大。", Address: "临江市湖滨小区"})
	if garbage != nil {
		garbage = dispatch(6, garbage, "")
		sign(5, garbage, "zj-clerk")
		reply(1, garbage, "zj-clerk", "已协调环卫公司自下周起夏季每日清运两次。")
	}
	// A street light: answered, the reporter unsatisfied, reopened.
	light := file(8, "zhangsan", hotline.Input{Kind: hotline.Help, Category: "STREETLIGHT", Text: "滨江路 12 号到 30 号之间的路灯全部不亮。", Address: "临江市滨江路 12–30 号",
		Attributes: map[string]string{"count": "6"}})
	if light != nil {
		light = dispatch(8, light, "")
		sign(8, light, "zj-clerk")
		reply(6, light, "zj-clerk", "已安排维修。")
		callback(1, light, "zhangsan", false, hotline.Unsatisfied, "过了五天还是不亮。")
	}
	// Praise for the social insurance window: answered and closed.
	praise := file(10, "wangwu", hotline.Input{Kind: hotline.Praise, Category: "PENSION", Text: "人社局窗口的工作人员耐心细致，一次就帮我办好了。"})
	if praise != nil {
		praise = dispatch(10, praise, "")
		sign(10, praise, "rs-clerk")
		reply(9, praise, "rs-clerk", "感谢您的肯定，我们会继续努力。")
		callback(8, praise, "wangwu", true, hotline.Satisfied, "")
	}
	// A medical insurance question dispatched today: due tomorrow, so
	// yellow once the scan runs.
	medical := file(0, "zhangsan", hotline.Input{Kind: hotline.Inquiry, Category: "PENSION", Text: "灵活就业人员养老保险的缴费基数怎么选？"})
	if medical != nil {
		medical = dispatch(0, medical, "")
		sign(0, medical, "rs-clerk")
	}
	// An anonymous telephone call about noise, typed in by the dispatcher.
	step(0, "phone", func() (*hotline.Ticket, error) {
		return h.File(ctx, people["rexian"], hotline.Phone, hotline.Input{Kind: hotline.Report, Category: "NOISE", Protection: hotline.Anonymous,
			Text: "工地夜间违规施工，打桩声持续到凌晨。", Address: "临江市西湖湾区湖滨路工地", Attributes: map[string]string{"when": "night"}}, nil)
	})
	// An Open311 report answered and confirmed by the dispatcher's
	// callback: closed, its reply public through Open311.
	o311 := step(12, "open311 light", func() (*hotline.Ticket, error) {
		return h.FileOpen311(ctx, key, hotline.Input{Category: "STREETLIGHT", Text: "湖滨路公交站旁路灯闪烁。", Address: "临江市湖滨路公交站", Attributes: map[string]string{"pole": "HB-017"}})
	})
	if o311 != nil {
		o311 = dispatch(12, o311, "")
		sign(12, o311, "zj-clerk")
		reply(11, o311, "zj-clerk", "已更换灯具，恢复正常照明。")
		callback(10, o311, "rexian", true, hotline.Basic, "电话回访")
	}
	if failed != nil {
		return failed
	}
	_, err = real.ScanWarnings(ctx)
	return err
}
