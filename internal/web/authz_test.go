package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// The roles of the matrix and the demo account that holds each.
var matrixUsers = []struct{ role, username string }{
	{"anonymous", ""},
	{"citizen", "zhangsan"},
	{"org_agent", "wangwu"},
	{"clerk", "scjg-clerk"},
	{"reviewer", "scjg-reviewer"},
	{"approver", "scjg-approver"},
	{"dept_admin", "scjg-admin"},
	{"supervisor", "jiancha"},
	{"dispatcher", "rexian"},
	{"platform_admin", "admin"},
}

// Who may use each route, written out independently of routes.go so that a
// change to either is caught.
var (
	everyone  = []string{"anonymous", "citizen", "org_agent", "clerk", "reviewer", "approver", "dept_admin", "supervisor", "dispatcher", "platform_admin"}
	signedIn  = everyone[1:]
	persons   = []string{"citizen", "org_agent"}
	staffDesk = []string{"clerk", "reviewer", "approver", "dept_admin", "supervisor", "platform_admin"}
	editors   = []string{"dept_admin", "platform_admin"}
	platform  = []string{"platform_admin"}
	overseers = []string{"supervisor", "platform_admin"}
	// The 12345 hotline.
	dispatchers = []string{"dispatcher", "platform_admin"}
	revealers   = []string{"supervisor"}
	// Data sharing: staff who query for a case of their department, and
	// those who manage a department's resources and grants.
	queriers = []string{"clerk", "reviewer", "approver", "dept_admin"}
	sharers  = []string{"dept_admin", "platform_admin"}
	// Consultations: department admins draft, moderate and report.
	deptAdmins = []string{"dept_admin"}
)

// wantExchangeAccess is the data-sharing part of wantAccess.
var wantExchangeAccess = map[string][]string{
	"GET /my-data":                                persons,
	"GET /staff/exchange":                         staffDesk,
	"POST /staff/exchange/requests":               sharers,
	"POST /staff/exchange/requests/{id}/decision": sharers,
	"POST /staff/exchange/grants/{id}/revoke":     sharers,
	"GET /staff/tasks/{id}/lookup":                queriers,
	"POST /staff/tasks/{id}/lookup":               queriers,
	"GET /supervision/data-access":                overseers,
	// Fulfilled by data (免提交): the avoided-uploads report.
	"GET /supervision/avoided-uploads":             overseers,
	"GET /supervision/supplements":                 overseers,
	"GET /api/v1/supervision/avoided-uploads":      overseers,
	"GET /api/v1/exchange/resources":               staffDesk,
	"GET /api/v1/exchange/resources/{code}":        staffDesk,
	"PUT /api/v1/exchange/resources/{code}":        sharers,
	"GET /api/v1/exchange/requests":                sharers,
	"POST /api/v1/exchange/requests":               sharers,
	"POST /api/v1/exchange/requests/{id}/decision": sharers,
	"GET /api/v1/exchange/grants":                  staffDesk,
	"POST /api/v1/exchange/grants/{id}/revoke":     sharers,
	"POST /api/v1/exchange/queries":                queriers,
	"GET /api/v1/exchange/access-log":              overseers,
	"GET /api/v1/exchange/patterns":                overseers,
	"GET /api/v1/me/data-access":                   persons,
}

// hotlineAdmins hold hotline.admin: the category tree, rules, limits and
// API keys.
var hotlineAdmins = []string{"platform_admin"}

// wantHotlineAdminAccess is the part of wantAccess for the dispatcher's
// telephone intake, the hotline settings and lookups for a ticket.
var wantHotlineAdminAccess = map[string][]string{
	"GET /staff/hotline/call":                     dispatchers,
	"POST /staff/hotline/call":                    dispatchers,
	"POST /api/v1/hotline/calls":                  dispatchers,
	"GET /hotline/tickets/{id}/lookup":            queriers,
	"POST /hotline/tickets/{id}/lookup":           queriers,
	"GET /admin/hotline":                          hotlineAdmins,
	"GET /admin/hotline/categories/new":           hotlineAdmins,
	"POST /admin/hotline/categories":              hotlineAdmins,
	"GET /admin/hotline/categories/{code}":        hotlineAdmins,
	"POST /admin/hotline/categories/{code}":       hotlineAdmins,
	"POST /admin/hotline/rules":                   hotlineAdmins,
	"POST /admin/hotline/rules/{id}/delete":       hotlineAdmins,
	"POST /admin/hotline/deadlines/{kind}":        hotlineAdmins,
	"POST /admin/hotline/keys":                    hotlineAdmins,
	"POST /admin/hotline/keys/{id}/revoke":        hotlineAdmins,
	"GET /api/v1/admin/hotline/categories":        hotlineAdmins,
	"PUT /api/v1/admin/hotline/categories/{code}": hotlineAdmins,
	"GET /api/v1/admin/hotline/rules":             hotlineAdmins,
	"POST /api/v1/admin/hotline/rules":            hotlineAdmins,
	"DELETE /api/v1/admin/hotline/rules/{id}":     hotlineAdmins,
	"GET /api/v1/admin/hotline/deadlines":         hotlineAdmins,
	"PUT /api/v1/admin/hotline/deadlines/{kind}":  hotlineAdmins,
	"GET /api/v1/admin/hotline/keys":              hotlineAdmins,
	"POST /api/v1/admin/hotline/keys":             hotlineAdmins,
	"POST /api/v1/admin/hotline/keys/{id}/revoke": hotlineAdmins,
}

// wantConsultationAccess is the consultations part of wantAccess:
// reading is public; persons comment; department admins manage (the
// store answers 404 for another department's consultation).
var wantConsultationAccess = map[string][]string{
	"GET /consultations":                                    everyone,
	"GET /consultations/policy":                             everyone,
	"GET /consultations/{id}":                               everyone,
	"POST /consultations/{id}/comments":                     persons,
	"GET /staff/consultations":                              deptAdmins,
	"GET /staff/consultations/new":                          deptAdmins,
	"POST /staff/consultations":                             deptAdmins,
	"GET /staff/consultations/{id}":                         deptAdmins,
	"POST /staff/consultations/{id}":                        deptAdmins,
	"POST /staff/consultations/{id}/publish":                deptAdmins,
	"POST /staff/consultations/{id}/comments/{cid}/hide":    deptAdmins,
	"POST /staff/consultations/{id}/comments/{cid}/unhide":  deptAdmins,
	"POST /staff/consultations/{id}/groups":                 deptAdmins,
	"POST /staff/consultations/{id}/answers":                deptAdmins,
	"POST /staff/consultations/{id}/report":                 deptAdmins,
	"GET /api/v1/consultations":                             everyone,
	"GET /api/v1/consultations/policy":                      everyone,
	"GET /api/v1/consultations/{id}":                        everyone,
	"GET /api/v1/consultations/{id}/comments":               everyone,
	"GET /api/v1/consultations/{id}/comments.csv":           everyone,
	"GET /api/v1/consultations/{id}/stats":                  everyone,
	"POST /api/v1/consultations/{id}/comments":              persons,
	"GET /api/v1/staff/consultations":                       deptAdmins,
	"POST /api/v1/consultations":                            deptAdmins,
	"PUT /api/v1/consultations/{id}":                        deptAdmins,
	"POST /api/v1/consultations/{id}/publish":               deptAdmins,
	"GET /api/v1/consultations/{id}/moderations":            deptAdmins,
	"POST /api/v1/consultations/{id}/comments/{cid}/hide":   deptAdmins,
	"POST /api/v1/consultations/{id}/comments/{cid}/unhide": deptAdmins,
	"POST /api/v1/consultations/{id}/groups":                deptAdmins,
	"POST /api/v1/consultations/{id}/answers":               deptAdmins,
	"POST /api/v1/consultations/{id}/report":                deptAdmins,
}

// wantLicenseAccess is the electronic-license part of wantAccess:
// verification is public; holders keep a wallet and share links; a
// license, its PDF and signed file need a signed-in account, and the store
// shows them only to the holder and the issuing department's managers
// (approvers and department admins), who revoke, suspend and reinstate;
// department and platform admins define the types.
var (
	licenseManagers   = []string{"approver", "dept_admin"}
	wantLicenseAccess = map[string][]string{
		"GET /licenses/check/{id}/{code}":                everyone,
		"GET /licenses/shared":                           everyone,
		"GET /licenses/verify":                           everyone,
		"POST /licenses/verify":                          everyone,
		"GET /licenses/keys":                             everyone,
		"GET /licenses":                                  persons,
		"GET /licenses/{id}":                             signedIn,
		"GET /licenses/{id}/pdf":                         signedIn,
		"GET /licenses/{id}/signed.json":                 signedIn,
		"POST /licenses/{id}/shares":                     persons,
		"POST /licenses/{id}/shares/{sid}/revoke":        persons,
		"GET /staff/licenses":                            licenseManagers,
		"POST /staff/licenses/{id}/state":                licenseManagers,
		"GET /admin/license-types":                       editors,
		"POST /admin/license-types":                      editors,
		"GET /admin/license-types/{code}":                editors,
		"GET /api/v1/licenses":                           persons,
		"GET /api/v1/licenses/{id}":                      signedIn,
		"GET /api/v1/licenses/{id}/pdf":                  signedIn,
		"GET /api/v1/licenses/{id}/signed":               signedIn,
		"GET /api/v1/licenses/{id}/shares":               persons,
		"POST /api/v1/licenses/{id}/shares":              persons,
		"POST /api/v1/licenses/{id}/shares/{sid}/revoke": persons,
		"GET /api/v1/licenses/keys":                      everyone,
		"GET /api/v1/licenses/check/{id}/{code}":         everyone,
		"GET /api/v1/licenses/shared":                    everyone,
		"POST /api/v1/licenses/verify":                   everyone,
		"GET /api/v1/staff/licenses":                     licenseManagers,
		"POST /api/v1/staff/licenses/{id}/state":         licenseManagers,
		"GET /api/v1/admin/license-types":                editors,
		"GET /api/v1/admin/license-types/{code}":         editors,
		"PUT /api/v1/admin/license-types/{code}":         editors,
	}
)

// wantRatingAccess is the service-rating (好差评) part of wantAccess:
// persons rate (the store lets only the one who applied or filed);
// department staff and supervisors list rectifications; anyone signed in
// may open one and post a callback (the store answers 404 unless they are
// the rater, the department's staff or a supervisor, and lets only the
// rater or a supervisor recording a telephone callback post it); the
// department's staff answer (supervisors and admins pass the gate and get
// 403 from the store); the figures are public.
var wantRatingAccess = map[string][]string{
	"GET /figures":                              everyone,
	"POST /applications/{id}/rating":            persons,
	"POST /applications/{id}/rating/amend":      persons,
	"POST /hotline/tickets/{id}/rating":         persons,
	"POST /hotline/tickets/{id}/rating/amend":   persons,
	"GET /staff/rectifications":                 staffDesk,
	"GET /rectifications/{id}":                  signedIn,
	"POST /rectifications/{id}/answer":          staffDesk,
	"POST /rectifications/{id}/callback":        signedIn,
	"GET /api/v1/figures":                       everyone,
	"GET /api/v1/rating-levels":                 everyone,
	"GET /api/v1/ratings":                       persons,
	"POST /api/v1/applications/{id}/rating":     persons,
	"PUT /api/v1/applications/{id}/rating":      persons,
	"POST /api/v1/hotline/tickets/{id}/rating":  persons,
	"PUT /api/v1/hotline/tickets/{id}/rating":   persons,
	"GET /api/v1/rectifications":                staffDesk,
	"GET /api/v1/rectifications/{id}":           signedIn,
	"POST /api/v1/rectifications/{id}/answer":   staffDesk,
	"POST /api/v1/rectifications/{id}/callback": signedIn,
}

func init() {
	for k, v := range wantExchangeAccess {
		wantAccess[k] = v
	}
	for k, v := range wantHotlineAdminAccess {
		wantAccess[k] = v
	}
	for k, v := range wantConsultationAccess {
		wantAccess[k] = v
	}
	for k, v := range wantLicenseAccess {
		wantAccess[k] = v
	}
	for k, v := range wantRatingAccess {
		wantAccess[k] = v
	}
}

// wantHotlineOversightAccess is the part of wantAccess for the hotline's
// receipts and the supervisors' ticket list.
var wantHotlineOversightAccess = map[string][]string{
	"GET /hotline/tickets/{id}/receipts/{file}":      signedIn,
	"GET /supervision/hotline":                       overseers,
	"GET /api/v1/supervision/hotline":                overseers,
	"POST /admin/hotline/keys/{id}/rate":             hotlineAdmins,
	"PUT /api/v1/admin/hotline/keys/{id}/rate-limit": hotlineAdmins,
}

func init() {
	for k, v := range wantHotlineOversightAccess {
		wantAccess[k] = v
	}
}

var wantAccess = map[string][]string{
	"GET /healthz":                                   everyone,
	"GET /readyz":                                    everyone,
	"GET /static/{hash}/{name}":                      everyone,
	"GET /api/openapi.json":                          everyone,
	"GET /{$}":                                       everyone,
	"GET /search":                                    everyone,
	"GET /services":                                  everyone,
	"GET /services/{code}":                           everyone,
	"GET /services/{code}/process.svg":               everyone,
	"GET /themes/{code}":                             everyone,
	"GET /departments":                               everyone,
	"GET /departments/{code}":                        everyone,
	"GET /lang/{lang}":                               everyone,
	"GET /login":                                     everyone,
	"POST /login":                                    everyone,
	"POST /logout":                                   signedIn,
	"GET /register":                                  everyone,
	"POST /register":                                 everyone,
	"GET /account":                                   signedIn,
	"POST /account/organizations":                    persons,
	"GET /notices":                                   signedIn,
	"POST /notices/{id}/read":                        signedIn,
	"GET /staff":                                     staffDesk,
	"GET /admin/services":                            editors,
	"GET /admin/services/new":                        editors,
	"POST /admin/services":                           editors,
	"GET /admin/services/{code}":                     editors,
	"POST /admin/services/{code}":                    editors,
	"POST /admin/services/{code}/publish":            editors,
	"POST /admin/services/{code}/withdraw":           editors,
	"GET /admin/processes/{code}":                    editors,
	"POST /admin/processes/{code}":                   editors,
	"GET /admin/synonyms":                            platform,
	"POST /admin/synonyms":                           platform,
	"POST /admin/synonyms/{term}/delete":             platform,
	"GET /admin/catalog":                             platform,
	"GET /admin/catalog/export":                      platform,
	"POST /admin/catalog/import":                     platform,
	"GET /admin/staff":                               editors,
	"POST /admin/staff":                              editors,
	"GET /admin/calendar":                            platform,
	"POST /admin/calendar":                           platform,
	"POST /admin/calendar/{date}/delete":             platform,
	"GET /admin/staff/{id}":                          editors,
	"POST /admin/staff/{id}/roles":                   editors,
	"GET /admin/org":                                 platform,
	"GET /admin/org/divisions/new":                   platform,
	"POST /admin/org/divisions":                      platform,
	"GET /admin/org/divisions/{code}":                platform,
	"POST /admin/org/divisions/{code}":               platform,
	"GET /admin/org/departments/new":                 platform,
	"POST /admin/org/departments":                    platform,
	"GET /admin/org/departments/{code}":              platform,
	"POST /admin/org/departments/{code}":             platform,
	"GET /supervision":                               overseers,
	"GET /api/v1/services":                           everyone,
	"GET /api/v1/services/{code}":                    everyone,
	"GET /api/v1/services/{code}/versions/{version}": everyone,
	"GET /api/v1/search":                             everyone,
	"GET /api/v1/themes":                             everyone,
	"GET /api/v1/themes/{code}":                      everyone,
	"GET /api/v1/departments":                        everyone,
	"GET /api/v1/departments/{code}":                 everyone,
	"GET /api/v1/divisions":                          everyone,
	"GET /api/v1/calendar/workdays":                  everyone,
	"GET /api/v1/calendar/days":                      everyone,
	"GET /api/v1/processes/{code}":                   everyone,
	"POST /api/v1/session":                           everyone,
	"DELETE /api/v1/session":                         signedIn,
	"POST /api/v1/accounts":                          everyone,
	"GET /api/v1/me":                                 signedIn,
	"POST /api/v1/organizations":                     persons,
	"GET /api/v1/notices":                            signedIn,
	"POST /api/v1/notices/{id}/read":                 signedIn,
	"GET /api/v1/admin/services":                     editors,
	"POST /api/v1/admin/services":                    editors,
	"GET /api/v1/admin/services/{code}":              editors,
	"PUT /api/v1/admin/services/{code}":              editors,
	"POST /api/v1/admin/services/{code}/publish":     editors,
	"POST /api/v1/admin/services/{code}/withdraw":    editors,
	"PUT /api/v1/admin/processes/{code}":             editors,
	"GET /api/v1/admin/synonyms":                     platform,
	"PUT /api/v1/admin/synonyms/{term}":              platform,
	"DELETE /api/v1/admin/synonyms/{term}":           platform,
	"PUT /api/v1/admin/themes/{code}":                platform,
	"DELETE /api/v1/admin/themes/{code}":             platform,
	"GET /api/v1/admin/catalog":                      platform,
	"POST /api/v1/admin/catalog":                     platform,
	"GET /api/v1/admin/staff":                        editors,
	"POST /api/v1/admin/staff":                       editors,
	"PUT /api/v1/admin/staff/{id}/roles":             editors,
	"PUT /api/v1/admin/divisions/{code}":             platform,
	"PUT /api/v1/admin/departments/{code}":           platform,
	"PUT /api/v1/admin/calendar/days/{date}":         platform,
	"DELETE /api/v1/admin/calendar/days/{date}":      platform,
	"GET /api/v1/supervision/catalog":                overseers,
	"GET /api/v1/supervision/supplements":            overseers,

	// Applications (办件): the applicant files and follows them; staff
	// open uploads and letters of applications they handle.
	"GET /applications":                              persons,
	"GET /ratings":                                   persons,
	"POST /applications":                             persons,
	"GET /applications/{id}":                         persons,
	"POST /applications/{id}":                        persons,
	"POST /applications/{id}/materials":              persons,
	"POST /applications/{id}/materials/{mid}/delete": persons,
	"GET /applications/{id}/materials/{mid}":         signedIn,
	"POST /applications/{id}/withdraw":               persons,
	"POST /applications/{id}/discard":                persons,
	"POST /applications/{id}/supplement":             persons,
	"GET /applications/{id}/letter":                  signedIn,
	"GET /applications/{id}/receipts/{file}":         signedIn,
	"GET /ledger/checkpoint":                         everyone,
	"GET /ledger/key":                                everyone,
	"GET /ledger/tile/{path...}":                     everyone,
	"GET /staff/tasks":                               staffDesk,
	"GET /staff/tasks/{id}":                          staffDesk,
	"POST /staff/tasks/{id}/claim":                   staffDesk,
	"POST /staff/tasks/{id}/decision":                staffDesk,
	"POST /staff/tasks/{id}/return":                  staffDesk,
	"POST /staff/tasks/{id}/handover":                staffDesk,
	"POST /staff/tasks/{id}/documents":               staffDesk,
	"GET /staff/applications/{id}/documents/{did}":   staffDesk,

	// The same through the JSON API.
	"POST /api/v1/applications":                        persons,
	"GET /api/v1/applications":                         persons,
	"GET /api/v1/applications/{id}":                    signedIn,
	"PUT /api/v1/applications/{id}/form":               persons,
	"DELETE /api/v1/applications/{id}":                 persons,
	"POST /api/v1/applications/{id}/materials":         persons,
	"DELETE /api/v1/applications/{id}/materials/{mid}": persons,
	"GET /api/v1/applications/{id}/materials/{mid}":    signedIn,
	"POST /api/v1/applications/{id}/submit":            persons,
	"POST /api/v1/applications/{id}/withdraw":          persons,
	"POST /api/v1/applications/{id}/supplement":        persons,
	"GET /api/v1/tasks":                                staffDesk,
	"GET /api/v1/process-shortages":                    staffDesk,
	"GET /api/v1/tasks/{id}":                           staffDesk,
	"POST /api/v1/tasks/{id}/claim":                    staffDesk,
	"POST /api/v1/tasks/{id}/decision":                 staffDesk,
	"POST /api/v1/tasks/{id}/return":                   staffDesk,
	"POST /api/v1/tasks/{id}/handover":                 staffDesk,
	"POST /api/v1/tasks/{id}/documents":                staffDesk,
	"GET /api/v1/applications/{id}/documents":          staffDesk,
	"GET /api/v1/applications/{id}/documents/{did}":    staffDesk,

	// Open311 GeoReport v2: public; POST requests checks the app's
	// api_key in the handler (403 in the spec's format, not the gate's).
	"GET /open311/v2/discovery.json":  everyone,
	"GET /open311/v2/discovery.xml":   everyone,
	"GET /open311/v2/services.json":   everyone,
	"GET /open311/v2/services.xml":    everyone,
	"GET /open311/v2/services/{code}": everyone,
	"POST /open311/v2/requests.json":  everyone,
	"POST /open311/v2/requests.xml":   everyone,
	"GET /open311/v2/requests.json":   everyone,
	"GET /open311/v2/requests.xml":    everyone,
	"GET /open311/v2/requests/{id}":   everyone,
	"GET /open311/v2/tokens/{id}":     everyone,

	// The 12345 hotline: citizens file and follow their tickets; anyone
	// signed in may open a ticket (the store answers 404 unless they may
	// see it) and answer a callback (their own, or a dispatcher's for a
	// reporter without an account).
	"GET /hotline/new":                            persons,
	"POST /hotline/tickets":                       persons,
	"GET /hotline/tickets":                        persons,
	"GET /hotline/tickets/{id}":                   signedIn,
	"GET /hotline/tickets/{id}/attachments/{aid}": signedIn,
	"POST /hotline/tickets/{id}/callback":         signedIn,
	"GET /staff/hotline/dispatch":                 dispatchers,
	"POST /hotline/tickets/{id}/dispatch":         dispatchers,
	"POST /hotline/tickets/{id}/merge":            dispatchers,
	"GET /staff/hotline":                          staffDesk,
	"POST /hotline/tickets/{id}/sign":             staffDesk,
	"POST /hotline/tickets/{id}/return":           staffDesk,
	"POST /hotline/tickets/{id}/reply":            staffDesk,
	"POST /hotline/tickets/{id}/urge":             overseers,
	"POST /hotline/tickets/{id}/reveal":           revealers,
	"GET /api/v1/hotline/categories":              everyone,
	"POST /api/v1/hotline/tickets":                persons,
	"GET /api/v1/hotline/tickets":                 persons,
	"GET /api/v1/hotline/tickets/{id}":            signedIn,
	"POST /api/v1/hotline/tickets/{id}/callback":  signedIn,
	"GET /api/v1/hotline/dispatch":                dispatchers,
	"POST /api/v1/hotline/tickets/{id}/dispatch":  dispatchers,
	"GET /api/v1/hotline/tickets/{id}/similar":    dispatchers,
	"POST /api/v1/hotline/tickets/{id}/merge":     dispatchers,
	"GET /api/v1/hotline/queue":                   staffDesk,
	"POST /api/v1/hotline/tickets/{id}/sign":      staffDesk,
	"POST /api/v1/hotline/tickets/{id}/return":    staffDesk,
	"POST /api/v1/hotline/tickets/{id}/reply":     staffDesk,
	"POST /api/v1/hotline/tickets/{id}/urge":      overseers,
	"POST /api/v1/hotline/tickets/{id}/reveal":    revealers,
}

// TestPermissionMatrix walks every route with every role: allowed roles
// must get through the gate (any status but 401/403, and never a 5xx),
// others must be turned away: anonymous visitors to sign-in (401, or a
// redirect to /login for pages), signed-in users with 403.
func TestPermissionMatrix(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	routes := e.srv.Routes()
	seen := map[string]bool{}
	for _, r := range routes {
		key := r.Method + " " + r.Pattern
		seen[key] = true
		if _, ok := wantAccess[key]; !ok {
			t.Errorf("route %s has no row in wantAccess: decide who may use it", key)
		}
	}
	for key := range wantAccess {
		if !seen[key] {
			t.Errorf("wantAccess lists %s, which is not a route", key)
		}
	}
	svcs, err := e.srv.Catalog.List(ctx, catalog.Filter{Department: "SCJG"})
	if err != nil || len(svcs) == 0 {
		t.Fatalf("demo SCJG services: %v, %d", err, len(svcs))
	}
	themes, _ := e.srv.Catalog.Themes(ctx)
	syns, _ := e.srv.Catalog.Synonyms(ctx)
	clerk, _ := e.srv.Identity.AccountByUsername(ctx, "scjg-clerk")
	params := func(r Route) string {
		p := r.Pattern
		p = strings.ReplaceAll(p, "{$}", "")
		code := svcs[0].Code
		switch {
		case strings.Contains(p, "/themes/"):
			code = themes[0].Code
		case strings.Contains(p, "/departments/"):
			code = "SCJG"
		case strings.Contains(p, "/divisions/"):
			code = "339900"
		}
		repl := strings.NewReplacer("{code}", code, "{version}", "1", "{lang}", "en", "{term}", url.PathEscape(syns[0].Term),
			"{id}", clerk.ID, "{cid}", clerk.ID, "{sid}", clerk.ID, "{mid}", clerk.ID, "{did}", clerk.ID, "{aid}", clerk.ID, "{date}", "2026-10-10", "{kind}", "complaint", "{hash}", e.srv.static.hash["app.css"], "{name}", "app.css")
		return repl.Replace(p)
	}
	for _, r := range routes {
		allowed := map[string]bool{}
		for _, role := range wantAccess[r.Method+" "+r.Pattern] {
			allowed[role] = true
		}
		for _, u := range matrixUsers {
			t.Run(r.Method+" "+r.Pattern+" as "+u.role, func(t *testing.T) {
				target := params(r)
				tok := e.session(u.username)
				var rec = e.do(r.Method, target, tok, "application/x-www-form-urlencoded", strings.NewReader(""))
				if strings.HasPrefix(target, "/api/") && r.Method != "GET" && r.Method != "DELETE" {
					rec = e.do(r.Method, target, tok, "application/json", strings.NewReader("{}"))
				}
				code := rec.Code
				if code >= 500 {
					t.Fatalf("%s %s as %s = %d, a server error: %s", r.Method, target, u.role, code, rec.Body.String())
				}
				denied := code == http.StatusUnauthorized || code == http.StatusForbidden ||
					(code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/login?"))
				if strings.HasPrefix(target, "/open311/") && code == http.StatusForbidden && strings.Contains(rec.Body.String(), "api_key") {
					denied = false // the Open311 key check, past the gate
				}
				if allowed[u.role] && denied {
					t.Errorf("%s %s as %s = %d, want access", r.Method, target, u.role, code)
				}
				if !allowed[u.role] {
					switch {
					case u.role == "anonymous" && r.Method == "GET" && !strings.HasPrefix(target, "/api/"):
						if code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login?") {
							t.Errorf("%s %s anonymously = %d, want a redirect to sign in", r.Method, target, code)
						}
					case u.role == "anonymous":
						if code != http.StatusUnauthorized {
							t.Errorf("%s %s anonymously = %d, want 401", r.Method, target, code)
						}
					default:
						if code != http.StatusForbidden {
							t.Errorf("%s %s as %s = %d, want 403", r.Method, target, u.role, code)
						}
					}
				}
			})
		}
	}
}

func TestEveryRoleHasADemoAccount(t *testing.T) {
	var roles []string
	for _, u := range matrixUsers {
		roles = append(roles, u.role)
	}
	sort.Strings(roles)
	want := append([]string(nil), everyone...)
	sort.Strings(want)
	if strings.Join(roles, ",") != strings.Join(want, ",") {
		t.Fatalf("matrix roles %v, want %v", roles, want)
	}
}

// TestSkippedStepGivesNoAccess: a department whose step an application's
// condition left out (the fire review of a 45 m² tea shop) may not read
// the application, its materials or the skipped task; it could, because
// the skipped task named the department. A department whose step opened
// (the 860 m² restaurant's fire review) still may.
func TestSkippedStepGivesNoAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnvWith(t, d, true)
		xf := e.session("xf-clerk")
		small, branch := demoAppID(t, d, "food-licence-small"), demoAppID(t, d, "food-licence-branch")
		var skipped, material string
		if err := d.Read().QueryRow(`SELECT id FROM tasks WHERE application_id = $1 AND department_code = 'XF'`, small).Scan(&skipped); err != nil {
			t.Fatalf("the skipped fire review of the tea shop: %v", err)
		}
		if err := d.Read().QueryRow(`SELECT id FROM application_materials WHERE application_id = $1 LIMIT 1`, small).Scan(&material); err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"/api/v1/applications/" + small, "/applications/" + small + "/materials/" + material,
			"/staff/tasks/" + skipped, "/api/v1/tasks/" + skipped, "/api/v1/applications/" + small + "/documents"} {
			if rec := e.get(target, xf); rec.Code != http.StatusNotFound {
				t.Errorf("the fire department reads %s of an application it has no open step of: %d", target, rec.Code)
			}
		}
		wantStatus(t, "the fire department reads the application its review is open on", e.get("/api/v1/applications/"+branch, xf), http.StatusOK)
		wantStatus(t, "the market regulator reads its own", e.get("/api/v1/applications/"+small, e.session("scjg-clerk")), http.StatusOK)
	})
}
