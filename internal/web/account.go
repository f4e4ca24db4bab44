package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tongban/tongban/internal/identity"
)

// maxFormBytes bounds ordinary form posts.
const maxFormBytes = 256 << 10

func (s *Server) parseForm(req *request) error {
	req.r.Body = http.MaxBytesReader(req.w, req.r.Body, maxFormBytes)
	if err := req.r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest(err)
	}
	return nil
}

func formMap(req *request, fields ...string) map[string]string {
	m := map[string]string{}
	for _, f := range fields {
		m[f] = req.r.PostFormValue(f)
	}
	return m
}

func (s *Server) setSession(req *request, token string) {
	http.SetCookie(req.w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.Config.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSession(req *request) {
	http.SetCookie(req.w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Config.SecureCookies, SameSite: http.SameSiteLaxMode})
}

type loginData struct {
	Next  string
	Error string
}

func (s *Server) loginPage(req *request) error {
	return s.render(req, http.StatusOK, "login", req.t("login_title"), loginData{Next: localPath(req.r.URL.Query().Get("next"))})
}

func (s *Server) loginSubmit(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	username := strings.ToLower(strings.TrimSpace(req.r.PostFormValue("username")))
	next := localPath(req.r.PostFormValue("next"))
	password := req.r.PostFormValue("password")
	if username == "" || password == "" {
		errs := map[string]string{}
		if username == "" {
			errs["username"] = req.t("required")
		}
		if password == "" {
			errs["password"] = req.t("required")
		}
		return s.renderPage(req, http.StatusUnprocessableEntity, "login", &page{Title: req.t("login_title"), Data: loginData{Next: next}, Form: map[string]string{"username": username}, Errors: errs})
	}
	if err := s.allow(req, s.loginChecks(req, username)...); err != nil {
		return s.renderPage(req, http.StatusTooManyRequests, "login", &page{Title: req.t("login_title"), Data: loginData{Next: next, Error: req.t("login_rate_limited")}, Form: map[string]string{"username": username}})
	}
	acct, err := s.Identity.Authenticate(req.ctx(), username, password)
	if err != nil {
		// A wrong password is a problem with what was entered: the form
		// comes back with the message (422), the session is untouched.
		key, status := "login_failed", http.StatusUnprocessableEntity
		if errors.Is(err, identity.ErrLocked) {
			key, status = "login_locked", http.StatusTooManyRequests
		} else if !errors.Is(err, identity.ErrBadCredentials) {
			return err
		}
		return s.renderPage(req, status, "login", &page{Title: req.t("login_title"), Data: loginData{Next: next, Error: req.t(key)}, Form: map[string]string{"username": username}})
	}
	sess, err := s.Identity.CreateSession(req.ctx(), acct.ID)
	if err != nil {
		return err
	}
	// A fresh token at sign-in: any token planted before it is useless.
	s.setSession(req, sess.Token)
	if next == "/" {
		if acct.Kind == identity.KindStaff {
			next = "/staff"
		}
	}
	return s.redirect(req, next)
}

func (s *Server) logoutSubmit(req *request) error {
	if c, err := req.r.Cookie(sessionCookie); err == nil {
		if err := s.Identity.EndSession(req.ctx(), c.Value); err != nil {
			return err
		}
	}
	s.clearSession(req)
	s.setFlash(req, "logged_out")
	return s.redirect(req, "/")
}

var registerFields = []string{"username", "name", "id_number", "phone", "email"}

func (s *Server) registerPage(req *request) error {
	return s.renderPage(req, http.StatusOK, "register", &page{Title: req.t("register_title")})
}

func (s *Server) registerSubmit(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	in := identity.PersonInput{
		Username: req.r.PostFormValue("username"),
		Password: req.r.PostFormValue("password"),
		Name:     req.r.PostFormValue("name"),
		IDNumber: req.r.PostFormValue("id_number"),
		Phone:    req.r.PostFormValue("phone"),
		Email:    req.r.PostFormValue("email"),
	}
	acct, err := s.Identity.RegisterPerson(req.ctx(), in)
	if fe, ok := formErrors(req.lang, err); ok {
		return s.renderPage(req, http.StatusUnprocessableEntity, "register", &page{Title: req.t("register_title"), Form: formMap(req, registerFields...), Errors: fe})
	}
	if err != nil {
		return err
	}
	sess, err := s.Identity.CreateSession(req.ctx(), acct.ID)
	if err != nil {
		return err
	}
	s.setSession(req, sess.Token)
	s.setFlash(req, "registered")
	return s.redirect(req, "/account")
}

type accountData struct {
	Organizations []*identity.Organization
	Department    string
}

func (s *Server) accountPage(req *request) error {
	return s.renderAccount(req, http.StatusOK, nil, nil)
}

func (s *Server) renderAccount(req *request, status int, form, errs map[string]string) error {
	orgs, err := s.Identity.Organizations(req.ctx(), req.p.Account.ID)
	if err != nil {
		return err
	}
	d := accountData{Organizations: orgs}
	if req.p.Account.DepartmentCode != "" {
		if dept, err := s.Org.Department(req.ctx(), req.p.Account.DepartmentCode); err == nil {
			d.Department = dept.Name
		}
	}
	return s.renderPage(req, status, "account", &page{Title: req.t("account_title"), Data: d, Form: form, Errors: errs})
}

var orgFields = []string{"name", "credit_code", "legal_representative", "address"}

func (s *Server) organizationSubmit(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	in := identity.OrganizationInput{
		Name:                req.r.PostFormValue("name"),
		CreditCode:          req.r.PostFormValue("credit_code"),
		LegalRepresentative: req.r.PostFormValue("legal_representative"),
		Address:             req.r.PostFormValue("address"),
	}
	_, err := s.Identity.RegisterOrganization(req.ctx(), req.p, in)
	if fe, ok := formErrors(req.lang, err); ok {
		return s.renderAccount(req, http.StatusUnprocessableEntity, formMap(req, orgFields...), fe)
	}
	if err != nil {
		return err
	}
	s.setFlash(req, "org_registered")
	return s.redirect(req, "/account")
}
