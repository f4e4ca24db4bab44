package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCrossOriginPostRefused: a form post from another site is refused
// before it reaches the handler (CSRF), while the same post from this site
// works.
func TestCrossOriginPostRefused(t *testing.T) {
	e := sqliteEnv(t)
	tok := e.session("admin")
	form := url.Values{"term": {"跨站"}, "expansions": {"测试"}}.Encode()
	rec := e.do("POST", "/admin/synonyms", tok, "application/x-www-form-urlencoded", strings.NewReader(form), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if rec.Code != http.StatusForbidden {
		t.Fatalf("cross-site POST = %d, want 403", rec.Code)
	}
	syns, _ := e.srv.Catalog.Synonyms(t.Context())
	for _, s := range syns {
		if s.Term == "跨站" {
			t.Fatal("the cross-site POST changed data")
		}
	}
	rec = e.do("POST", "/admin/synonyms", tok, "application/x-www-form-urlencoded", strings.NewReader(form), "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("same-origin POST = %d, want 303", rec.Code)
	}
}

// TestPersonalDataNeverLogged registers a citizen and views the account:
// neither the ID number nor the phone number may reach the log or a URL.
func TestPersonalDataNeverLogged(t *testing.T) {
	e := sqliteEnv(t)
	const id, phone = "110105199001011232", "13912345678"
	form := url.Values{"username": {"liuliu"}, "password": {"abc12345"}, "name": {"刘六"}, "id_number": {id}, "phone": {phone}}
	rec := e.postForm("/register", "", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("register = %d: %s", rec.Code, rec.Body.String())
	}
	if loc := rec.Header().Get("Location"); strings.Contains(loc, id) || strings.Contains(loc, phone) {
		t.Fatalf("redirect %q carries personal data", loc)
	}
	tok := e.session("liuliu")
	page := e.get("/account", tok).Body.String()
	if strings.Contains(page, id) || strings.Contains(page, phone) {
		t.Error("account page shows the full ID or phone number")
	}
	if !strings.Contains(page, "110***********1232") || !strings.Contains(page, "139****5678") {
		t.Error("account page does not show the masked numbers")
	}
	api := e.get("/api/v1/me", tok).Body.String()
	if strings.Contains(api, id) || strings.Contains(api, phone) {
		t.Errorf("/api/v1/me leaks personal data: %s", api)
	}
	// A failed registration with the same numbers must not log them either.
	e.postForm("/register", "", url.Values{"username": {"x"}, "id_number": {id}, "phone": {phone}})
	if log := e.log.String(); strings.Contains(log, id) || strings.Contains(log, phone) {
		t.Fatalf("log contains personal data:\n%s", log)
	}
}

// TestRegisterFieldErrors: bad input answers 422 with a message per field,
// in the user's language, and creates nothing.
func TestRegisterFieldErrors(t *testing.T) {
	e := sqliteEnv(t)
	body := `{"username":"ab","password":"short","name":"王","id_number":"110105199001011234","phone":"123"}`
	rec := e.do("POST", "/api/v1/accounts", "", "application/json", strings.NewReader(body), "Accept-Language", "en")
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("register = %d, want 422", rec.Code)
	}
	for _, want := range []string{`"field":"id_number"`, "check character", `"field":"phone"`, `"field":"password"`, `"field":"username"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("response lacks %s: %s", want, rec.Body.String())
		}
	}
	zh := e.do("POST", "/api/v1/accounts", "", "application/json", strings.NewReader(body))
	if !strings.Contains(zh.Body.String(), "校验位") {
		t.Errorf("default-language response is not Chinese: %s", zh.Body.String())
	}
	if _, err := e.srv.Identity.AccountByUsername(t.Context(), "ab"); err == nil {
		t.Fatal("an invalid registration created an account")
	}
}

// TestLogoutEndsSession: after logout the old cookie no longer works.
func TestLogoutEndsSession(t *testing.T) {
	e := sqliteEnv(t)
	tok := e.session("zhangsan")
	if rec := e.get("/api/v1/me", tok); rec.Code != http.StatusOK {
		t.Fatalf("me before logout = %d", rec.Code)
	}
	if rec := e.postForm("/logout", tok, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("logout = %d", rec.Code)
	}
	if rec := e.get("/api/v1/me", tok); rec.Code != http.StatusUnauthorized {
		t.Fatalf("me after logout = %d, want 401", rec.Code)
	}
}
