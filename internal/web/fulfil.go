package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/org"
)

// The avoided-uploads report (免提交): how many material uploads licenses
// and shared data make unnecessary, for supervisors and platform admins.

// avoidedView is the report with department names.
type avoidedView struct {
	*application.AvoidedReport
	Names map[string]string
	When  string
}

func (s *Server) avoidedUploadsPage(req *request) error {
	r, err := s.Applications.AvoidedUploads(req.ctx(), req.p)
	if err != nil {
		return err
	}
	v := avoidedView{AvoidedReport: r, Names: s.departmentNames(req), When: r.At.In(s.Config.Location).Format("2006-01-02 15:04")}
	return s.render(req, http.StatusOK, "supervision_avoided", req.t("avoided_title"), v)
}

// repeatSupplementsView is the supervisors' list of supplement requests
// that were not their application's first.
type repeatSupplementsView struct {
	Items     []application.RepeatSupplement
	DeptNames map[string]string
	Depts     []org.Department
	Dept      string
}

func (s *Server) repeatSupplementsPage(req *request) error {
	dept := req.r.URL.Query().Get("department")
	v := repeatSupplementsView{Dept: dept}
	var err error
	if v.Items, err = s.Applications.RepeatSupplements(req.ctx(), req.p, dept); err != nil {
		return err
	}
	if v.DeptNames, v.Depts, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "supervision_supplements", req.t("repeat_supplements_title"), v)
}

func (s *Server) apiRepeatSupplements(req *request) error {
	items, err := s.Applications.RepeatSupplements(req.ctx(), req.p, req.r.URL.Query().Get("department"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(items))
	return nil
}

func (s *Server) apiAvoidedUploads(req *request) error {
	r, err := s.Applications.AvoidedUploads(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, r)
	return nil
}
