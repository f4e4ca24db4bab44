package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/application"
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

func (s *Server) apiAvoidedUploads(req *request) error {
	r, err := s.Applications.AvoidedUploads(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, r)
	return nil
}
