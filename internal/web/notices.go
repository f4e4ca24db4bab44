package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/notify"
)

// noticeView is a notice as its recipient sees it, in the request's
// language.
type noticeView struct {
	ID        string      `json:"id"`
	Kind      notify.Kind `json:"kind"`
	Subject   string      `json:"subject"`
	Body      string      `json:"body"`
	Link      string      `json:"link,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	Read      bool        `json:"read"`
	ReadAt    time.Time   `json:"read_at,omitzero"`
	// When is CreatedAt in the platform's time zone, for pages.
	When string `json:"-"`
}

func (s *Server) noticeView(req *request, n *notify.Notice) noticeView {
	return noticeView{
		ID: n.ID, Kind: n.Kind, Subject: n.Subject(req.lang), Body: n.Body(req.lang), Link: n.Link,
		CreatedAt: n.CreatedAt.UTC(), Read: n.Read(), ReadAt: n.ReadAt.UTC(),
		When: n.CreatedAt.In(s.Config.Location).Format("2006-01-02 15:04"),
	}
}

// notices returns the signed-in user's newest notices.
func (s *Server) notices(req *request, limit int) ([]noticeView, error) {
	list, err := s.Notify.List(req.ctx(), req.p.Account.ID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]noticeView, len(list))
	for i, n := range list {
		out[i] = s.noticeView(req, n)
	}
	return out, nil
}

// noticesPageSize is how many notices the page shows.
const noticesPageSize = 100

func (s *Server) noticesPage(req *request) error {
	list, err := s.notices(req, noticesPageSize)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "notices", req.t("notices_title"), list)
}

// noticeReadSubmit marks a notice read, then goes back to the list, or
// with open=1 on to the page the notice is about.
func (s *Server) noticeReadSubmit(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	n, err := s.Notify.MarkRead(req.ctx(), req.p.Account.ID, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	if req.r.PostFormValue("open") == "1" && n.Link != "" {
		return s.redirect(req, n.Link)
	}
	return s.redirect(req, "/notices")
}

// noticesLimit is the most notices GET /api/v1/notices returns at once.
const noticesLimit = 200

func (s *Server) apiNotices(req *request) error {
	// A limit out of range is refused, as the work queue's is, rather
	// than silently replaced by the default.
	limit := 50
	if v := req.r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > noticesLimit {
			return fielderr.New("limit", "queue_limit_range", 1, noticesLimit)
		}
		limit = n
	}
	items, err := s.notices(req, limit)
	if err != nil {
		return err
	}
	unread, err := s.Notify.Unread(req.ctx(), req.p.Account.ID)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, struct {
		listResponse[noticeView]
		Unread int `json:"unread"`
	}{list(items), unread})
	return nil
}

func (s *Server) apiNoticeRead(req *request) error {
	n, err := s.Notify.MarkRead(req.ctx(), req.p.Account.ID, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, s.noticeView(req, n))
	return nil
}
