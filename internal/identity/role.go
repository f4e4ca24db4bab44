// Package identity owns accounts (natural persons and staff), the
// organizations persons act for, roles and what each grants, passwords,
// sessions and sign-in throttling.
//
// Authorization is deny-by-default: a [Principal] can do only what one of
// its roles grants, and staff roles are scoped to a department. The grant
// table in this file is the single source of truth; the web layer's route
// table names one [Permission] per route, and a test walks every route with
// every role.
package identity

// Role is a named set of permissions.
type Role string

// The roles.
const (
	Citizen       Role = "citizen"        // a natural person using the services
	OrgAgent      Role = "org_agent"      // a person acting for an organization (法人经办人)
	Clerk         Role = "clerk"          // 受理: intake of applications
	Reviewer      Role = "reviewer"       // 审查
	Approver      Role = "approver"       // 决定
	DeptAdmin     Role = "dept_admin"     // administers a department's catalog and staff
	Supervisor    Role = "supervisor"     // 电子监察: oversees every department
	Dispatcher    Role = "dispatcher"     // 12345 hotline: takes calls, dispatches tickets (派单), calls back
	PlatformAdmin Role = "platform_admin" // runs the platform
)

// Roles lists every role, in display order.
var Roles = []Role{Citizen, OrgAgent, Clerk, Reviewer, Approver, DeptAdmin, Supervisor, Dispatcher, PlatformAdmin}

// StaffRoles are the roles that belong to a department.
var StaffRoles = []Role{Clerk, Reviewer, Approver, DeptAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// DepartmentScoped reports whether grants of r are bound to one department.
func (r Role) DepartmentScoped() bool {
	switch r {
	case Clerk, Reviewer, Approver, DeptAdmin:
		return true
	}
	return false
}

// Permission names something a route or a domain call needs.
type Permission string

// The permissions. Department-scoped ones apply only within the department
// of the role that grants them (platform admins: everywhere).
const (
	// PermAccount: see and change one's own account; every signed-in role.
	PermAccount Permission = "account"
	// PermOrgRegister: register an organization and act for it.
	PermOrgRegister Permission = "org.register"
	// PermOrgAct: act for an organization one is an agent of.
	PermOrgAct Permission = "org.act"
	// PermApply: file applications and follow them, for oneself or for an
	// organization one acts for.
	PermApply Permission = "apply"
	// PermStaffDesk: the staff workbench.
	PermStaffDesk Permission = "staff.desk"
	// PermCatalogEdit: create and edit service drafts (department-scoped).
	PermCatalogEdit Permission = "catalog.edit"
	// PermCatalogPublish: publish and withdraw services (department-scoped).
	PermCatalogPublish Permission = "catalog.publish"
	// PermCatalogAdmin: themes, search synonyms, import and export.
	PermCatalogAdmin Permission = "catalog.admin"
	// PermStaffManage: create staff accounts and set their roles
	// (department-scoped).
	PermStaffManage Permission = "staff.manage"
	// PermOrgManage: edit divisions and departments.
	PermOrgManage Permission = "org.manage"
	// PermSupervise: the supervisor's cross-department overview.
	PermSupervise Permission = "supervise"
	// PermCalendarManage: enter the holidays and make-up workdays of the
	// working-day calendar, in which every time limit is counted.
	PermCalendarManage Permission = "calendar.manage"

	// The 12345 hotline. Departments handle their tickets (sign, return,
	// reply) with PermStaffDesk in their department; supervisors urge
	// with PermSupervise.

	// PermHotlineFile: file hotline tickets (工单) and follow one's own.
	PermHotlineFile Permission = "hotline.file"
	// PermHotlineDispatch: take tickets by phone, dispatch them to
	// departments (派单), merge duplicates and record callbacks (回访).
	PermHotlineDispatch Permission = "hotline.dispatch"
	// PermHotlineAdmin: the category tree, dispatch rules, deadlines per
	// kind and the API keys of Open311 apps.
	PermHotlineAdmin Permission = "hotline.admin"
	// PermHotlineReveal: reveal who filed an anonymous or name-protected
	// ticket; every reveal is recorded.
	PermHotlineReveal Permission = "hotline.reveal"

	// PermExchangeQuery: look a subject up in shared data under a grant
	// of one's department, while handling one of its cases
	// (department-scoped).
	PermExchangeQuery Permission = "exchange.query"
	// PermExchangeManage: register the department's shared data
	// resources, ask other departments for access, decide the requests
	// for its resources and revoke grants (department-scoped).
	PermExchangeManage Permission = "exchange.manage"
	// PermMyData: see who used one's own data, or one's organization's
	// (谁用了我的数据).
	PermMyData Permission = "mydata"

	// Consultations on draft policies (征求意见). Reading them is public.

	// PermConsultationComment: comment on a draft policy during its
	// comment period.
	PermConsultationComment Permission = "consultation.comment"
	// PermConsultationManage: draft and publish the department's
	// consultations, moderate their comments against the comment policy
	// and publish the adoption report (department-scoped).
	PermConsultationManage Permission = "consultation.manage"

	// Electronic licenses (电子证照).

	// PermLicenseHold: see one's own licenses and one's organization's
	// (the wallet), download them and share them.
	PermLicenseHold Permission = "license.hold"
	// PermLicenseManage: see the licenses the department issued and
	// revoke, suspend or reinstate them (department-scoped).
	PermLicenseManage Permission = "license.manage"
	// PermLicenseTypes: define the department's license types and their
	// fields (department-scoped).
	PermLicenseTypes Permission = "license.types"
)

// grants is the permission table. Nothing not listed is allowed.
var grants = map[Role][]Permission{
	Citizen:  {PermAccount, PermOrgRegister, PermApply, PermHotlineFile, PermMyData, PermConsultationComment, PermLicenseHold},
	OrgAgent: {PermAccount, PermOrgRegister, PermOrgAct, PermApply, PermHotlineFile, PermMyData, PermConsultationComment, PermLicenseHold},
	Clerk:    {PermAccount, PermStaffDesk, PermExchangeQuery},
	Reviewer: {PermAccount, PermStaffDesk, PermExchangeQuery},
	Approver: {PermAccount, PermStaffDesk, PermExchangeQuery, PermLicenseManage},
	DeptAdmin: {PermAccount, PermStaffDesk, PermCatalogEdit, PermCatalogPublish, PermStaffManage, PermExchangeQuery, PermExchangeManage,
		PermConsultationManage, PermLicenseManage, PermLicenseTypes},
	Supervisor: {PermAccount, PermStaffDesk, PermSupervise, PermHotlineReveal},
	Dispatcher: {PermAccount, PermHotlineDispatch},
	// Platform admins do not query shared data: a query needs a case of
	// one's own department, and they have none.
	PlatformAdmin: {PermAccount, PermStaffDesk, PermCatalogEdit, PermCatalogPublish, PermCatalogAdmin, PermStaffManage, PermOrgManage, PermSupervise, PermCalendarManage,
		PermHotlineDispatch, PermHotlineAdmin, PermExchangeManage, PermLicenseTypes},
}

// Grants reports whether role r grants p (ignoring department scope).
func (r Role) Grants(p Permission) bool {
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// RoleGrant is a role held by an account, in a department for staff roles.
type RoleGrant struct {
	Role       Role   `json:"role"`
	Department string `json:"department,omitempty"`
}

// Principal is the authenticated actor of a request. The zero Principal is
// an anonymous visitor, who holds no permission.
type Principal struct {
	Account *Account
	Grants  []RoleGrant
}

// Anonymous reports whether nobody is signed in.
func (p *Principal) Anonymous() bool { return p == nil || p.Account == nil }

// Can reports whether any of p's roles grants perm, in any department.
func (p *Principal) Can(perm Permission) bool {
	if p.Anonymous() {
		return false
	}
	for _, g := range p.Grants {
		if g.Role.Grants(perm) {
			return true
		}
	}
	return false
}

// CanIn reports whether p holds perm in department dept: through a role
// granted in dept, or through a role that is not department-scoped.
func (p *Principal) CanIn(perm Permission, dept string) bool {
	if p.Anonymous() {
		return false
	}
	for _, g := range p.Grants {
		if !g.Role.Grants(perm) {
			continue
		}
		if !g.Role.DepartmentScoped() || g.Department == dept {
			return true
		}
	}
	return false
}

// Departments returns the departments in which p holds perm; all is true
// when p holds it everywhere (a role that is not department-scoped).
func (p *Principal) Departments(perm Permission) (depts []string, all bool) {
	if p.Anonymous() {
		return nil, false
	}
	seen := map[string]bool{}
	for _, g := range p.Grants {
		if !g.Role.Grants(perm) {
			continue
		}
		if !g.Role.DepartmentScoped() {
			return nil, true
		}
		if !seen[g.Department] {
			seen[g.Department] = true
			depts = append(depts, g.Department)
		}
	}
	return depts, false
}

// Has reports whether p holds role r (in any department).
func (p *Principal) Has(r Role) bool {
	if p.Anonymous() {
		return false
	}
	for _, g := range p.Grants {
		if g.Role == r {
			return true
		}
	}
	return false
}

// IsStaff reports whether p is a staff account.
func (p *Principal) IsStaff() bool { return !p.Anonymous() && p.Account.Kind == KindStaff }
