package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/workflow"
)

// TestAdminStaffRoles covers changing a staff member's roles from the web:
// the form offers what the actor may grant, saves, reports field errors in
// both languages, and keeps to the API's department scope.
func TestAdminStaffRoles(t *testing.T) {
	e := sqliteEnv(t)
	ctx := t.Context()
	account := func(username string) *identity.Account {
		t.Helper()
		a, err := e.srv.Identity.AccountByUsername(ctx, username)
		if err != nil {
			t.Fatalf("demo account %s: %v", username, err)
		}
		return a
	}
	grants := func(id string) []identity.RoleGrant {
		t.Helper()
		p, err := e.srv.Identity.Principal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return p.Grants
	}
	post := func(tok, id string, roles []string, lang string) *httptest.ResponseRecorder {
		t.Helper()
		form := url.Values{"roles": roles}
		return e.do("POST", "/admin/staff/"+id+"/roles", tok, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "Accept-Language", lang)
	}
	scjgAdmin := e.session("scjg-admin")
	clerk, gaClerk := account("scjg-clerk"), account("ga-clerk")

	t.Run("staff list links to the roles page", func(t *testing.T) {
		body := e.get("/admin/staff", scjgAdmin).Body.String()
		if !strings.Contains(body, `href="/admin/staff/`+clerk.ID+`"`) {
			t.Error("/admin/staff has no link to change scjg-clerk's roles")
		}
		if strings.Contains(body, gaClerk.ID) {
			t.Error("/admin/staff shows another department's staff to a department admin")
		}
		if !strings.Contains(e.get("/admin/staff", e.session("admin")).Body.String(), account("jiancha").ID) {
			t.Error("/admin/staff does not list platform staff for the platform admin")
		}
	})

	t.Run("department admin sees only department roles", func(t *testing.T) {
		rec := e.get("/admin/staff/"+clerk.ID, scjgAdmin)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET roles page = %d", rec.Code)
		}
		body := rec.Body.String()
		for _, want := range []string{`value="clerk" checked`, `value="reviewer" >`, `value="dept_admin"`} {
			if !strings.Contains(body, want) {
				t.Errorf("roles form lacks %q", want)
			}
		}
		for _, unwanted := range []string{`value="supervisor"`, `value="platform_admin"`} {
			if strings.Contains(body, unwanted) {
				t.Errorf("roles form offers a department admin %s", unwanted)
			}
		}
	})

	t.Run("save", func(t *testing.T) {
		rec := post(scjgAdmin, clerk.ID, []string{"clerk", "reviewer"}, "zh-CN")
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/staff/"+clerk.ID {
			t.Fatalf("save = %d to %q: %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
		}
		want := []identity.RoleGrant{{Role: identity.Clerk, Department: "SCJG"}, {Role: identity.Reviewer, Department: "SCJG"}}
		if got := grants(clerk.ID); !slices.Equal(got, want) {
			t.Errorf("grants = %v, want %v", got, want)
		}
	})

	t.Run("no role: 422 with the message next to the field", func(t *testing.T) {
		before := grants(clerk.ID)
		for _, tc := range []struct{ lang, msg string }{{"zh-CN", "至少选择一个角色。"}, {"en", "Choose at least one role."}} {
			rec := post(scjgAdmin, clerk.ID, nil, tc.lang)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%s: no roles = %d, want 422", tc.lang, rec.Code)
			}
			body := rec.Body.String()
			if !strings.Contains(body, `<p class="field-error" id="roles-err">`+tc.msg+`</p>`) {
				t.Errorf("%s: page lacks the roles error %q", tc.lang, tc.msg)
			}
			if strings.Contains(body, "checked") {
				t.Errorf("%s: the re-rendered form ticks roles that were not submitted", tc.lang)
			}
		}
		if got := grants(clerk.ID); !slices.Equal(got, before) {
			t.Errorf("a refused save changed grants to %v", got)
		}
	})

	t.Run("scope", func(t *testing.T) {
		before, gaBefore := grants(clerk.ID), grants(gaClerk.ID)
		for _, tc := range []struct {
			name   string
			method string
			id     string
			roles  []string
			want   int
		}{
			{"other department's staff page", "GET", gaClerk.ID, nil, http.StatusNotFound},
			{"other department's staff", "POST", gaClerk.ID, []string{"clerk"}, http.StatusNotFound},
			{"a citizen", "GET", account("zhangsan").ID, nil, http.StatusNotFound},
			{"platform staff", "GET", account("jiancha").ID, nil, http.StatusNotFound},
			{"unknown account", "GET", "no-such-id", nil, http.StatusNotFound},
			{"grant supervisor", "POST", clerk.ID, []string{"clerk", "supervisor"}, http.StatusForbidden},
			{"grant platform admin", "POST", clerk.ID, []string{"platform_admin"}, http.StatusForbidden},
			{"role in another department", "POST", clerk.ID, []string{"clerk@GA"}, http.StatusForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rec := e.get("/admin/staff/"+tc.id, scjgAdmin)
				if tc.method == "POST" {
					rec = post(scjgAdmin, tc.id, tc.roles, "zh-CN")
				}
				if rec.Code != tc.want {
					t.Errorf("%s as scjg-admin = %d, want %d", tc.method, rec.Code, tc.want)
				}
				if tc.want == http.StatusNotFound && strings.Contains(rec.Body.String(), "吴受理") {
					t.Error("the 404 page names the staff member")
				}
			})
		}
		if got := grants(clerk.ID); !slices.Equal(got, before) {
			t.Errorf("refused changes altered scjg-clerk's grants to %v", got)
		}
		if got := grants(gaClerk.ID); !slices.Equal(got, gaBefore) {
			t.Errorf("refused changes altered ga-clerk's grants to %v", got)
		}
		// The JSON API answers the same for the same request.
		api := e.sendJSON("PUT", "/api/v1/admin/staff/"+gaClerk.ID+"/roles", scjgAdmin, `{"roles":[{"role":"clerk"}]}`)
		if api.Code != http.StatusNotFound {
			t.Errorf("API for another department's staff = %d, want 404 like the form", api.Code)
		}
	})

	t.Run("roles outside the admin's reach lock the form", func(t *testing.T) {
		reviewer := account("scjg-reviewer")
		admin := e.session("admin")
		if rec := post(admin, reviewer.ID, []string{"reviewer", "supervisor"}, "zh-CN"); rec.Code != http.StatusSeeOther {
			t.Fatalf("platform admin grants supervisor = %d: %s", rec.Code, rec.Body.String())
		}
		body := e.get("/admin/staff/"+reviewer.ID, scjgAdmin).Body.String()
		if strings.Contains(body, `action="/admin/staff/`+reviewer.ID+`/roles"`) || !strings.Contains(body, "只能由平台管理员调整") {
			t.Error("a department admin is offered a form for an account holding a supervisor role")
		}
		if rec := post(scjgAdmin, reviewer.ID, []string{"reviewer"}, "zh-CN"); rec.Code != http.StatusForbidden {
			t.Errorf("dept admin changes a supervisor's roles = %d, want 403", rec.Code)
		}
		want := []identity.RoleGrant{{Role: identity.Reviewer, Department: "SCJG"}, {Role: identity.Supervisor}}
		if got := grants(reviewer.ID); !slices.Equal(got, want) {
			t.Errorf("grants = %v, want %v", got, want)
		}
	})

	t.Run("platform admin", func(t *testing.T) {
		admin := e.session("admin")
		body := e.get("/admin/staff/"+gaClerk.ID, admin).Body.String()
		for _, want := range []string{`value="supervisor"`, `value="platform_admin"`, `value="reviewer" checked`} {
			if !strings.Contains(body, want) {
				t.Errorf("platform admin's form lacks %q", want)
			}
		}
		// Platform staff are offered only the platform-wide roles.
		jiancha := account("jiancha")
		body = e.get("/admin/staff/"+jiancha.ID, admin).Body.String()
		if strings.Contains(body, `value="clerk"`) || !strings.Contains(body, `value="supervisor" checked`) {
			t.Error("the form for platform staff offers department roles or loses the supervisor role")
		}
		// A role held in another department is kept when the form is saved
		// as shown.
		if err := e.srv.Identity.SetStaffRoles(ctx, mustPrincipal(t, e, "admin"), gaClerk.ID,
			[]identity.RoleGrant{{Role: identity.Clerk}, {Role: identity.Reviewer, Department: "SCJG"}}); err != nil {
			t.Fatal(err)
		}
		body = e.get("/admin/staff/"+gaClerk.ID, admin).Body.String()
		if !strings.Contains(body, `value="reviewer@SCJG" checked`) {
			t.Fatalf("the form does not show the role held in SCJG")
		}
		if rec := post(admin, gaClerk.ID, []string{"approver", "reviewer@SCJG"}, "zh-CN"); rec.Code != http.StatusSeeOther {
			t.Fatalf("save = %d: %s", rec.Code, rec.Body.String())
		}
		want := []identity.RoleGrant{{Role: identity.Reviewer, Department: "SCJG"}, {Role: identity.Approver, Department: "GA"}}
		if got := grants(gaClerk.ID); !slices.Equal(got, want) {
			t.Errorf("grants = %v, want %v", got, want)
		}
	})
}

func mustPrincipal(t *testing.T, e *env, username string) *identity.Principal {
	t.Helper()
	a, err := e.srv.Identity.AccountByUsername(t.Context(), username)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.srv.Identity.Principal(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestShortStaffedStepsAreShown: taking a role away can leave a stored
// process with a step too few people can take (a countersigned decision
// that needs two approvers, one left), and its applications stop there.
// The department's workbench and the supervisors' page now say which
// steps; nothing said so before.
func TestShortStaffedStepsAreShown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		desk, supervisor := e.session("gjj-clerk"), e.session("jiancha")
		for _, page := range []struct{ path, token string }{{"/staff", desk}, {"/supervision", supervisor}} {
			if body := e.get(page.path, page.token).Body.String(); strings.Contains(body, `id="shortages"`) {
				t.Fatalf("%s shows short-staffed steps while every step is staffed", page.path)
			}
		}
		second, err := e.srv.Identity.AccountByUsername(t.Context(), "gjj-approver2")
		if err != nil {
			t.Fatal(err)
		}
		rec := e.sendJSON("PUT", "/api/v1/admin/staff/"+second.ID+"/roles", e.session("admin"), `{"roles":[{"role":"reviewer","department":"GJJ"}]}`)
		wantStatus(t, "take the approver role away", rec, http.StatusOK)
		for _, tc := range []struct{ path, token, lang, want string }{
			{"/staff", desk, "zh-CN", "临江市住房公积金管理中心需 2 名审批人员，现有 1 名"},
			{"/supervision", supervisor, "zh-CN", "GJJ-002"},
			{"/staff", desk, "en", "Process: Housing Provident Fund Mortgage Loan (GJJ-002): Linjiang Housing Provident Fund Management Center needs 2 in the role"},
		} {
			rec := e.do("GET", tc.path, tc.token, "", nil, "Accept-Language", tc.lang)
			wantStatus(t, tc.path, rec, http.StatusOK)
			body := rec.Body.String()
			i := strings.Index(body, `id="shortages"`)
			if i < 0 || !strings.Contains(body[i:], tc.want) {
				t.Errorf("%s in %s: the short-staffed step is not shown with %q", tc.path, tc.lang, tc.want)
			}
		}
		// Another department's workbench is not concerned.
		if body := e.get("/staff", e.session("scjg-clerk")).Body.String(); strings.Contains(body, `id="shortages"`) {
			t.Error("SCJG's workbench shows GJJ's short-staffed step")
		}
		// The API says the same: to the department's staff and to
		// supervisors, not to another department's.
		for _, tc := range []struct {
			user string
			want int
		}{{"gjj-clerk", 1}, {"jiancha", 1}, {"scjg-clerk", 0}} {
			rec := e.get("/api/v1/process-shortages", e.session(tc.user))
			wantStatus(t, "process shortages as "+tc.user, rec, http.StatusOK)
			matchesOpenAPI(t, rec, "ShortageList")
			var got listResponse[workflow.Shortage]
			decodeResponse(t, rec, &got)
			if got.Count != tc.want || (tc.want > 0 && (got.Items[0].Process != "GJJ-002" || got.Items[0].Have != 1 || got.Items[0].Need != 2)) {
				t.Errorf("process shortages as %s: %+v, want %d", tc.user, got, tc.want)
			}
		}
		wantStatus(t, "process shortages as a citizen", e.get("/api/v1/process-shortages", e.session("zhangsan")), http.StatusForbidden)
	})
}
