package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
)

// The demo's license types: the results of the demo services that end in
// a license, with the codes the catalog's materials already use.
var licenseTypes = []license.Type{
	{Code: "business_license", Department: "SCJG", Name: "营业执照", NameEn: "Business license", Prefix: "YYZZ", HolderKind: license.Any,
		Fields: []license.Field{
			{Name: "entity_name", Label: "名称", LabelEn: "Name", Printed: true},
			{Name: "entity_type", Label: "类型", LabelEn: "Type", Printed: true},
			{Name: "legal_representative", Label: "法定代表人（经营者）", LabelEn: "Legal representative (operator)", Printed: true},
			{Name: "composition", Label: "组成形式", LabelEn: "Composition", Printed: true},
			{Name: "registered_capital", Label: "注册资本", LabelEn: "Registered capital", Printed: true},
			{Name: "address", Label: "住所（经营场所）", LabelEn: "Address (premises)", Printed: true},
			{Name: "scope", Label: "经营范围", LabelEn: "Business scope", Printed: true},
		}},
	{Code: "food_business_license", Department: "SCJG", Name: "食品经营许可证", NameEn: "Food business license", Prefix: "JY", HolderKind: license.Any,
		ValidityYears: 5, Fields: []license.Field{
			{Name: "operator", Label: "经营者名称", LabelEn: "Operator", Printed: true},
			{Name: "premises", Label: "经营场所", LabelEn: "Premises", Printed: true},
			{Name: "business_type", Label: "主体业态", LabelEn: "Kind of business", Printed: true},
			{Name: "items", Label: "经营项目", LabelEn: "Activities", Printed: true},
			{Name: "safety_manager", Label: "食品安全管理人员", LabelEn: "Food safety manager", Printed: true},
			{Name: "area", Label: "经营面积（平方米）", LabelEn: "Floor area (m²)", Printed: false},
		}},
	{Code: "marriage_certificate", Department: "MZ", Name: "结婚证", NameEn: "Marriage certificate", Prefix: "JH", HolderKind: license.Person,
		Fields: []license.Field{
			{Name: "husband_name", Label: "男方姓名", LabelEn: "Husband", Printed: true},
			{Name: "husband_id_number", Label: "男方身份证件号", LabelEn: "Husband's ID number", Printed: false},
			{Name: "wife_name", Label: "女方姓名", LabelEn: "Wife", Printed: true},
			{Name: "wife_id_number", Label: "女方身份证件号", LabelEn: "Wife's ID number", Printed: false},
			{Name: "registry_office", Label: "登记机关", LabelEn: "Registry office", Printed: true},
		}},
	{Code: "birth_certificate", Department: "WJ", Name: "出生医学证明", NameEn: "Medical birth certificate", Prefix: "CS", HolderKind: license.Person,
		Fields: []license.Field{
			{Name: "newborn_name", Label: "新生儿姓名", LabelEn: "Newborn", Printed: true},
			{Name: "sex", Label: "性别", LabelEn: "Sex", Printed: true},
			{Name: "birth_date", Label: "出生日期", LabelEn: "Date of birth", Printed: true},
			{Name: "birthplace", Label: "出生地点", LabelEn: "Place of birth", Printed: true},
			{Name: "mother_name", Label: "母亲姓名", LabelEn: "Mother", Printed: true},
			{Name: "father_name", Label: "父亲姓名", LabelEn: "Father", Printed: true},
		}},
	{Code: "residence_permit", Department: "GA", Name: "居住证", NameEn: "Residence permit", Prefix: "JZZ", HolderKind: license.Person,
		ValidityYears: 1, Fields: []license.Field{
			{Name: "address", Label: "居住地址", LabelEn: "Address of residence", Printed: true},
			{Name: "employer", Label: "工作单位", LabelEn: "Employer", Printed: false},
		}},
	{Code: "resident_id_card", Department: "GA", Name: "居民身份证", NameEn: "Resident identity card", Prefix: "SFZ", HolderKind: license.Person,
		ValidityYears: 20, Fields: []license.Field{
			{Name: "sex", Label: "性别", LabelEn: "Sex", Printed: true},
			{Name: "ethnicity", Label: "民族", LabelEn: "Ethnicity", Printed: true},
			{Name: "birth_date", Label: "出生", LabelEn: "Date of birth", Printed: true},
			{Name: "address", Label: "住址", LabelEn: "Address", Printed: false},
		}},
}

// LicenseTypes returns the demo's license types.
func LicenseTypes() []license.Type {
	out := make([]license.Type, len(licenseTypes))
	for i, t := range licenseTypes {
		t.Fields = append([]license.Field(nil), t.Fields...)
		out[i] = t
	}
	return out
}

// demoLicense is a license entered from a department's register before
// the platform ran (the way a city brings in what it issued on paper).
type demoLicense struct {
	key, typ       string
	holder         string // a demo username, or "business"
	fields         map[string]string
	from, until    string
	revokedBy, why string
}

// The demo's licenses, consistent with the registries of exchange.go: each
// demo person holds an identity card (李四 also her expired first one),
// 张三 and 王五 their marriage certificates, the restaurant company its
// business license and an earlier food business license that was revoked
// when it moved.
var demoLicenses = []demoLicense{
	{key: "id-zhangsan", typ: "resident_id_card", holder: "zhangsan", from: "2016-03-07",
		fields: map[string]string{"sex": "男", "ethnicity": "汉", "birth_date": "1990-03-07", "address": "临江市滨江区春晓路 28 号"}},
	{key: "id-lisi-first", typ: "resident_id_card", holder: "lisi", from: "2010-08-20", until: "2020-08-19",
		fields: map[string]string{"sex": "女", "ethnicity": "汉", "birth_date": "1992-11-15", "address": "临江市滨江区春晓路 18 号 3 幢 502 室"}},
	{key: "id-lisi", typ: "resident_id_card", holder: "lisi", from: "2020-08-20",
		fields: map[string]string{"sex": "女", "ethnicity": "汉", "birth_date": "1992-11-15", "address": "临江市滨江区春晓路 18 号 3 幢 502 室"}},
	{key: "id-wangwu", typ: "resident_id_card", holder: "wangwu", from: "2019-06-20",
		fields: map[string]string{"sex": "男", "ethnicity": "汉", "birth_date": "1985-06-20", "address": "临江市临江区望江路 66 号 2 幢 1201 室"}},
	{key: "marriage-zhangsan", typ: "marriage_certificate", holder: "zhangsan", from: "2018-05-20",
		fields: map[string]string{"husband_name": "张三", "wife_name": "陈晓", "registry_office": "临江市滨江区民政局婚姻登记处"}},
	{key: "marriage-wangwu", typ: "marriage_certificate", holder: "wangwu", from: "2010-10-01",
		fields: map[string]string{"husband_name": "王五", "wife_name": "赵敏", "registry_office": "临江市临江区民政局婚姻登记处"}},
	{key: "business-weidao", typ: "business_license", holder: "business", from: "2016-03-18",
		fields: map[string]string{"entity_name": "临江市味道餐饮有限公司", "entity_type": "有限责任公司（自然人投资或控股）", "legal_representative": "王五",
			"registered_capital": "100 万元人民币", "address": "临江市滨江区江南大道 88 号", "scope": "餐饮服务；食品销售；外卖递送服务"}},
	{key: "food-weidao-old", typ: "food_business_license", holder: "business", from: "2022-04-01",
		fields: map[string]string{"operator": "临江市味道餐饮有限公司", "premises": "临江市滨江区滨兴路 12 号", "business_type": "餐饮服务经营者",
			"items": "热食类食品制售、冷食类食品制售", "safety_manager": "王五", "area": "320"},
		revokedBy: "scjg-approver", why: "经营场所变更，原许可证依经营者申请注销。"},
}

// LoadLicenses registers the demo's license types and enters its
// licenses, each once. It needs the demo departments, people and business.
func LoadLicenses(ctx context.Context, ls *license.Store, ids *identity.Store) error {
	acc, err := ids.AccountByUsername(ctx, "admin")
	if err != nil {
		return fmt.Errorf("demo account admin: %w", err)
	}
	admin, err := ids.Principal(ctx, acc.ID)
	if err != nil {
		return err
	}
	for _, t := range LicenseTypes() {
		if _, err := ls.Type(ctx, t.Code); err == nil {
			continue
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if _, err := ls.PutType(ctx, admin, t); err != nil {
			return fmt.Errorf("demo license type %s: %w", t.Code, err)
		}
	}
	cc, err := idcheck.CreditCodeCheckChar(BusinessCreditFirst17)
	if err != nil {
		return err
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, d := range demoLicenses {
		in := license.Issue{Type: d.typ, Fields: d.fields, ValidFrom: d.from, ValidUntil: d.until, Source: "demo:" + d.key, Role: "register", Quiet: true}
		if d.holder == "business" {
			in.HolderKind, in.HolderKey, in.HolderName = license.Organization, BusinessCreditFirst17+string(cc), "临江市味道餐饮有限公司"
		} else {
			a, err := ids.AccountByUsername(ctx, d.holder)
			if err != nil {
				return fmt.Errorf("demo account %s: %w", d.holder, err)
			}
			in.HolderKind, in.HolderKey, in.HolderName = license.Person, a.IDNumber, a.Name
		}
		t, err := ls.Type(ctx, d.typ)
		if err != nil {
			return err
		}
		in.Department = t.Department
		day, err := time.ParseInLocation("2006-01-02", d.from, loc)
		if err != nil {
			return err
		}
		in.At = day.Add(10 * time.Hour)
		l, err := ls.IssueDirect(ctx, in)
		if err != nil {
			return fmt.Errorf("demo license %s: %w", d.key, err)
		}
		if d.revokedBy != "" && l.State != license.Revoked {
			a, err := ids.AccountByUsername(ctx, d.revokedBy)
			if err != nil {
				return err
			}
			p, err := ids.Principal(ctx, a.ID)
			if err != nil {
				return err
			}
			if _, err := ls.Change(ctx, p, l.ID, license.Revoke, d.why); err != nil {
				return fmt.Errorf("demo license %s: revoke: %w", d.key, err)
			}
		}
	}
	return nil
}
