package web

import (
	"github.com/tongban/tongban/internal/identity"
)

// Public marks a route anyone may use, signed in or not.
const Public identity.Permission = ""

// route is one entry of the route table: a method and pattern for
// http.ServeMux, the permission a caller needs (checked before the handler
// runs; department scope is checked again by the domain), and the handler.
type route struct {
	Method  string
	Pattern string
	Perm    identity.Permission
	h       func(*request) error
}

// Route describes a route for tests and the OpenAPI check.
type Route struct {
	Method, Pattern string
	Perm            identity.Permission
}

// Routes lists every route of the server.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.routes))
	for i, r := range s.routes {
		out[i] = Route{r.Method, r.Pattern, r.Perm}
	}
	return out
}

// routeTable is every route on one screen.
func (s *Server) routeTable() []route {
	const (
		get    = "GET"
		post   = "POST"
		put    = "PUT"
		delete = "DELETE"
	)
	return append([]route{
		// Operators.
		{get, "/healthz", Public, s.healthz},
		{get, "/readyz", Public, s.readyz},
		{get, "/static/{hash}/{name}", Public, s.serveStatic},
		{get, "/api/openapi.json", Public, s.openapi},

		// The public ledger (c2sp.org/tlog-tiles).
		{get, "/ledger/checkpoint", Public, s.ledgerCheckpoint},
		{get, "/ledger/key", Public, s.ledgerKey},
		{get, "/ledger/tile/{path...}", Public, s.ledgerTile},

		// Public pages.
		{get, "/{$}", Public, s.homePage},
		{get, "/search", Public, s.searchPage},
		{get, "/services", Public, s.servicesPage},
		{get, "/services/{code}", Public, s.guidePage},
		{get, "/services/{code}/process.svg", Public, s.processSVG},
		{get, "/themes/{code}", Public, s.themePage},
		{get, "/departments", Public, s.departmentsPage},
		{get, "/departments/{code}", Public, s.departmentPage},
		{get, "/lang/{lang}", Public, s.setLanguage},

		// Sign-in and account pages.
		{get, "/login", Public, s.loginPage},
		{post, "/login", Public, s.loginSubmit},
		{post, "/logout", identity.PermAccount, s.logoutSubmit},
		{get, "/register", Public, s.registerPage},
		{post, "/register", Public, s.limit("register", s.registerSubmit)},
		{get, "/account", identity.PermAccount, s.accountPage},
		{post, "/account/organizations", identity.PermOrgRegister, s.organizationSubmit},
		{get, "/notices", identity.PermAccount, s.noticesPage},
		{post, "/notices/{id}/read", identity.PermAccount, s.noticeReadSubmit},

		// Applications (办件): applicants.
		{get, "/applications", identity.PermApply, s.myApplicationsPage},
		{post, "/applications", identity.PermApply, s.applyStart},
		{get, "/applications/{id}", identity.PermApply, s.applicationPage},
		{post, "/applications/{id}", identity.PermApply, s.applicationSave},
		{post, "/applications/{id}/materials", identity.PermApply, s.materialUpload},
		{post, "/applications/{id}/materials/{mid}/delete", identity.PermApply, s.materialDelete},
		{get, "/applications/{id}/materials/{mid}", identity.PermAccount, s.materialDownload},
		{post, "/applications/{id}/withdraw", identity.PermApply, s.applicationWithdraw},
		{post, "/applications/{id}/discard", identity.PermApply, s.applicationDiscard},
		{post, "/applications/{id}/supplement", identity.PermApply, s.supplementAnswer},
		{get, "/applications/{id}/letter", identity.PermAccount, s.letterPage},
		{get, "/applications/{id}/receipts/{file}", identity.PermAccount, s.receiptDownload},

		// The work queue (待办): staff.
		{get, "/staff/tasks", identity.PermStaffDesk, s.queuePage},
		{get, "/staff/tasks/{id}", identity.PermStaffDesk, s.taskPage},
		{post, "/staff/tasks/{id}/claim", identity.PermStaffDesk, s.taskClaim},
		{post, "/staff/tasks/{id}/decision", identity.PermStaffDesk, s.taskDecide},
		{post, "/staff/tasks/{id}/return", identity.PermStaffDesk, s.taskReturn},
		{post, "/staff/tasks/{id}/handover", identity.PermStaffDesk, s.taskHandover},
		{post, "/staff/tasks/{id}/documents", identity.PermStaffDesk, s.taskDocumentUpload},
		{get, "/staff/applications/{id}/documents/{did}", identity.PermStaffDesk, s.documentDownload},

		// Staff pages.
		{get, "/staff", identity.PermStaffDesk, s.staffPage},
		{get, "/admin/services", identity.PermCatalogEdit, s.adminServicesPage},
		{get, "/admin/services/new", identity.PermCatalogEdit, s.adminNewServicePage},
		{post, "/admin/services", identity.PermCatalogEdit, s.adminCreateService},
		{get, "/admin/services/{code}", identity.PermCatalogEdit, s.adminEditServicePage},
		{post, "/admin/services/{code}", identity.PermCatalogEdit, s.adminUpdateService},
		{post, "/admin/services/{code}/publish", identity.PermCatalogPublish, s.adminPublishService},
		{post, "/admin/services/{code}/withdraw", identity.PermCatalogPublish, s.adminWithdrawService},
		{get, "/admin/processes/{code}", identity.PermCatalogEdit, s.adminProcessPage},
		{post, "/admin/processes/{code}", identity.PermCatalogEdit, s.adminSaveProcess},
		{get, "/admin/synonyms", identity.PermCatalogAdmin, s.adminSynonymsPage},
		{post, "/admin/synonyms", identity.PermCatalogAdmin, s.adminPutSynonym},
		{post, "/admin/synonyms/{term}/delete", identity.PermCatalogAdmin, s.adminDeleteSynonym},
		{get, "/admin/catalog", identity.PermCatalogAdmin, s.adminCatalogPage},
		{get, "/admin/catalog/export", identity.PermCatalogAdmin, s.adminExport},
		{post, "/admin/catalog/import", identity.PermCatalogAdmin, s.adminImport},
		{get, "/admin/staff", identity.PermStaffManage, s.adminStaffPage},
		{post, "/admin/staff", identity.PermStaffManage, s.adminCreateStaff},
		{get, "/admin/calendar", identity.PermCalendarManage, s.adminCalendarPage},
		{post, "/admin/calendar", identity.PermCalendarManage, s.adminPutCalendarDay},
		{post, "/admin/calendar/{date}/delete", identity.PermCalendarManage, s.adminDeleteCalendarDay},
		{get, "/admin/staff/{id}", identity.PermStaffManage, s.adminStaffRolesPage},
		{post, "/admin/staff/{id}/roles", identity.PermStaffManage, s.adminSetStaffRoles},
		{get, "/admin/org", identity.PermOrgManage, s.adminOrgPage},
		{get, "/admin/org/divisions/new", identity.PermOrgManage, s.adminNewDivisionPage},
		{post, "/admin/org/divisions", identity.PermOrgManage, s.adminCreateDivision},
		{get, "/admin/org/divisions/{code}", identity.PermOrgManage, s.adminEditDivisionPage},
		{post, "/admin/org/divisions/{code}", identity.PermOrgManage, s.adminUpdateDivision},
		{get, "/admin/org/departments/new", identity.PermOrgManage, s.adminNewDepartmentPage},
		{post, "/admin/org/departments", identity.PermOrgManage, s.adminCreateDepartment},
		{get, "/admin/org/departments/{code}", identity.PermOrgManage, s.adminEditDepartmentPage},
		{post, "/admin/org/departments/{code}", identity.PermOrgManage, s.adminUpdateDepartment},
		{get, "/supervision", identity.PermSupervise, s.supervisionPage},
		{get, "/supervision/avoided-uploads", identity.PermSupervise, s.avoidedUploadsPage},
		{get, "/supervision/supplements", identity.PermSupervise, s.repeatSupplementsPage},

		// Data sharing (数据共享交换): pages.
		{get, "/my-data", identity.PermMyData, s.myDataPage},
		{get, "/staff/exchange", identity.PermStaffDesk, s.staffExchangePage},
		{post, "/staff/exchange/requests", identity.PermExchangeManage, s.staffExchangeRequest},
		{post, "/staff/exchange/requests/{id}/decision", identity.PermExchangeManage, s.staffExchangeDecide},
		{post, "/staff/exchange/grants/{id}/revoke", identity.PermExchangeManage, s.staffExchangeRevoke},
		{get, "/staff/tasks/{id}/lookup", identity.PermExchangeQuery, s.lookupPage(s.taskLookup)},
		{post, "/staff/tasks/{id}/lookup", identity.PermExchangeQuery, s.lookupSubmit(s.taskLookup)},
		{get, "/hotline/tickets/{id}/lookup", identity.PermExchangeQuery, s.lookupPage(s.ticketLookup)},
		{post, "/hotline/tickets/{id}/lookup", identity.PermExchangeQuery, s.lookupSubmit(s.ticketLookup)},
		{get, "/supervision/data-access", identity.PermSupervise, s.supervisionDataPage},

		// JSON API: public catalog.
		{get, "/api/v1/services", Public, s.apiServices},
		{get, "/api/v1/services/{code}", Public, s.apiService},
		{get, "/api/v1/services/{code}/versions/{version}", Public, s.apiServiceVersion},
		{get, "/api/v1/search", Public, s.apiSearch},
		{get, "/api/v1/themes", Public, s.apiThemes},
		{get, "/api/v1/themes/{code}", Public, s.apiTheme},
		{get, "/api/v1/departments", Public, s.apiDepartments},
		{get, "/api/v1/departments/{code}", Public, s.apiDepartment},
		{get, "/api/v1/divisions", Public, s.apiDivisions},
		{get, "/api/v1/processes/{code}", Public, s.apiProcess},

		// JSON API: the working-day calendar.
		{get, "/api/v1/calendar/workdays", Public, s.apiCalendarWorkdays},
		{get, "/api/v1/calendar/days", Public, s.apiCalendarDays},

		// JSON API: identity.
		{post, "/api/v1/session", Public, s.apiLogin},
		{delete, "/api/v1/session", identity.PermAccount, s.apiLogout},
		{post, "/api/v1/accounts", Public, s.limit("register", s.apiRegister)},
		{get, "/api/v1/me", identity.PermAccount, s.apiMe},
		{post, "/api/v1/organizations", identity.PermOrgRegister, s.apiRegisterOrganization},
		{get, "/api/v1/notices", identity.PermAccount, s.apiNotices},
		{post, "/api/v1/notices/{id}/read", identity.PermAccount, s.apiNoticeRead},

		// JSON API: applications.
		{post, "/api/v1/applications", identity.PermApply, s.apiCreateApplication},
		{get, "/api/v1/applications", identity.PermApply, s.apiMyApplications},
		{get, "/api/v1/applications/{id}", identity.PermAccount, s.apiApplication},
		{put, "/api/v1/applications/{id}/form", identity.PermApply, s.apiSaveDraft},
		{delete, "/api/v1/applications/{id}", identity.PermApply, s.apiDiscard},
		{post, "/api/v1/applications/{id}/materials", identity.PermApply, s.apiUploadMaterial},
		{delete, "/api/v1/applications/{id}/materials/{mid}", identity.PermApply, s.apiDeleteMaterial},
		{get, "/api/v1/applications/{id}/materials/{mid}", identity.PermAccount, s.materialDownload},
		{post, "/api/v1/applications/{id}/submit", identity.PermApply, s.apiSubmit},
		{post, "/api/v1/applications/{id}/withdraw", identity.PermApply, s.apiWithdraw},
		{post, "/api/v1/applications/{id}/supplement", identity.PermApply, s.apiAnswerSupplement},
		{get, "/api/v1/tasks", identity.PermStaffDesk, s.apiQueue},
		{get, "/api/v1/tasks/{id}", identity.PermStaffDesk, s.apiTask},
		{post, "/api/v1/tasks/{id}/claim", identity.PermStaffDesk, s.apiClaim},
		{post, "/api/v1/tasks/{id}/decision", identity.PermStaffDesk, s.apiDecide},
		{post, "/api/v1/tasks/{id}/return", identity.PermStaffDesk, s.apiReturn},
		{post, "/api/v1/tasks/{id}/handover", identity.PermStaffDesk, s.apiHandover},
		{post, "/api/v1/tasks/{id}/documents", identity.PermStaffDesk, s.apiAttachDocument},
		{get, "/api/v1/applications/{id}/documents", identity.PermStaffDesk, s.apiDocuments},
		{get, "/api/v1/applications/{id}/documents/{did}", identity.PermStaffDesk, s.documentDownload},

		// JSON API: administration.
		{get, "/api/v1/admin/services", identity.PermCatalogEdit, s.apiAdminServices},
		{post, "/api/v1/admin/services", identity.PermCatalogEdit, s.apiAdminCreateService},
		{get, "/api/v1/admin/services/{code}", identity.PermCatalogEdit, s.apiAdminService},
		{put, "/api/v1/admin/services/{code}", identity.PermCatalogEdit, s.apiAdminUpdateService},
		{post, "/api/v1/admin/services/{code}/publish", identity.PermCatalogPublish, s.apiAdminPublish},
		{post, "/api/v1/admin/services/{code}/withdraw", identity.PermCatalogPublish, s.apiAdminWithdraw},
		{put, "/api/v1/admin/processes/{code}", identity.PermCatalogEdit, s.apiAdminPutProcess},
		{get, "/api/v1/admin/synonyms", identity.PermCatalogAdmin, s.apiAdminSynonyms},
		{put, "/api/v1/admin/synonyms/{term}", identity.PermCatalogAdmin, s.apiAdminPutSynonym},
		{delete, "/api/v1/admin/synonyms/{term}", identity.PermCatalogAdmin, s.apiAdminDeleteSynonym},
		{put, "/api/v1/admin/themes/{code}", identity.PermCatalogAdmin, s.apiAdminPutTheme},
		{delete, "/api/v1/admin/themes/{code}", identity.PermCatalogAdmin, s.apiAdminDeleteTheme},
		{get, "/api/v1/admin/catalog", identity.PermCatalogAdmin, s.apiAdminExport},
		{post, "/api/v1/admin/catalog", identity.PermCatalogAdmin, s.apiAdminImport},
		{get, "/api/v1/admin/staff", identity.PermStaffManage, s.apiAdminStaff},
		{post, "/api/v1/admin/staff", identity.PermStaffManage, s.apiAdminCreateStaff},
		{put, "/api/v1/admin/staff/{id}/roles", identity.PermStaffManage, s.apiAdminSetRoles},
		{put, "/api/v1/admin/divisions/{code}", identity.PermOrgManage, s.apiAdminPutDivision},
		{put, "/api/v1/admin/departments/{code}", identity.PermOrgManage, s.apiAdminPutDepartment},
		{put, "/api/v1/admin/calendar/days/{date}", identity.PermCalendarManage, s.apiAdminPutCalendarDay},
		{delete, "/api/v1/admin/calendar/days/{date}", identity.PermCalendarManage, s.apiAdminDeleteCalendarDay},
		{get, "/api/v1/supervision/catalog", identity.PermSupervise, s.apiSupervisionCatalog},
		{get, "/api/v1/supervision/avoided-uploads", identity.PermSupervise, s.apiAvoidedUploads},
		{get, "/api/v1/supervision/supplements", identity.PermSupervise, s.apiRepeatSupplements},
		{get, "/api/v1/process-shortages", identity.PermStaffDesk, s.apiShortages},

		// JSON API: data sharing (数据共享交换).
		{get, "/api/v1/exchange/resources", identity.PermStaffDesk, s.apiExchangeResources},
		{get, "/api/v1/exchange/resources/{code}", identity.PermStaffDesk, s.apiExchangeResource},
		{put, "/api/v1/exchange/resources/{code}", identity.PermExchangeManage, s.apiExchangePutResource},
		{get, "/api/v1/exchange/requests", identity.PermExchangeManage, s.apiExchangeRequests},
		{post, "/api/v1/exchange/requests", identity.PermExchangeManage, s.apiExchangeRequest},
		{post, "/api/v1/exchange/requests/{id}/decision", identity.PermExchangeManage, s.apiExchangeDecide},
		{get, "/api/v1/exchange/grants", identity.PermStaffDesk, s.apiExchangeGrants},
		{post, "/api/v1/exchange/grants/{id}/revoke", identity.PermExchangeManage, s.apiExchangeRevoke},
		{post, "/api/v1/exchange/queries", identity.PermExchangeQuery, s.apiExchangeQuery},
		{get, "/api/v1/exchange/access-log", identity.PermSupervise, s.apiExchangeLog},
		{get, "/api/v1/exchange/patterns", identity.PermSupervise, s.apiExchangePatterns},
		{get, "/api/v1/me/data-access", identity.PermMyData, s.apiMyData},
	}, append(append(append(s.licenseRoutes(), s.hotlineRoutes()...), s.consultationRoutes()...), s.ratingRoutes()...)...)
}

// licenseRoutes are the routes of electronic licenses (电子证照): the
// holder's wallet and share links, public verification, the issuing
// departments' pages, and the same through the JSON API. The wallet's
// license, PDF and signed file need only a signed-in account: the domain
// shows them to their holder and to the issuing department's managers.
func (s *Server) licenseRoutes() []route {
	const (
		get  = "GET"
		post = "POST"
		put  = "PUT"
	)
	return []route{
		// Public verification: the QR code, share links, an uploaded
		// signed license, the departments' public keys.
		{get, "/licenses/check/{id}/{code}", Public, s.licenseCheckPage},
		{get, "/licenses/shared", Public, s.licenseSharedPage},
		{get, "/licenses/verify", Public, s.licenseVerifyForm},
		{post, "/licenses/verify", Public, s.licenseVerifyUpload},
		{get, "/licenses/keys", Public, s.licenseKeys},

		// The holder's wallet.
		{get, "/licenses", identity.PermLicenseHold, s.walletPage},
		{get, "/licenses/{id}", identity.PermAccount, s.licensePage},
		{get, "/licenses/{id}/pdf", identity.PermAccount, s.licensePDF},
		{get, "/licenses/{id}/signed.json", identity.PermAccount, s.licenseSigned},
		{post, "/licenses/{id}/shares", identity.PermLicenseHold, s.shareCreate},
		{post, "/licenses/{id}/shares/{sid}/revoke", identity.PermLicenseHold, s.shareRevoke},

		// The issuing department.
		{get, "/staff/licenses", identity.PermLicenseManage, s.staffLicensesPage},
		{post, "/staff/licenses/{id}/state", identity.PermLicenseManage, s.staffLicenseState},
		{get, "/admin/license-types", identity.PermLicenseTypes, s.licenseTypesPage},
		{post, "/admin/license-types", identity.PermLicenseTypes, s.licenseTypeSave},
		{get, "/admin/license-types/{code}", identity.PermLicenseTypes, s.licenseTypePage},

		// JSON API.
		{get, "/api/v1/licenses", identity.PermLicenseHold, s.apiWallet},
		{get, "/api/v1/licenses/{id}", identity.PermAccount, s.apiLicense},
		{get, "/api/v1/licenses/{id}/pdf", identity.PermAccount, s.licensePDF},
		{get, "/api/v1/licenses/{id}/signed", identity.PermAccount, s.licenseSigned},
		{get, "/api/v1/licenses/{id}/shares", identity.PermLicenseHold, s.apiShares},
		{post, "/api/v1/licenses/{id}/shares", identity.PermLicenseHold, s.apiCreateShare},
		{post, "/api/v1/licenses/{id}/shares/{sid}/revoke", identity.PermLicenseHold, s.apiRevokeShare},
		{get, "/api/v1/licenses/keys", Public, s.licenseKeys},
		{get, "/api/v1/licenses/check/{id}/{code}", Public, s.apiLicenseCheck},
		{get, "/api/v1/licenses/shared", Public, s.apiLicenseShared},
		{post, "/api/v1/licenses/verify", Public, s.apiLicenseVerify},
		{get, "/api/v1/staff/licenses", identity.PermLicenseManage, s.apiIssuedLicenses},
		{post, "/api/v1/staff/licenses/{id}/state", identity.PermLicenseManage, s.apiLicenseState},
		{get, "/api/v1/admin/license-types", identity.PermLicenseTypes, s.apiLicenseTypes},
		{get, "/api/v1/admin/license-types/{code}", identity.PermLicenseTypes, s.apiLicenseType},
		{put, "/api/v1/admin/license-types/{code}", identity.PermLicenseTypes, s.apiPutLicenseType},
	}
}

// ratingRoutes are the routes of the service rating (好差评): rating
// from the application and ticket pages (the store lets only the person
// who applied or filed rate), rectifications for departments, citizens
// and supervisors (the store checks the department and the rater), and
// the public figures.
func (s *Server) ratingRoutes() []route {
	const (
		get  = "GET"
		post = "POST"
		put  = "PUT"
	)
	return []route{
		{get, "/figures", Public, s.figuresPage},
		{post, "/applications/{id}/rating", identity.PermApply, s.applicationRateSubmit},
		{post, "/applications/{id}/rating/amend", identity.PermApply, s.applicationAmendSubmit},
		{post, "/hotline/tickets/{id}/rating", identity.PermHotlineFile, s.ticketRateSubmit},
		{post, "/hotline/tickets/{id}/rating/amend", identity.PermHotlineFile, s.ticketAmendSubmit},
		{get, "/staff/rectifications", identity.PermStaffDesk, s.rectificationsPage},
		{get, "/ratings", identity.PermApply, s.myRatingsPage},
		{get, "/rectifications/{id}", identity.PermAccount, s.rectificationPage},
		{post, "/rectifications/{id}/answer", identity.PermStaffDesk, s.rectificationAnswerSubmit},
		{post, "/rectifications/{id}/callback", identity.PermAccount, s.rectificationCallbackSubmit},

		// The same through the JSON API.
		{get, "/api/v1/figures", Public, s.apiFigures},
		{get, "/api/v1/rating-levels", Public, s.apiRatingLevels},
		{get, "/api/v1/ratings", identity.PermApply, s.apiMyRatings},
		{post, "/api/v1/applications/{id}/rating", identity.PermApply, s.apiRateApplication},
		{put, "/api/v1/applications/{id}/rating", identity.PermApply, s.apiAmendApplicationRating},
		{post, "/api/v1/hotline/tickets/{id}/rating", identity.PermHotlineFile, s.apiRateTicket},
		{put, "/api/v1/hotline/tickets/{id}/rating", identity.PermHotlineFile, s.apiAmendTicketRating},
		{get, "/api/v1/rectifications", identity.PermStaffDesk, s.apiRectifications},
		{get, "/api/v1/rectifications/{id}", identity.PermAccount, s.apiRectification},
		{post, "/api/v1/rectifications/{id}/answer", identity.PermStaffDesk, s.apiRectificationAnswer},
		{post, "/api/v1/rectifications/{id}/callback", identity.PermAccount, s.apiRectificationCallback},
	}
}

// hotlineRoutes are the routes of the 12345 hotline: its pages, its JSON
// API and the Open311 GeoReport v2 API. Open311 routes are public; POST
// requests checks the app's api_key itself.
func (s *Server) hotlineRoutes() []route {
	const (
		get    = "GET"
		post   = "POST"
		put    = "PUT"
		delete = "DELETE"
	)
	return []route{
		// Open311 GeoReport v2.
		{get, "/open311/v2/discovery.json", Public, s.o311(s.open311Discovery)},
		{get, "/open311/v2/discovery.xml", Public, s.o311(s.open311Discovery)},
		{get, "/open311/v2/services.json", Public, s.o311(s.open311Services)},
		{get, "/open311/v2/services.xml", Public, s.o311(s.open311Services)},
		{get, "/open311/v2/services/{code}", Public, s.o311(s.open311Service)},
		{post, "/open311/v2/requests.json", Public, s.o311(s.open311Post)},
		{post, "/open311/v2/requests.xml", Public, s.o311(s.open311Post)},
		{get, "/open311/v2/requests.json", Public, s.o311(s.open311List)},
		{get, "/open311/v2/requests.xml", Public, s.o311(s.open311List)},
		{get, "/open311/v2/requests/{id}", Public, s.o311(s.open311Request)},
		{get, "/open311/v2/tokens/{id}", Public, s.o311(s.open311Token)},

		// Hotline pages: the reporter files and follows tickets and
		// answers the callback; the dispatcher confirms or overrides the
		// suggested department and merges duplicates; the department
		// signs, returns and replies; supervisors urge and reveal.
		{get, "/hotline/new", identity.PermHotlineFile, s.hotlineNewPage},
		{post, "/hotline/tickets", identity.PermHotlineFile, s.limit("write", s.hotlineFileSubmit)},
		{get, "/hotline/tickets", identity.PermHotlineFile, s.hotlineMinePage},
		{get, "/hotline/tickets/{id}", identity.PermAccount, s.hotlineTicketPage},
		{get, "/hotline/tickets/{id}/attachments/{aid}", identity.PermAccount, s.hotlineAttachment},
		{get, "/hotline/tickets/{id}/receipts/{file}", identity.PermAccount, s.ticketReceiptDownload},
		{post, "/hotline/tickets/{id}/callback", identity.PermAccount, s.hotlineCallbackSubmit},
		{get, "/staff/hotline/dispatch", identity.PermHotlineDispatch, s.hotlineDispatchPage},
		{post, "/hotline/tickets/{id}/dispatch", identity.PermHotlineDispatch, s.hotlineDispatchSubmit},
		{post, "/hotline/tickets/{id}/merge", identity.PermHotlineDispatch, s.hotlineMergeSubmit},
		{get, "/staff/hotline/call", identity.PermHotlineDispatch, s.hotlineCallPage},
		{post, "/staff/hotline/call", identity.PermHotlineDispatch, s.hotlineCallSubmit},
		{get, "/staff/hotline", identity.PermStaffDesk, s.hotlineQueuePage},
		{post, "/hotline/tickets/{id}/sign", identity.PermStaffDesk, s.hotlineSignSubmit},
		{post, "/hotline/tickets/{id}/return", identity.PermStaffDesk, s.hotlineReturnSubmit},
		{post, "/hotline/tickets/{id}/reply", identity.PermStaffDesk, s.hotlineReplySubmit},
		{post, "/hotline/tickets/{id}/urge", identity.PermSupervise, s.hotlineUrgeSubmit},
		{post, "/hotline/tickets/{id}/reveal", identity.PermHotlineReveal, s.hotlineRevealSubmit},
		{get, "/supervision/hotline", identity.PermSupervise, s.supervisionHotlinePage},

		// Hotline settings: platform admins.
		{get, "/admin/hotline", identity.PermHotlineAdmin, s.hotlineAdminPage},
		{get, "/admin/hotline/categories/new", identity.PermHotlineAdmin, s.hotlineCategoryNewPage},
		{post, "/admin/hotline/categories", identity.PermHotlineAdmin, s.hotlineCategoryCreate},
		{get, "/admin/hotline/categories/{code}", identity.PermHotlineAdmin, s.hotlineCategoryPage},
		{post, "/admin/hotline/categories/{code}", identity.PermHotlineAdmin, s.hotlineCategoryUpdate},
		{post, "/admin/hotline/rules", identity.PermHotlineAdmin, s.hotlineRuleCreate},
		{post, "/admin/hotline/rules/{id}/delete", identity.PermHotlineAdmin, s.hotlineRuleDelete},
		{post, "/admin/hotline/deadlines/{kind}", identity.PermHotlineAdmin, s.hotlineDeadlineSave},
		{post, "/admin/hotline/keys", identity.PermHotlineAdmin, s.hotlineKeyIssue},
		{post, "/admin/hotline/keys/{id}/revoke", identity.PermHotlineAdmin, s.hotlineKeyRevoke},
		{post, "/admin/hotline/keys/{id}/rate", identity.PermHotlineAdmin, s.hotlineKeyRate},

		// The same through the JSON API.
		{get, "/api/v1/hotline/categories", Public, s.apiHotlineCategories},
		{post, "/api/v1/hotline/tickets", identity.PermHotlineFile, s.limit("write", s.apiFileTicket)},
		{get, "/api/v1/hotline/tickets", identity.PermHotlineFile, s.apiMyTickets},
		{get, "/api/v1/hotline/tickets/{id}", identity.PermAccount, s.apiTicket},
		{post, "/api/v1/hotline/tickets/{id}/callback", identity.PermAccount, s.apiTicketCallback},
		{get, "/api/v1/hotline/dispatch", identity.PermHotlineDispatch, s.apiDispatchQueue},
		{post, "/api/v1/hotline/tickets/{id}/dispatch", identity.PermHotlineDispatch, s.apiTicketDispatch},
		{get, "/api/v1/hotline/tickets/{id}/similar", identity.PermHotlineDispatch, s.apiTicketSimilar},
		{post, "/api/v1/hotline/tickets/{id}/merge", identity.PermHotlineDispatch, s.apiTicketMerge},
		{get, "/api/v1/hotline/queue", identity.PermStaffDesk, s.apiHotlineQueue},
		{post, "/api/v1/hotline/tickets/{id}/sign", identity.PermStaffDesk, s.apiTicketSign},
		{post, "/api/v1/hotline/tickets/{id}/return", identity.PermStaffDesk, s.apiTicketReturn},
		{post, "/api/v1/hotline/tickets/{id}/reply", identity.PermStaffDesk, s.apiTicketReply},
		{post, "/api/v1/hotline/tickets/{id}/urge", identity.PermSupervise, s.apiTicketUrge},
		{post, "/api/v1/hotline/tickets/{id}/reveal", identity.PermHotlineReveal, s.apiTicketReveal},
		{get, "/api/v1/supervision/hotline", identity.PermSupervise, s.apiSupervisionHotline},
		{post, "/api/v1/hotline/calls", identity.PermHotlineDispatch, s.apiFileCall},
		{get, "/api/v1/admin/hotline/categories", identity.PermHotlineAdmin, s.apiAdminHotlineCategories},
		{put, "/api/v1/admin/hotline/categories/{code}", identity.PermHotlineAdmin, s.apiAdminPutHotlineCategory},
		{get, "/api/v1/admin/hotline/rules", identity.PermHotlineAdmin, s.apiAdminHotlineRules},
		{post, "/api/v1/admin/hotline/rules", identity.PermHotlineAdmin, s.apiAdminPutHotlineRule},
		{delete, "/api/v1/admin/hotline/rules/{id}", identity.PermHotlineAdmin, s.apiAdminDeleteHotlineRule},
		{get, "/api/v1/admin/hotline/deadlines", identity.PermHotlineAdmin, s.apiAdminHotlineDeadlines},
		{put, "/api/v1/admin/hotline/deadlines/{kind}", identity.PermHotlineAdmin, s.apiAdminPutHotlineDeadline},
		{get, "/api/v1/admin/hotline/keys", identity.PermHotlineAdmin, s.apiAdminHotlineKeys},
		{post, "/api/v1/admin/hotline/keys", identity.PermHotlineAdmin, s.apiAdminIssueHotlineKey},
		{post, "/api/v1/admin/hotline/keys/{id}/revoke", identity.PermHotlineAdmin, s.apiAdminRevokeHotlineKey},
		{put, "/api/v1/admin/hotline/keys/{id}/rate-limit", identity.PermHotlineAdmin, s.apiAdminSetHotlineKeyRate},
	}
}

// consultationRoutes are the routes of consultations on draft policies
// (征求意见): reading them, their statistics and the export are public;
// citizens and organization agents comment; department admins draft,
// publish, moderate and report (the store checks the department).
func (s *Server) consultationRoutes() []route {
	const (
		get  = "GET"
		post = "POST"
		put  = "PUT"
	)
	comment, manage := identity.PermConsultationComment, identity.PermConsultationManage
	return []route{
		{get, "/consultations", Public, s.consultationsPage},
		{get, "/consultations/policy", Public, s.consultationPolicyPage},
		{get, "/consultations/{id}", Public, s.consultationPage},
		{post, "/consultations/{id}/comments", comment, s.limit("write", s.consultationCommentSubmit)},
		{get, "/staff/consultations", manage, s.staffConsultationsPage},
		{get, "/staff/consultations/new", manage, s.staffConsultationNewPage},
		{post, "/staff/consultations", manage, s.staffConsultationCreate},
		{get, "/staff/consultations/{id}", manage, s.staffConsultationPage},
		{post, "/staff/consultations/{id}", manage, s.staffConsultationUpdate},
		{post, "/staff/consultations/{id}/publish", manage, s.staffConsultationPublish},
		{post, "/staff/consultations/{id}/comments/{cid}/hide", manage, s.staffCommentHide},
		{post, "/staff/consultations/{id}/comments/{cid}/unhide", manage, s.staffCommentUnhide},
		{post, "/staff/consultations/{id}/groups", manage, s.staffConsultationGroup},
		{post, "/staff/consultations/{id}/answers", manage, s.staffConsultationAnswer},
		{post, "/staff/consultations/{id}/report", manage, s.staffConsultationReport},

		// The same through the JSON API.
		{get, "/api/v1/consultations", Public, s.apiConsultations},
		{get, "/api/v1/consultations/policy", Public, s.apiConsultationPolicy},
		{get, "/api/v1/consultations/{id}", Public, s.apiConsultation},
		{get, "/api/v1/consultations/{id}/comments", Public, s.apiConsultationComments},
		{get, "/api/v1/consultations/{id}/comments.csv", Public, s.consultationCSV},
		{get, "/api/v1/consultations/{id}/stats", Public, s.apiConsultationStats},
		{post, "/api/v1/consultations/{id}/comments", comment, s.limit("write", s.apiConsultationComment)},
		{get, "/api/v1/staff/consultations", manage, s.apiStaffConsultations},
		{post, "/api/v1/consultations", manage, s.apiCreateConsultation},
		{put, "/api/v1/consultations/{id}", manage, s.apiUpdateConsultation},
		{post, "/api/v1/consultations/{id}/publish", manage, s.apiPublishConsultation},
		{get, "/api/v1/consultations/{id}/moderations", manage, s.apiConsultationModerations},
		{post, "/api/v1/consultations/{id}/comments/{cid}/hide", manage, s.apiHideComment},
		{post, "/api/v1/consultations/{id}/comments/{cid}/unhide", manage, s.apiUnhideComment},
		{post, "/api/v1/consultations/{id}/groups", manage, s.apiGroupComments},
		{post, "/api/v1/consultations/{id}/answers", manage, s.apiAnswerComment},
		{post, "/api/v1/consultations/{id}/report", manage, s.apiPublishReport},
	}
}
