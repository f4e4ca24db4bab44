package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
)

// The demo's shared-data registries, kept by their departments inside
// Tongban: population and household (公安), marriage (民政), market
// entities (市场监管), social insurance (人社), and one resource on the
// negative list. The people and the business are the demo's own, so the
// registries agree with each other and with the accounts: 张三 is married
// and the father in the childcare application, 王五 runs 临江市味道餐饮有限公司,
// 李四 is self-employed.
var registries = []exchange.Resource{
	{Code: "GA-HOUSEHOLD", Department: "GA", Name: "户籍人口信息", NameEn: "Population and household register",
		Description: "常住人口的户籍登记信息：姓名、性别、出生日期、户籍地址、户号与户主。", SubjectKind: exchange.ByIDNumber,
		SharingClass: exchange.Conditional, UpdateFrequency: exchange.Daily, Source: exchange.FromRegistry, Fields: []exchange.Field{
			{Name: "name", Label: "姓名", LabelEn: "Name", Sensitivity: exchange.Personal},
			{Name: "sex", Label: "性别", LabelEn: "Sex", Sensitivity: exchange.Personal},
			{Name: "birth_date", Label: "出生日期", LabelEn: "Date of birth", Sensitivity: exchange.Personal},
			{Name: "household_address", Label: "户籍地址", LabelEn: "Registered address", Sensitivity: exchange.Personal},
			{Name: "household_number", Label: "户号", LabelEn: "Household number", Sensitivity: exchange.Personal},
			{Name: "household_head", Label: "户主姓名", LabelEn: "Head of household", Sensitivity: exchange.Personal},
			{Name: "relation", Label: "与户主关系", LabelEn: "Relation to the head", Sensitivity: exchange.Personal},
		}},
	{Code: "GA-CRIMINAL", Department: "GA", Name: "违法犯罪记录", NameEn: "Criminal records",
		Description: "负面清单：不予共享。", SubjectKind: exchange.ByIDNumber,
		SharingClass: exchange.NotShared, UpdateFrequency: exchange.Daily, Source: exchange.FromRegistry, Fields: []exchange.Field{
			{Name: "records", Label: "违法犯罪记录", LabelEn: "Records", Sensitivity: exchange.SensitivePersonal},
		}},
	{Code: "MZ-MARRIAGE", Department: "MZ", Name: "婚姻登记信息", NameEn: "Marriage register",
		Description: "结婚、离婚登记信息。", SubjectKind: exchange.ByIDNumber,
		SharingClass: exchange.Conditional, UpdateFrequency: exchange.Daily, Source: exchange.FromRegistry, Fields: []exchange.Field{
			{Name: "marital_status", Label: "婚姻状况", LabelEn: "Marital status", Sensitivity: exchange.Personal},
			{Name: "spouse_name", Label: "配偶姓名", LabelEn: "Spouse", Sensitivity: exchange.Personal},
			{Name: "registered_on", Label: "登记日期", LabelEn: "Registered on", Sensitivity: exchange.Personal},
			{Name: "registry_office", Label: "登记机关", LabelEn: "Registry office", Sensitivity: exchange.Internal},
		}},
	{Code: "SCJG-ENTITY", Department: "SCJG", Name: "市场主体登记信息", NameEn: "Market entity register",
		Description: "企业、个体工商户的登记信息（已依法公示）。", SubjectKind: exchange.ByCreditCode,
		SharingClass: exchange.Unconditional, UpdateFrequency: exchange.Realtime, Source: exchange.FromRegistry, Fields: []exchange.Field{
			{Name: "name", Label: "名称", LabelEn: "Name", Sensitivity: exchange.Public},
			{Name: "entity_type", Label: "类型", LabelEn: "Type", Sensitivity: exchange.Public},
			{Name: "legal_representative", Label: "法定代表人", LabelEn: "Legal representative", Sensitivity: exchange.Public},
			{Name: "registered_capital", Label: "注册资本", LabelEn: "Registered capital", Sensitivity: exchange.Public},
			{Name: "established_on", Label: "成立日期", LabelEn: "Established on", Sensitivity: exchange.Public},
			{Name: "address", Label: "住所", LabelEn: "Address", Sensitivity: exchange.Public},
			{Name: "status", Label: "登记状态", LabelEn: "Status", Sensitivity: exchange.Public},
			{Name: "business_scope", Label: "经营范围", LabelEn: "Business scope", Sensitivity: exchange.Public},
		}},
	{Code: "RS-INSURANCE", Department: "RS", Name: "社会保险参保信息", NameEn: "Social insurance register",
		Description: "职工与灵活就业人员的参保和缴费信息。", SubjectKind: exchange.ByIDNumber,
		SharingClass: exchange.Conditional, UpdateFrequency: exchange.Monthly, Source: exchange.FromRegistry, Fields: []exchange.Field{
			{Name: "insured", Label: "参保状态", LabelEn: "Insured", Sensitivity: exchange.Personal},
			{Name: "insurance_types", Label: "参保险种", LabelEn: "Insurance types", Sensitivity: exchange.Personal},
			{Name: "employer", Label: "参保单位", LabelEn: "Employer", Sensitivity: exchange.Personal},
			{Name: "first_paid", Label: "首次参保年月", LabelEn: "First month paid", Sensitivity: exchange.Personal},
			{Name: "months_paid", Label: "累计缴费月数", LabelEn: "Months paid", Sensitivity: exchange.Personal},
		}},
}

// registryRecords returns the demo records by resource and subject key
// (the last characters of ID numbers and the credit code are computed).
func registryRecords() (map[string]map[string]map[string]string, error) {
	id := func(first17 string) (string, error) {
		c, err := idcheck.IDNumberCheckChar(first17)
		return first17 + string(c), err
	}
	zhangsan, err := id(people[0].idFirst17)
	if err != nil {
		return nil, err
	}
	lisi, _ := id(people[1].idFirst17)
	wangwu, _ := id(people[2].idFirst17)
	cc, err := idcheck.CreditCodeCheckChar(BusinessCreditFirst17)
	if err != nil {
		return nil, err
	}
	business := BusinessCreditFirst17 + string(cc)
	return map[string]map[string]map[string]string{
		"GA-HOUSEHOLD": {
			zhangsan: {"name": "张三", "sex": "男", "birth_date": "1990-03-07", "household_address": "临江市滨江区春晓路 28 号",
				"household_number": "339900-0012876", "household_head": "张三", "relation": "户主"},
			lisi: {"name": "李四", "sex": "女", "birth_date": "1992-11-15", "household_address": "临江市滨江区春晓路 18 号 3 幢 502 室",
				"household_number": "339900-0020419", "household_head": "李四", "relation": "户主"},
			wangwu: {"name": "王五", "sex": "男", "birth_date": "1985-06-20", "household_address": "临江市临江区望江路 66 号 2 幢 1201 室",
				"household_number": "339901-0003352", "household_head": "王五", "relation": "户主"},
		},
		"MZ-MARRIAGE": {
			zhangsan: {"marital_status": "已婚", "spouse_name": "陈晓", "registered_on": "2018-05-20", "registry_office": "临江市滨江区民政局婚姻登记处"},
			lisi:     {"marital_status": "未婚"},
			wangwu:   {"marital_status": "已婚", "spouse_name": "赵敏", "registered_on": "2010-10-01", "registry_office": "临江市临江区民政局婚姻登记处"},
		},
		"SCJG-ENTITY": {
			business: {"name": "临江市味道餐饮有限公司", "entity_type": "有限责任公司（自然人投资或控股）", "legal_representative": "王五",
				"registered_capital": "100 万元人民币", "established_on": "2016-03-18", "address": "临江市滨江区江南大道 88 号",
				"status": "存续（在营、开业、在册）", "business_scope": "餐饮服务；食品销售；外卖递送服务"},
		},
		"RS-INSURANCE": {
			zhangsan: {"insured": "正常参保", "insurance_types": "养老、医疗、失业、工伤、生育", "employer": "临江市城市建设投资集团有限公司",
				"first_paid": "2012-07", "months_paid": "170"},
			lisi: {"insured": "正常参保", "insurance_types": "养老、医疗（灵活就业）", "employer": "灵活就业", "first_paid": "2015-03", "months_paid": "137"},
			wangwu: {"insured": "正常参保", "insurance_types": "养老、医疗、失业、工伤、生育", "employer": "临江市味道餐饮有限公司",
				"first_paid": "2016-04", "months_paid": "126"},
		},
	}, nil
}

// demoGrant is a grant the demo starts with: who asked (a department admin,
// or the platform admin acting for a department without one) and who
// decided (for conditional resources; "" leaves the request pending).
type demoGrant struct {
	resource, dept, asker, decider string
	fields                         []string
	purpose, basis                 string
}

var demoGrants = []demoGrant{
	{"GA-HOUSEHOLD", "SCJG", "scjg-admin", "ga-admin", []string{"name", "sex", "birth_date", "household_address", "household_head", "relation"},
		"市场主体登记、食品经营许可中核验经营者身份与住所", "《市场主体登记管理条例》第十二条；《食品经营许可和备案管理办法》第十二条"},
	{"GA-HOUSEHOLD", "WJ", "wj-admin", "ga-admin", []string{"name", "household_address", "household_head", "relation"},
		"育儿补贴申领中核验申请人与婴幼儿的户籍关系", "《育儿补贴制度实施方案》"},
	{"MZ-MARRIAGE", "GA", "ga-admin", "mz-admin", []string{"marital_status", "spouse_name", "registered_on"},
		"婚后户口迁移中核验婚姻关系", "《中华人民共和国户口登记条例》第十条"},
	{"SCJG-ENTITY", "ZJ", "admin", "", []string{"name", "entity_type", "legal_representative", "address", "status"},
		"建设工程消防设计审查中核验建设单位主体资格", "《建设工程消防设计审查验收管理暂行规定》第十五条"},
	{"SCJG-ENTITY", "XF", "admin", "", []string{"name", "legal_representative", "address", "status", "business_scope"},
		"公众聚集场所投入使用、营业前消防安全检查中核验经营主体", "《中华人民共和国消防法》第十五条"},
	{"RS-INSURANCE", "GJJ", "admin", "admin", []string{"insured", "employer", "months_paid"},
		"住房公积金贷款审批中核验申请人就业与缴费情况", "《住房公积金管理条例》第二十六条"},
	// Waiting for the social insurance bureau's decision.
	{"RS-INSURANCE", "WJ", "wj-admin", "", []string{"insured", "employer"},
		"育儿补贴申领中核验申请人就业情况", "《育儿补贴制度实施方案》"},
}

// loadExchange registers the demo registries and their records and files
// the demo grants that are not there yet.
func loadExchange(ctx context.Context, d *db.DB, ids *identity.Store) error {
	who := map[string]*identity.Principal{}
	for _, u := range []string{"admin", "ga-admin", "mz-admin", "scjg-admin", "wj-admin"} {
		acc, err := ids.AccountByUsername(ctx, u)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", u, err)
		}
		if who[u], err = ids.Principal(ctx, acc.ID); err != nil {
			return err
		}
	}
	x := exchange.NewStore(exchange.Deps{DB: d, Identity: ids})
	admin := who["admin"]
	records, err := registryRecords()
	if err != nil {
		return err
	}
	for _, r := range registries {
		if _, err := x.Resource(ctx, r.Code); err == nil {
			continue
		}
		r.Fields = append([]exchange.Field(nil), r.Fields...)
		if _, err := x.PutResource(ctx, admin, r); err != nil {
			return fmt.Errorf("demo resource %s: %w", r.Code, err)
		}
		for subject, values := range records[r.Code] {
			if err := x.PutRecord(ctx, admin, r.Code, subject, values); err != nil {
				return fmt.Errorf("demo record of %s: %w", r.Code, err)
			}
		}
	}
	reqs, err := x.Requests(ctx, admin)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, q := range reqs {
		have[q.Resource+"|"+q.Department] = true
	}
	for _, g := range demoGrants {
		if have[g.resource+"|"+g.dept] {
			continue
		}
		req, grant, err := x.Request(ctx, who[g.asker], exchange.RequestInput{Resource: g.resource, Department: g.dept, Fields: g.fields,
			Purpose: g.purpose, LegalBasis: g.basis, Days: 365, RatePerHour: 200})
		if err != nil {
			return fmt.Errorf("demo request of %s for %s: %w", g.dept, g.resource, err)
		}
		if grant != nil || g.decider == "" {
			continue
		}
		if _, _, err := x.Decide(ctx, who[g.decider], req.ID, true, "同意，限于所述用途。"); err != nil {
			return fmt.Errorf("demo grant of %s for %s: %w", g.dept, g.resource, err)
		}
	}
	return nil
}

// loadLookup makes one audited lookup, so that "who used my data" shows
// something in the demo: the market-supervision clerk checks the household
// record of a citizen whose application waits at that department. It runs
// once: a demo that already has an answered lookup is left alone.
func loadLookup(ctx context.Context, d *db.DB, ids *identity.Store) error {
	var n int
	if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM exchange_access_log WHERE outcome = 'answered'`).Scan(&n); err != nil || n > 0 {
		return err
	}
	var appID, applicant string
	err := d.Read().QueryRowContext(ctx, `SELECT a.id, a.applicant_id FROM applications a JOIN tasks t ON t.application_id = a.id
		WHERE t.state = 'open' AND t.department_code = 'SCJG' AND a.organization_id IS NULL AND a.state <> 'draft'
		ORDER BY a.created_at, a.id LIMIT 1`).Scan(&appID, &applicant)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // no demo applications loaded
	}
	if err != nil {
		return err
	}
	person, err := ids.Account(ctx, applicant)
	if err != nil {
		return err
	}
	clerk, err := ids.AccountByUsername(ctx, "scjg-clerk")
	if err != nil {
		return err
	}
	p, err := ids.Principal(ctx, clerk.ID)
	if err != nil {
		return err
	}
	x := exchange.NewStore(exchange.Deps{DB: d, Identity: ids})
	if _, err := x.Query(ctx, p, exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: person.IDNumber, Fields: []string{"name", "household_address"}, Application: appID}); err != nil {
		return fmt.Errorf("demo lookup: %w", err)
	}
	return nil
}
