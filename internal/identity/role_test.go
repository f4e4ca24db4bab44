package identity_test

import (
	"slices"
	"testing"

	"github.com/tongban/tongban/internal/identity"
)

const (
	deptA = "SCJG" // 市场监管局
	deptB = "GAJ"  // 公安局
)

var allPerms = []identity.Permission{
	identity.PermAccount, identity.PermOrgRegister, identity.PermOrgAct, identity.PermApply, identity.PermStaffDesk,
	identity.PermCatalogEdit, identity.PermCatalogPublish, identity.PermCatalogAdmin,
	identity.PermStaffManage, identity.PermOrgManage, identity.PermSupervise, identity.PermCalendarManage,
	identity.PermHotlineFile, identity.PermHotlineDispatch, identity.PermHotlineAdmin, identity.PermHotlineReveal,
	identity.PermExchangeQuery, identity.PermExchangeManage, identity.PermMyData,
	identity.PermConsultationComment, identity.PermConsultationManage,
	identity.PermLicenseHold, identity.PermLicenseManage, identity.PermLicenseTypes,
}

// TestRoleGrants pins the whole permission table: for every role, exactly the
// listed permissions are granted and nothing else.
func TestRoleGrants(t *testing.T) {
	staffDesk := []identity.Permission{identity.PermAccount, identity.PermStaffDesk, identity.PermExchangeQuery}
	want := map[identity.Role][]identity.Permission{
		identity.Citizen: {identity.PermAccount, identity.PermOrgRegister, identity.PermApply, identity.PermHotlineFile, identity.PermMyData,
			identity.PermConsultationComment, identity.PermLicenseHold},
		identity.OrgAgent: {identity.PermAccount, identity.PermOrgRegister, identity.PermOrgAct, identity.PermApply, identity.PermHotlineFile,
			identity.PermMyData, identity.PermConsultationComment, identity.PermLicenseHold},
		identity.Clerk:    staffDesk,
		identity.Reviewer: staffDesk,
		identity.Approver: append(slices.Clone(staffDesk), identity.PermLicenseManage),
		identity.DeptAdmin: {identity.PermAccount, identity.PermStaffDesk, identity.PermCatalogEdit,
			identity.PermCatalogPublish, identity.PermStaffManage, identity.PermExchangeQuery, identity.PermExchangeManage,
			identity.PermConsultationManage, identity.PermLicenseManage, identity.PermLicenseTypes},
		identity.Supervisor: {identity.PermAccount, identity.PermStaffDesk, identity.PermSupervise, identity.PermHotlineReveal},
		identity.Dispatcher: {identity.PermAccount, identity.PermHotlineDispatch},
		identity.PlatformAdmin: {identity.PermAccount, identity.PermStaffDesk, identity.PermCatalogEdit,
			identity.PermCatalogPublish, identity.PermCatalogAdmin, identity.PermStaffManage,
			identity.PermOrgManage, identity.PermSupervise, identity.PermCalendarManage,
			identity.PermHotlineDispatch, identity.PermHotlineAdmin, identity.PermExchangeManage, identity.PermLicenseTypes},
	}
	if len(want) != len(identity.Roles) {
		t.Fatalf("test table has %d roles, identity.Roles has %d", len(want), len(identity.Roles))
	}
	for _, r := range identity.Roles {
		t.Run(string(r), func(t *testing.T) {
			granted, ok := want[r]
			if !ok {
				t.Fatalf("role %q missing from the test table", r)
			}
			for _, p := range allPerms {
				if got, w := r.Grants(p), slices.Contains(granted, p); got != w {
					t.Errorf("%s.Grants(%s) = %v, want %v", r, p, got, w)
				}
			}
			if r.Grants("no.such.permission") {
				t.Errorf("%s.Grants(unknown permission) = true", r)
			}
		})
	}
}

func TestRolesValid(t *testing.T) {
	for _, r := range identity.Roles {
		t.Run(string(r), func(t *testing.T) {
			if !r.Valid() {
				t.Errorf("%q.Valid() = false, want true", r)
			}
			if !r.Grants(identity.PermAccount) {
				t.Errorf("%q.Grants(PermAccount) = false, want true", r)
			}
		})
	}
	for _, r := range []identity.Role{"", "root", "Citizen", "admin", "platform-admin"} {
		t.Run("invalid/"+string(r), func(t *testing.T) {
			if r.Valid() {
				t.Errorf("%q.Valid() = true, want false", r)
			}
			for _, p := range allPerms {
				if r.Grants(p) {
					t.Errorf("%q.Grants(%s) = true, want false", r, p)
				}
			}
		})
	}
}

func TestDepartmentScoped(t *testing.T) {
	scoped := map[identity.Role]bool{identity.Clerk: true, identity.Reviewer: true, identity.Approver: true, identity.DeptAdmin: true}
	for _, r := range identity.Roles {
		if got := r.DepartmentScoped(); got != scoped[r] {
			t.Errorf("%s.DepartmentScoped() = %v, want %v", r, got, scoped[r])
		}
	}
	for _, r := range identity.StaffRoles {
		if !r.DepartmentScoped() {
			t.Errorf("staff role %s is not department-scoped", r)
		}
	}
}

func principal(kind identity.Kind, grants ...identity.RoleGrant) *identity.Principal {
	return &identity.Principal{Account: &identity.Account{ID: "acc", Kind: kind, Username: "someone"}, Grants: grants}
}

func TestPrincipalCan(t *testing.T) {
	adminA := principal(identity.KindStaff, identity.RoleGrant{Role: identity.DeptAdmin, Department: deptA})
	clerkAAdminB := principal(identity.KindStaff,
		identity.RoleGrant{Role: identity.Clerk, Department: deptA},
		identity.RoleGrant{Role: identity.DeptAdmin, Department: deptB})
	platform := principal(identity.KindStaff, identity.RoleGrant{Role: identity.PlatformAdmin})
	supervisor := principal(identity.KindStaff, identity.RoleGrant{Role: identity.Supervisor})
	citizen := principal(identity.KindPerson, identity.RoleGrant{Role: identity.Citizen})
	agent := principal(identity.KindPerson, identity.RoleGrant{Role: identity.Citizen}, identity.RoleGrant{Role: identity.OrgAgent})
	noGrants := principal(identity.KindPerson)
	grantsNoAccount := &identity.Principal{Grants: []identity.RoleGrant{{Role: identity.PlatformAdmin}}}

	tests := []struct {
		name  string
		p     *identity.Principal
		perm  identity.Permission
		dept  string
		can   bool // Can(perm)
		canIn bool // CanIn(perm, dept)
	}{
		{"dept admin edits own dept", adminA, identity.PermCatalogEdit, deptA, true, true},
		{"dept admin edits other dept", adminA, identity.PermCatalogEdit, deptB, true, false},
		{"dept admin publishes own dept", adminA, identity.PermCatalogPublish, deptA, true, true},
		{"dept admin manages staff of other dept", adminA, identity.PermStaffManage, deptB, true, false},
		{"dept admin no catalog admin", adminA, identity.PermCatalogAdmin, deptA, false, false},
		{"dept admin no org manage", adminA, identity.PermOrgManage, deptA, false, false},
		{"dept admin no supervise", adminA, identity.PermSupervise, deptA, false, false},
		{"dept admin no org register", adminA, identity.PermOrgRegister, "", false, false},
		{"dept admin empty dept", adminA, identity.PermCatalogEdit, "", true, false},
		{"clerk A admin B: desk in A", clerkAAdminB, identity.PermStaffDesk, deptA, true, true},
		{"clerk A admin B: edit in A", clerkAAdminB, identity.PermCatalogEdit, deptA, true, false},
		{"clerk A admin B: edit in B", clerkAAdminB, identity.PermCatalogEdit, deptB, true, true},
		{"platform admin edits A", platform, identity.PermCatalogEdit, deptA, true, true},
		{"platform admin edits B", platform, identity.PermCatalogEdit, deptB, true, true},
		{"platform admin manages staff anywhere", platform, identity.PermStaffManage, "ANY", true, true},
		{"platform admin org manage", platform, identity.PermOrgManage, "", true, true},
		{"platform admin supervise", platform, identity.PermSupervise, deptB, true, true},
		{"platform admin no org act", platform, identity.PermOrgAct, "", false, false},
		{"platform admin manages the calendar", platform, identity.PermCalendarManage, "", true, true},
		{"dept admin cannot manage the calendar", adminA, identity.PermCalendarManage, deptA, false, false},
		{"supervisor cannot manage the calendar", supervisor, identity.PermCalendarManage, "", false, false},
		{"supervisor reveals hotline reporters", supervisor, identity.PermHotlineReveal, "", true, true},
		{"platform admin cannot reveal hotline reporters", platform, identity.PermHotlineReveal, "", false, false},
		{"dispatcher dispatches anywhere", principal(identity.KindStaff, identity.RoleGrant{Role: identity.Dispatcher}), identity.PermHotlineDispatch, deptB, true, true},
		{"dispatcher has no staff desk", principal(identity.KindStaff, identity.RoleGrant{Role: identity.Dispatcher}), identity.PermStaffDesk, deptA, false, false},
		{"citizen files hotline tickets", citizen, identity.PermHotlineFile, "", true, true},
		{"dept admin cannot dispatch", adminA, identity.PermHotlineDispatch, deptA, false, false},
		{"supervisor desk anywhere", supervisor, identity.PermStaffDesk, deptB, true, true},
		{"supervisor cannot edit", supervisor, identity.PermCatalogEdit, deptA, false, false},
		{"citizen account", citizen, identity.PermAccount, "", true, true},
		{"citizen org register", citizen, identity.PermOrgRegister, "", true, true},
		{"citizen no staff desk", citizen, identity.PermStaffDesk, deptA, false, false},
		{"citizen no org act", citizen, identity.PermOrgAct, "", false, false},
		{"agent org act", agent, identity.PermOrgAct, "", true, true},
		{"agent no staff desk", agent, identity.PermStaffDesk, "", false, false},
		{"dept admin manages consultations of own dept", adminA, identity.PermConsultationManage, deptA, true, true},
		{"dept admin cannot manage another dept's consultations", adminA, identity.PermConsultationManage, deptB, true, false},
		{"clerk cannot manage consultations", clerkAAdminB, identity.PermConsultationManage, deptA, true, false},
		{"platform admin cannot manage consultations", platform, identity.PermConsultationManage, deptA, false, false},
		{"supervisor cannot manage consultations", supervisor, identity.PermConsultationManage, deptA, false, false},
		{"citizen comments on consultations", citizen, identity.PermConsultationComment, "", true, true},
		{"agent comments on consultations", agent, identity.PermConsultationComment, "", true, true},
		{"staff cannot comment on consultations", adminA, identity.PermConsultationComment, deptA, false, false},
		{"account without grants", noGrants, identity.PermAccount, "", false, false},
		{"grants without account", grantsNoAccount, identity.PermAccount, "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Can(tc.perm); got != tc.can {
				t.Errorf("Can(%s) = %v, want %v", tc.perm, got, tc.can)
			}
			if got := tc.p.CanIn(tc.perm, tc.dept); got != tc.canIn {
				t.Errorf("CanIn(%s, %q) = %v, want %v", tc.perm, tc.dept, got, tc.canIn)
			}
		})
	}
}

func TestAnonymousCanNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *identity.Principal
	}{
		{"nil", nil},
		{"zero", &identity.Principal{}},
		{"grants but no account", &identity.Principal{Grants: []identity.RoleGrant{{Role: identity.PlatformAdmin}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.p.Anonymous() {
				t.Errorf("Anonymous() = false, want true")
			}
			if tc.p.IsStaff() {
				t.Errorf("IsStaff() = true, want false")
			}
			for _, perm := range allPerms {
				if tc.p.Can(perm) {
					t.Errorf("Can(%s) = true, want false", perm)
				}
				for _, d := range []string{"", deptA} {
					if tc.p.CanIn(perm, d) {
						t.Errorf("CanIn(%s, %q) = true, want false", perm, d)
					}
				}
				if depts, all := tc.p.Departments(perm); depts != nil || all {
					t.Errorf("Departments(%s) = %v, %v; want nil, false", perm, depts, all)
				}
			}
			for _, r := range identity.Roles {
				if tc.p.Has(r) {
					t.Errorf("Has(%s) = true, want false", r)
				}
			}
		})
	}
}

func TestPrincipalDepartments(t *testing.T) {
	twoDepts := principal(identity.KindStaff,
		identity.RoleGrant{Role: identity.DeptAdmin, Department: deptA},
		identity.RoleGrant{Role: identity.Clerk, Department: deptB},
		identity.RoleGrant{Role: identity.DeptAdmin, Department: deptB})
	tests := []struct {
		name      string
		p         *identity.Principal
		perm      identity.Permission
		wantDepts []string
		wantAll   bool
	}{
		{"dept admin of A", principal(identity.KindStaff, identity.RoleGrant{Role: identity.DeptAdmin, Department: deptA}),
			identity.PermCatalogEdit, []string{deptA}, false},
		{"admin of A and B, edit", twoDepts, identity.PermCatalogEdit, []string{deptA, deptB}, false},
		{"admin of A and B, desk (no duplicates)", twoDepts, identity.PermStaffDesk, []string{deptA, deptB}, false},
		{"clerk cannot edit", principal(identity.KindStaff, identity.RoleGrant{Role: identity.Clerk, Department: deptA}),
			identity.PermCatalogEdit, nil, false},
		{"platform admin", principal(identity.KindStaff, identity.RoleGrant{Role: identity.PlatformAdmin}),
			identity.PermCatalogEdit, nil, true},
		{"clerk and platform admin", principal(identity.KindStaff,
			identity.RoleGrant{Role: identity.Clerk, Department: deptA}, identity.RoleGrant{Role: identity.PlatformAdmin}),
			identity.PermStaffDesk, nil, true},
		{"supervisor desk", principal(identity.KindStaff, identity.RoleGrant{Role: identity.Supervisor}),
			identity.PermStaffDesk, nil, true},
		{"citizen desk", principal(identity.KindPerson, identity.RoleGrant{Role: identity.Citizen}),
			identity.PermStaffDesk, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			depts, all := tc.p.Departments(tc.perm)
			slices.Sort(depts)
			want := slices.Clone(tc.wantDepts)
			slices.Sort(want)
			if !slices.Equal(depts, want) || all != tc.wantAll {
				t.Errorf("Departments(%s) = %v, %v; want %v, %v", tc.perm, depts, all, want, tc.wantAll)
			}
		})
	}
}

func TestPrincipalHas(t *testing.T) {
	p := principal(identity.KindStaff,
		identity.RoleGrant{Role: identity.Clerk, Department: deptA},
		identity.RoleGrant{Role: identity.Supervisor})
	want := map[identity.Role]bool{identity.Clerk: true, identity.Supervisor: true}
	for _, r := range identity.Roles {
		t.Run(string(r), func(t *testing.T) {
			if got := p.Has(r); got != want[r] {
				t.Errorf("Has(%s) = %v, want %v", r, got, want[r])
			}
		})
	}
	if !p.IsStaff() {
		t.Errorf("IsStaff() of a staff account = false")
	}
	if principal(identity.KindPerson, identity.RoleGrant{Role: identity.Citizen}).IsStaff() {
		t.Errorf("IsStaff() of a person = true")
	}
}
