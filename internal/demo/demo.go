// Package demo loads the demo city of 临江市: its departments, a catalog of
// services modelled on real Chinese guides, life-event and business themes,
// search synonyms, staff for every role, a process (流程) for every
// service, citizens and a business, shared-data registries with grants
// between departments (exchange.go), license types and the licenses the
// people and the business already hold (licenses.go), and applications in
// every state.
// Loading is idempotent: the catalog is imported once (in one
// transaction), accounts and processes are created only when missing, and
// each demo application is filed once, so restarting with -demo keeps
// whatever was changed since.
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/workflow"
)

//go:embed catalog.json
var catalogJSON []byte

// CatalogJSON returns the demo catalog in the exchange format.
func CatalogJSON() []byte { return bytes.Clone(catalogJSON) }

// processesJSON holds one process definition per demo service; each
// service's "process" field names its own.
//
//go:embed processes.json
var processesJSON []byte

// Processes returns the demo process definitions.
func Processes() ([]workflow.Definition, error) {
	var defs []workflow.Definition
	if err := json.Unmarshal(processesJSON, &defs); err != nil {
		return nil, fmt.Errorf("demo processes: %w", err)
	}
	return defs, nil
}

// Password is the password of every demo account.
const Password = "demo2026"

// password is hashed once for all demo accounts (and all loads in one
// process): it is published, so the accounts need not hide from one
// another that they share it.
var password = &identity.SharedPassword{Password: Password}

// Login is a demo account to print at start-up.
type Login struct {
	Username string
	Role     string
}

type staff struct {
	username, name, dept string
	roles                []identity.Role
}

var staffAccounts = []staff{
	{"admin", "平台管理员", "", []identity.Role{identity.PlatformAdmin}},
	{"jiancha", "周监察", "", []identity.Role{identity.Supervisor}},
	{"rexian", "林派单", "", []identity.Role{identity.Dispatcher}},
	{"scjg-admin", "陈管理", "SCJG", []identity.Role{identity.DeptAdmin}},
	{"scjg-clerk", "刘受理", "SCJG", []identity.Role{identity.Clerk}},
	{"scjg-reviewer", "赵审查", "SCJG", []identity.Role{identity.Reviewer}},
	{"scjg-approver", "孙审批", "SCJG", []identity.Role{identity.Approver}},
	{"ga-clerk", "吴受理", "GA", []identity.Role{identity.Clerk, identity.Reviewer}},
	{"ga-admin", "郑管理", "GA", []identity.Role{identity.DeptAdmin}},
	{"mz-clerk", "钱受理", "MZ", []identity.Role{identity.Clerk, identity.Reviewer, identity.Approver}},
	{"mz-admin", "冯管理", "MZ", []identity.Role{identity.DeptAdmin}},
	{"zj-approver", "何审批", "ZJ", []identity.Role{identity.Reviewer, identity.Approver}},
	{"xf-reviewer", "许审查", "XF", []identity.Role{identity.Reviewer}},
	{"wj-admin", "曹管理", "WJ", []identity.Role{identity.DeptAdmin, identity.Clerk}},
	{"rs-clerk", "彭受理", "RS", []identity.Role{identity.Clerk, identity.Reviewer, identity.Approver}},
	// Every department that takes a step of a demo process has a clerk,
	// a reviewer and an approver; the housing provident fund has two
	// approvers, because its loans are countersigned (会签).
	{"bjscjg-clerk", "严受理", "BJSCJG", []identity.Role{identity.Clerk}},
	{"bjscjg-reviewer", "华审查", "BJSCJG", []identity.Role{identity.Reviewer}},
	{"bjscjg-approver", "金审批", "BJSCJG", []identity.Role{identity.Approver}},
	{"ga-reviewer", "魏审查", "GA", []identity.Role{identity.Reviewer}},
	{"ga-approver", "陶审批", "GA", []identity.Role{identity.Approver}},
	{"wj-reviewer", "姜审查", "WJ", []identity.Role{identity.Reviewer}},
	{"wj-approver", "戚审批", "WJ", []identity.Role{identity.Approver}},
	{"zj-clerk", "谢受理", "ZJ", []identity.Role{identity.Clerk}},
	{"xf-clerk", "邹受理", "XF", []identity.Role{identity.Clerk}},
	{"xf-approver", "喻审批", "XF", []identity.Role{identity.Approver}},
	{"sw-clerk", "柏受理", "SW", []identity.Role{identity.Clerk}},
	{"sw-reviewer", "水审查", "SW", []identity.Role{identity.Reviewer}},
	{"sw-approver", "窦审批", "SW", []identity.Role{identity.Approver}},
	{"yb-clerk", "章受理", "YB", []identity.Role{identity.Clerk}},
	{"yb-reviewer", "云审查", "YB", []identity.Role{identity.Reviewer}},
	{"yb-approver", "苏审批", "YB", []identity.Role{identity.Approver}},
	{"gjj-clerk", "潘受理", "GJJ", []identity.Role{identity.Clerk}},
	{"gjj-reviewer", "葛审查", "GJJ", []identity.Role{identity.Reviewer}},
	{"gjj-approver", "奚审批", "GJJ", []identity.Role{identity.Approver}},
	{"gjj-approver2", "范审批", "GJJ", []identity.Role{identity.Approver}},
}

type person struct {
	username, name, idFirst17, phone string
}

// The demo people. Their ID numbers are synthetic (region 339900 is the
// demo city's own code) with valid check characters.
var people = []person{
	{"zhangsan", "张三", "33990019900307123", "13800000001"},
	{"lisi", "李四", "33990019921115242", "13800000002"},
	{"wangwu", "王五", "33990119850620301", "13800000003"},
}

// Load loads the demo into an empty or already-demo database and returns
// the logins to print. With apps, the dependencies of the platform's
// application store, it also files the demo applications (see
// applications.go); without, the demo has no applications.
func Load(ctx context.Context, d *db.DB, orgs *org.Store, ids *identity.Store, cat *catalog.Store, apps *application.Deps) ([]Login, error) {
	var logins []Login
	accounts := map[string]*identity.Account{}
	// The admin first: it is the actor of the catalog import.
	for _, s := range staffAccounts {
		if s.dept != "" {
			continue
		}
		a, err := seedStaff(ctx, ids, s)
		if err != nil {
			return nil, err
		}
		accounts[s.username] = a
	}
	admin, err := ids.Principal(ctx, accounts["admin"].ID)
	if err != nil {
		return nil, err
	}
	if _, err := orgs.Department(ctx, "SCJG"); err != nil {
		if _, err := cat.Import(ctx, admin, orgs, bytes.NewReader(catalogJSON)); err != nil {
			return nil, fmt.Errorf("import demo catalog: %w", err)
		}
	}
	for _, s := range staffAccounts {
		a := accounts[s.username]
		if a == nil {
			if a, err = seedStaff(ctx, ids, s); err != nil {
				return nil, err
			}
		}
		role := string(s.roles[0])
		if s.dept != "" {
			role += "@" + s.dept
		}
		logins = append(logins, Login{s.username, role})
	}
	// Processes last: validating them needs the departments, the staff
	// who take their steps and the forms of the services that use them.
	if err := loadProcesses(ctx, workflow.NewStore(d, ids, cat, time.Now), admin); err != nil {
		return nil, err
	}
	for _, p := range people {
		c, err := idcheck.IDNumberCheckChar(p.idFirst17)
		if err != nil {
			return nil, err
		}
		a, err := ids.SeedShared(ctx, identity.Account{Kind: identity.KindPerson, Username: p.username, Name: p.name, IDNumber: p.idFirst17 + string(c), Phone: p.phone},
			password, []identity.RoleGrant{{Role: identity.Citizen}})
		if err != nil {
			return nil, err
		}
		accounts[p.username] = a
	}
	cc, err := idcheck.CreditCodeCheckChar(BusinessCreditFirst17)
	if err != nil {
		return nil, err
	}
	if _, err := ids.SeedOrganization(ctx, identity.OrganizationInput{
		Name: "临江市味道餐饮有限公司", CreditCode: BusinessCreditFirst17 + string(cc), LegalRepresentative: "王五", Address: "临江市滨江区江南大道 88 号",
	}, accounts["wangwu"].ID); err != nil {
		return nil, err
	}
	logins = append(logins, Login{"zhangsan", "citizen"}, Login{"lisi", "citizen"}, Login{"wangwu", "citizen + org_agent (临江市味道餐饮有限公司)"})
	if err := loadExchange(ctx, d, ids); err != nil {
		return nil, err
	}
	if apps != nil {
		// The license types come before the applications whose
		// conclusions issue licenses of them.
		if ls, ok := apps.Licenses.(*license.Store); ok {
			if err := LoadLicenses(ctx, ls, ids); err != nil {
				return nil, err
			}
		}
		if err := loadApplications(ctx, *apps, ids); err != nil {
			return nil, err
		}
		if err := loadLookup(ctx, d, ids); err != nil {
			return nil, err
		}
	}
	return logins, nil
}

// loadProcesses stores each demo process that has no version yet.
func loadProcesses(ctx context.Context, wf *workflow.Store, admin *identity.Principal) error {
	defs, err := Processes()
	if err != nil {
		return err
	}
	for _, def := range defs {
		_, err := wf.Latest(ctx, def.Code)
		if err == nil {
			continue
		}
		if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if _, err := wf.Put(ctx, admin, def); err != nil {
			return fmt.Errorf("demo process %s: %w", def.Code, err)
		}
	}
	return nil
}

// BusinessCreditFirst17 is the first 17 characters of the demo business's
// unified social credit code.
const BusinessCreditFirst17 = "91339900MA2H7K3P1"

func seedStaff(ctx context.Context, ids *identity.Store, s staff) (*identity.Account, error) {
	var grants []identity.RoleGrant
	for _, r := range s.roles {
		g := identity.RoleGrant{Role: r}
		if r.DepartmentScoped() {
			g.Department = s.dept
		}
		grants = append(grants, g)
	}
	return ids.SeedShared(ctx, identity.Account{Kind: identity.KindStaff, Username: s.username, Name: s.name, DepartmentCode: s.dept}, password, grants)
}
