package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
)

// The demo applications: one or more in every state an application can be
// in, filed by the demo citizens and the demo business through the
// application store's own API, so each has its materials, tasks, deadlines
// and timeline exactly as a real one would. They are filed with a clock set
// back by some working days, so that some open tasks are near their
// deadline (yellow) and some past it (red) when the warning scan runs.
//
// Each is created under an idempotency key; a scenario whose application
// has left the draft state already is skipped, so loading the demo again
// files nothing twice.

// TinyPDF is a minimal one-page PDF, the content of the demo uploads.
const TinyPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// TinyPNG returns a real 1×1 PNG image.
func TinyPNG() []byte {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	return buf.Bytes()
}

// filer files the demo applications with a movable clock.
type filer struct {
	ctx   context.Context
	apps  *application.Store
	cal   *calendar.Calendar
	loc   *time.Location
	now   time.Time // the real time
	today calendar.Date
	clock time.Time // the time the store sees
	who   map[string]*identity.Principal
	orgID string
}

// at sets the clock to hh:mm on the k-th working day before today.
func (f *filer) at(k int, hh, mm int) {
	d := f.cal.AddWorkdays(f.today, -k)
	f.clock = time.Date(d.Year, d.Month, d.Day, hh, mm, 0, 0, f.loc)
}

// ago sets the clock to d before now.
func (f *filer) ago(d time.Duration) { f.clock = f.now.Add(-d) }

func (f *filer) principal(username string) (*identity.Principal, error) {
	p, ok := f.who[username]
	if !ok {
		return nil, fmt.Errorf("demo account %s missing", username)
	}
	return p, nil
}

// draft creates the draft of a scenario (as the organization's agent when
// forOrg is set), fills in the form and uploads the materials not uploaded
// yet. It returns nil when the scenario's application was filed already.
func (f *filer) draft(key, username, code string, forOrg bool, form map[string]any, materials ...string) (*application.Application, error) {
	p, err := f.principal(username)
	if err != nil {
		return nil, err
	}
	var who application.Applicant
	if forOrg {
		who.OrganizationID = f.orgID
	}
	a, err := f.apps.CreateDraft(f.ctx, p, code, who, "demo:"+key)
	if err != nil {
		return nil, fmt.Errorf("demo application %s: %w", key, err)
	}
	if a.State != application.Draft {
		return nil, nil
	}
	// A draft never saved has only what the platform prefilled; the
	// scenario's answers go over it.
	if form != nil && a.Revision == 1 {
		merged := map[string]any{}
		if err := json.Unmarshal(a.Form, &merged); err != nil {
			return nil, err
		}
		for k, v := range form {
			merged[k] = v
		}
		raw, err := json.Marshal(merged)
		if err != nil {
			return nil, err
		}
		if a, err = f.apps.SaveDraft(f.ctx, p, a.ID, raw, a.Revision); err != nil {
			return nil, fmt.Errorf("demo application %s: save: %w", key, err)
		}
	}
	// What the platform took from the applicant's licenses or the
	// online form is not uploaded again (免提交).
	have := map[string]bool{}
	for _, m := range a.Materials {
		have[m.RequirementCode] = true
	}
	for _, m := range a.Fulfilments {
		if m.Active() {
			have[m.RequirementCode] = true
		}
	}
	for i, code := range materials {
		if have[code] {
			continue
		}
		if err := f.upload(p, a.ID, code, i); err != nil {
			return nil, fmt.Errorf("demo application %s: %w", key, err)
		}
	}
	return a, nil
}

// upload files a small PDF or, for every other material, a PNG scan.
func (f *filer) upload(p *identity.Principal, id, requirement string, i int) error {
	name, content := requirement+".pdf", []byte(TinyPDF)
	if i%2 == 1 {
		name, content = requirement+".png", TinyPNG()
	}
	_, err := f.apps.AddMaterial(f.ctx, p, id, requirement, name, bytes.NewReader(content))
	return err
}

func (f *filer) submit(a *application.Application, username string) (*application.Application, error) {
	p, err := f.principal(username)
	if err != nil {
		return nil, err
	}
	b, err := f.apps.Submit(f.ctx, p, a.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("demo application %s: submit: %w", a.ServiceCode, err)
	}
	return b, nil
}

// act decides the open task of step on behalf of username.
func (f *filer) act(a *application.Application, step, username string, d application.Decision) (*application.Application, error) {
	p, err := f.principal(username)
	if err != nil {
		return nil, err
	}
	for _, t := range a.Tasks {
		if t.StepID == step && t.State == application.TaskOpen {
			b, err := f.apps.Decide(f.ctx, p, t.ID, d)
			if err != nil {
				return nil, fmt.Errorf("demo application %s %s: %s %s: %w", a.ServiceCode, a.Number, step, d.Action, err)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("demo application %s %s: no open %s task", a.ServiceCode, a.Number, step)
}

// step is one action of a scenario, at a time on the movable clock.
type step struct {
	when func(f *filer)
	do   func(f *filer, a *application.Application) (*application.Application, error)
}

func at(k, hh, mm int) func(*filer)    { return func(f *filer) { f.at(k, hh, mm) } }
func ago(d time.Duration) func(*filer) { return func(f *filer) { f.ago(d) } }

func submitBy(username string) func(*filer, *application.Application) (*application.Application, error) {
	return func(f *filer, a *application.Application) (*application.Application, error) {
		return f.submit(a, username)
	}
}

// answerBy answers the open supplement request as username, uploading a
// new file for each material it asks for.
func answerBy(username, note string) func(*filer, *application.Application) (*application.Application, error) {
	return func(f *filer, a *application.Application) (*application.Application, error) {
		p, err := f.principal(username)
		if err != nil {
			return nil, err
		}
		req := a.OpenSupplement()
		if req == nil {
			return nil, fmt.Errorf("demo application %s: no supplement request to answer", a.Number)
		}
		for _, it := range req.Items {
			if it.Material != "" {
				if err := f.upload(p, a.ID, it.Material, 1); err != nil {
					return nil, fmt.Errorf("demo application %s: %w", a.Number, err)
				}
			}
		}
		b, err := f.apps.AnswerSupplement(f.ctx, p, a.ID, nil, note)
		if err != nil {
			return nil, fmt.Errorf("demo application %s: answer: %w", a.Number, err)
		}
		return b, nil
	}
}

func decide(stepID, username string, d application.Decision) func(*filer, *application.Application) (*application.Application, error) {
	return func(f *filer, a *application.Application) (*application.Application, error) {
		return f.act(a, stepID, username, d)
	}
}

// scenario is one demo application and what happens to it.
type scenario struct {
	key, username, service string
	forOrg                 bool
	form                   map[string]any
	materials              []string
	created                func(*filer)
	steps                  []step
}

func (f *filer) run(s scenario) error {
	s.created(f)
	a, err := f.draft(s.key, s.username, s.service, s.forOrg, s.form, s.materials...)
	if err != nil || a == nil {
		return err
	}
	for _, st := range s.steps {
		st.when(f)
		if a, err = st.do(f, a); err != nil {
			return err
		}
	}
	return nil
}

var (
	accept   = application.Decision{Action: application.ActAccept}
	conclude = application.Decision{Action: application.ActConclude}
)

func pass(opinion string) application.Decision {
	return application.Decision{Action: application.ActPass, Opinion: opinion}
}

func approve(opinion string) application.Decision {
	return application.Decision{Action: application.ActApprove, Opinion: opinion}
}

// scenarios lists the demo applications, oldest first.
func (f *filer) scenarios() []scenario {
	creditCode := ""
	if c, err := idcheck.CreditCodeCheckChar(BusinessCreditFirst17); err == nil {
		creditCode = BusinessCreditFirst17 + string(c)
	}
	lisiID := "33990019921115242"
	if c, err := idcheck.IDNumberCheckChar(lisiID); err == nil {
		lisiID += string(c)
	}
	babyID := "33990020250618002"
	if c, err := idcheck.IDNumberCheckChar(babyID); err == nil {
		babyID += string(c)
	}
	return []scenario{
		{
			// Concluded, approved, with its decision letter.
			key: "sole-trader-approved", username: "zhangsan", service: "SCJG-002",
			form: map[string]any{"个体工商户名称": "临江市滨江区张三小吃店", "经营者姓名": "张三", "组成形式": "个人经营",
				"经营场所": "临江市滨江区春晓路 28 号 1 楼", "经营范围": "小吃服务；预包装食品销售", "从业人数": 2},
			materials: []string{"m1", "m2", "m3"}, created: at(10, 19, 40),
			steps: []step{
				{at(10, 19, 52), submitBy("zhangsan")},
				{at(9, 9, 15), decide("accept", "scjg-clerk", accept)},
				{at(9, 15, 30), decide("decide", "scjg-approver", approve("材料齐全，符合法定形式，准予登记。"))},
				{at(8, 10, 5), decide("conclude", "scjg-clerk", conclude)},
			},
		},
		{
			// Concluded, denied: the letter gives the reasons and legal basis.
			key: "fund-withdrawal-denied", username: "lisi", service: "GJJ-001",
			form:      map[string]any{"提取原因": "租赁住房", "提取金额": 30000, "开户银行": "临江农商银行", "银行账号": "6230910000087654321"},
			materials: []string{"m1", "m2", "m3"}, created: at(8, 12, 10),
			steps: []step{
				{at(8, 12, 20), submitBy("lisi")},
				{at(7, 9, 40), decide("accept", "gjj-clerk", accept)},
				{at(7, 14, 0), decide("decide", "gjj-approver", application.Decision{Action: application.ActDeny,
					Opinion:    "本年度已按租赁住房提取，本次申请金额超过年度租房提取限额。",
					LegalBasis: "《住房公积金管理条例》第二十四条；《临江市住房公积金提取管理办法》第八条"})},
				{at(6, 10, 30), decide("conclude", "gjj-clerk", conclude)},
			},
		},
		{
			// A joint approval in its last step: two of the fund's approvers
			// countersign (会签); one has signed, one has not, and the
			// deadline has passed.
			key: "housing-loan-countersign", username: "zhangsan", service: "GJJ-002",
			form: map[string]any{"贷款金额": 60, "贷款期限": 25, "还款方式": "等额本息",
				"房屋坐落": "临江市滨江区春晓路 66 号 5 幢 1201 室", "房屋总价": 180, "配偶是否共同申请": false},
			materials: []string{"m1", "m2", "m3", "m4", "m5"}, created: at(7, 20, 5),
			steps: []step{
				{at(7, 20, 30), submitBy("zhangsan")},
				{at(6, 9, 30), decide("accept", "gjj-clerk", accept)},
				{at(5, 16, 10), decide("gjj_review", "gjj-reviewer", pass("借款人缴存记录连续，收入证明与缴存基数相符，还款能力满足要求。"))},
				{at(4, 11, 0), decide("zj_check", "zj-approver", pass("购房合同已网签备案，房屋无查封、抵押登记。"))},
				{at(3, 10, 20), decide("decide", "gjj-approver", approve("同意发放贷款。"))},
			},
		},
		{
			// Refused at intake (不予受理), with the reason and legal basis.
			key: "sole-trader-refused", username: "lisi", service: "SCJG-002",
			form: map[string]any{"经营者姓名": "李四", "组成形式": "个人经营", "经营场所": "杭州市西湖区文三路 90 号",
				"经营范围": "服装零售", "从业人数": 1},
			materials: []string{"m1", "m2", "m3"}, created: at(4, 21, 0),
			steps: []step{
				{at(4, 21, 10), submitBy("lisi")},
				{at(3, 9, 50), decide("accept", "scjg-clerk", application.Decision{Action: application.ActRefuse,
					Opinion:    "经营场所不在本市，申请事项依法不属于本机关职权范围，请向经营场所所在地登记机关申请。",
					LegalBasis: "《中华人民共和国行政许可法》第三十二条第一款第（二）项"})},
			},
		},
		{
			// Accepted and in parallel review by two departments: housing
			// and construction, and fire and rescue. The fire review is past
			// its deadline (red), the construction review due today (yellow).
			key: "fire-design-parallel", username: "wangwu", service: "ZJ-003", forOrg: true,
			materials: []string{"m1", "m2", "m3"}, created: at(6, 15, 10),
			steps: []step{
				{at(6, 15, 30), submitBy("wangwu")},
				{at(5, 9, 20), decide("accept", "zj-clerk", accept)},
			},
		},
		{
			// Waiting for intake for three working days: red.
			key: "marriage-record-late", username: "lisi", service: "MZ-003",
			materials: []string{"m1"}, created: at(3, 10, 5),
			steps: []step{{at(3, 10, 12), submitBy("lisi")}},
		},
		{
			// Food business licence for a restaurant of 860 m²: over 500 m²
			// the fire review branch runs too. The market regulator's review
			// has passed; the fire review is still open.
			key: "food-licence-branch", username: "wangwu", service: "SCJG-001", forOrg: true,
			form: map[string]any{"经营者名称": "临江市味道餐饮有限公司", "统一社会信用代码": creditCode,
				"经营场所地址": "临江市滨江区江南大道 88 号", "经营面积": 860, "主体业态": "餐饮服务经营者",
				"经营项目": []string{"热食类食品制售", "冷食类食品制售", "自制饮品制售"}, "食品安全管理人员": "王五"},
			materials: []string{"m1", "m2", "m3", "m4", "m5"}, created: at(3, 9, 30),
			steps: []step{
				{at(3, 10, 0), submitBy("wangwu")},
				{at(2, 9, 10), decide("accept", "scjg-clerk", accept)},
				{at(1, 16, 0), decide("scjg_review", "scjg-reviewer", pass("材料齐全；现场核查功能区布局与平面图一致，符合要求。"))},
			},
		},
		{
			// The same licence for a 45 m² tea shop: no fire review branch,
			// the market regulator's review is open.
			key: "food-licence-small", username: "lisi", service: "SCJG-001",
			form: map[string]any{"经营者名称": "临江市滨江区李四茶饮店", "经营场所地址": "临江市滨江区春晓路 18 号底商 3 号",
				"经营面积": 45, "主体业态": "餐饮服务经营者", "经营项目": []string{"自制饮品制售", "糕点类食品制售"}, "食品安全管理人员": "李四"},
			materials: []string{"m1", "m2", "m3", "m4", "m5"}, created: at(2, 19, 0),
			steps: []step{
				{at(2, 19, 20), submitBy("lisi")},
				{at(1, 9, 30), decide("accept", "scjg-clerk", accept)},
			},
		},
		{
			// Waiting for the applicant: intake asked, all at once, for a
			// clearer birth certificate and a corrected bank account.
			key: "childcare-supplement", username: "zhangsan", service: "WJ-002",
			form: map[string]any{"婴幼儿姓名": "张小满", "婴幼儿公民身份号码": babyID, "申请人与婴幼儿关系": "父亲",
				"开户银行": "临江农商银行", "银行账号": "6230910000012345678"},
			materials: []string{"m1", "m2", "m3", "m4"}, created: at(2, 9, 20),
			steps: []step{
				{at(2, 9, 40), submitBy("zhangsan")},
				{at(1, 14, 20), decide("accept", "wj-admin", application.Decision{Action: application.ActSupplement, Items: []application.SupplementItem{
					{Material: "m1", Reason: "出生医学证明照片不清晰，编号无法辨认，请上传清晰完整的扫描件。"},
					{Field: "银行账号", Reason: "银行账号与所附银行账户信息不一致，请核对后更正。"},
				}})},
			},
		},
		{
			// Asked twice: the photo sent in answer to the first request
			// was a photo of a photo, so intake asked again, with the
			// reason supervisors see under 多次补正.
			key: "social-card-second-supplement", username: "lisi", service: "RS-001",
			form:      map[string]any{"领卡方式": "到银行网点领取", "合作银行": "临江农商银行"},
			materials: []string{"m1", "m2"}, created: at(4, 10, 0),
			steps: []step{
				{at(4, 10, 10), submitBy("lisi")},
				{at(3, 9, 0), decide("accept", "rs-clerk", application.Decision{Action: application.ActSupplement, Items: []application.SupplementItem{
					{Material: "m1", Reason: "照片背景不是白色，请上传白底免冠证件照。"},
				}})},
				{at(3, 15, 0), answerBy("lisi", "已重新拍照。")},
				{at(2, 9, 30), decide("accept", "rs-clerk", application.Decision{Action: application.ActSupplement,
					RepeatReason: "补交的照片为翻拍件，无法用于制卡，首次告知时无法预见。",
					Items:        []application.SupplementItem{{Material: "m1", Reason: "请上传原始数码照片，不要翻拍。"}}})},
			},
		},
		{
			// Withdrawn by the applicant before intake.
			key: "medical-filing-withdrawn", username: "zhangsan", service: "YB-002",
			form:      map[string]any{"备案类型": "常驻异地工作人员", "就医地": "上海市", "备案开始日期": f.today.String(), "联系电话": "13800000001"},
			materials: []string{"m1", "m2"}, created: at(2, 11, 0),
			steps: []step{
				{at(2, 11, 5), submitBy("zhangsan")},
				{at(2, 17, 30), func(f *filer, a *application.Application) (*application.Application, error) {
					p, err := f.principal("zhangsan")
					if err != nil {
						return nil, err
					}
					return f.apps.Withdraw(f.ctx, p, a.ID, "单位派驻计划取消，暂不需要备案。")
				}},
			},
		},
		{
			// Accepted; the licence change waits for the approver's decision.
			key: "licence-change-decide", username: "zhangsan", service: "SCJG-004",
			materials: []string{"m1", "m3"}, created: at(2, 13, 0),
			steps: []step{
				{at(2, 13, 10), submitBy("zhangsan")},
				{at(1, 10, 0), decide("accept", "scjg-clerk", accept)},
			},
		},
		{
			// A draft, half filled in.
			key: "subsistence-draft", username: "lisi", service: "MZ-006",
			form:      map[string]any{"申请人姓名": "李四", "家庭住址": "临江市滨江区春晓路 18 号 3 幢 502 室"},
			materials: []string{"m1"}, created: at(1, 20, 15),
		},
		{
			// Submitted today, waiting for intake.
			key: "social-card-submitted", username: "zhangsan", service: "RS-001",
			form:      map[string]any{"领卡方式": "邮寄到家", "合作银行": "临江农商银行", "收件地址": "临江市滨江区春晓路 28 号"},
			materials: []string{"m1", "m2"}, created: ago(50 * time.Minute),
			steps: []step{{ago(40 * time.Minute), submitBy("zhangsan")}},
		},
		{
			// A residence permit: accepted by the police, waiting for
			// their review.
			key: "residence-permit-review", username: "lisi", service: "GA-002",
			form: map[string]any{"公民身份号码": lisiID, "居住地址": "临江市滨江区春晓路 18 号 3 幢 502 室", "申领条件": "合法稳定就业",
				"居住起始日期": f.cal.AddWorkdays(f.today, -120).String(), "工作单位": "临江市滨江区李四茶饮店"},
			materials: []string{"m1", "m2", "m3", "m4"}, created: at(3, 9, 0),
			steps: []step{
				{at(3, 9, 10), submitBy("lisi")},
				{at(2, 10, 0), decide("accept", "ga-clerk", accept)},
			},
		},
		{
			// Medical costs paid out of pocket: accepted by the medical
			// insurance bureau, waiting for its review.
			key: "medical-refund-review", username: "zhangsan", service: "YB-003",
			form: map[string]any{"就医类型": "住院", "就诊医院": "上海市第六人民医院", "就医地": "上海市",
				"就医开始日期": f.cal.AddWorkdays(f.today, -20).String(), "就医结束日期": f.cal.AddWorkdays(f.today, -14).String(),
				"医疗费用总额": 18650.4, "收款银行账号": "6230910000012345678"},
			materials: []string{"m1", "m2", "m3", "m4"}, created: at(4, 20, 30),
			steps: []step{
				{at(4, 20, 40), submitBy("zhangsan")},
				{at(3, 9, 30), decide("accept", "yb-clerk", accept)},
			},
		},
		{
			// The restaurant's first tax registration package: accepted,
			// waiting for the tax bureau's decision.
			key: "new-taxpayer-decide", username: "wangwu", service: "SW-001", forOrg: true,
			materials: []string{"m1", "m2", "m3"}, created: at(2, 14, 0),
			steps: []step{
				{at(2, 14, 10), submitBy("wangwu")},
				{at(1, 9, 45), decide("accept", "sw-clerk", accept)},
			},
		},
		{
			// A small food workshop, submitted this morning: waiting for
			// the district market regulator's intake.
			key: "food-workshop-submitted", username: "lisi", service: "BJSCJG-001",
			materials: []string{"m1", "m2", "m3", "m4", "m5"}, created: ago(3 * time.Hour),
			steps: []step{{ago(170 * time.Minute), submitBy("lisi")}},
		},
		{
			// Submitted today by wangwu for his own fruit shop.
			key: "fruit-shop-submitted", username: "wangwu", service: "SCJG-002",
			form: map[string]any{"个体工商户名称": "临江市滨江区王五水果店", "经营者姓名": "王五", "组成形式": "家庭经营",
				"经营场所": "临江市滨江区江南大道 120 号", "经营范围": "水果零售", "从业人数": 3},
			materials: []string{"m1", "m2", "m3"}, created: ago(30 * time.Minute),
			steps: []step{{ago(20 * time.Minute), submitBy("wangwu")}},
		},
	}
}

// loadApplications files the demo applications that are not there yet and
// runs the warning scan, so the open tasks carry their yellow and red marks.
func loadApplications(ctx context.Context, deps application.Deps, ids *identity.Store) error {
	now := time.Now
	if deps.Now != nil {
		now = deps.Now
	}
	loc := deps.Location
	if loc == nil {
		loc = time.UTC
	}
	cal, err := deps.Calendar.Calendar(ctx)
	if err != nil {
		return err
	}
	f := &filer{ctx: ctx, cal: cal, loc: loc, now: now(), who: map[string]*identity.Principal{}}
	f.today = calendar.DateIn(f.now, loc)
	for _, u := range []string{"zhangsan", "lisi", "wangwu", "rs-clerk", "scjg-clerk", "scjg-reviewer", "scjg-approver", "gjj-clerk", "gjj-reviewer",
		"gjj-approver", "zj-clerk", "zj-approver", "wj-admin", "ga-clerk", "yb-clerk", "sw-clerk"} {
		acc, err := ids.AccountByUsername(ctx, u)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", u, err)
		}
		if f.who[u], err = ids.Principal(ctx, acc.ID); err != nil {
			return err
		}
	}
	orgs, err := ids.Organizations(ctx, f.who["wangwu"].Account.ID)
	if err != nil || len(orgs) == 0 {
		return fmt.Errorf("demo business: %v", err)
	}
	f.orgID = orgs[0].ID
	// A task turns yellow the day before its deadline. On a weekend or
	// holiday no deadline is that close, so a demo loaded then counts one
	// working day more, to still show the yellow marks.
	yellow := max(deps.YellowDays, 1)
	if !cal.IsWorkday(f.today) {
		yellow++
	}
	filing := deps
	filing.Now = func() time.Time { return f.clock }
	filing.YellowDays = yellow
	f.apps = application.NewStore(filing)
	for _, s := range f.scenarios() {
		if err := f.run(s); err != nil {
			return err
		}
	}
	scanning := deps
	scanning.Now = now
	if _, err := application.NewStore(scanning).ScanWarnings(ctx); err != nil {
		return fmt.Errorf("demo applications: warning scan: %w", err)
	}
	return nil
}
