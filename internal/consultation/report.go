package consultation

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/notify"
)

// commentIn reads a comment's hidden flag, checking it belongs to the
// consultation.
func commentIn(ctx context.Context, tx *db.Tx, consultationID, commentID string) (hidden bool, group string, err error) {
	var g sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT hidden, group_id FROM consultation_comments WHERE id = $1 AND consultation_id = $2`, commentID, consultationID).Scan(&hidden, &g)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", fmt.Errorf("consultation comment %s: %w", commentID, db.ErrNotFound)
	}
	return hidden, g.String, err
}

// moderate runs one moderation action in a transaction: the department
// check, the change, its record and the ledger stamp.
func (s *Store) moderate(ctx context.Context, p *identity.Principal, id, commentID string, fn func(tx *db.Tx, hidden bool) error) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if err := lock(ctx, tx, id); err != nil {
			return err
		}
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !manages(p, c.Department) {
			return db.ErrNotFound
		}
		hidden, _, err := commentIn(ctx, tx, id, commentID)
		if err != nil {
			return err
		}
		return fn(tx, hidden)
	})
}

func (s *Store) record(ctx context.Context, tx *db.Tx, p *identity.Principal, id, commentID, action, reason, note string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO consultation_moderations (id, consultation_id, seq, comment_id, action, reason, note, actor_id, at)
		VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM consultation_moderations WHERE consultation_id = $2), $3, $4, $5, $6, $7, $8)`,
		db.NewID(), id, commentID, action, reason, note, p.Account.ID, db.NewTime(at))
	if db.IsUniqueViolation(err) {
		return fmt.Errorf("consultation: moderation raced another: %w", db.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("consultation: moderation: %w", err)
	}
	return s.stamp(ctx, tx, id, "comment_"+map[string]string{"hide": "hidden", "unhide": "unhidden"}[action], at)
}

// Hide hides a comment for one of HideReasons with an optional note. The
// comment keeps its place: the public sees that it was hidden and why.
func (s *Store) Hide(ctx context.Context, p *identity.Principal, id, commentID, reason, note string) error {
	var e fielderr.Errors
	if !validReason(reason) {
		e.Add("reason", "consultation_reason_invalid")
	}
	if runes(note) > 500 {
		e.Add("note", "text_too_long", 500)
	}
	if err := e.Err(); err != nil {
		return err
	}
	return s.moderate(ctx, p, id, commentID, func(tx *db.Tx, hidden bool) error {
		if hidden {
			return fielderr.New("comment_id", "consultation_already_hidden")
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE consultation_comments SET hidden = TRUE, hide_reason = $1, hide_note = $2 WHERE id = $3`, reason, note, commentID); err != nil {
			return fmt.Errorf("consultation: hide: %w", err)
		}
		return s.record(ctx, tx, p, id, commentID, "hide", reason, note, now)
	})
}

// Unhide shows a hidden comment again; the note saying why is required.
func (s *Store) Unhide(ctx context.Context, p *identity.Principal, id, commentID, note string) error {
	if strings.TrimSpace(note) == "" {
		return fielderr.New("note", "consultation_unhide_note_required")
	}
	if runes(note) > 500 {
		return fielderr.New("note", "text_too_long", 500)
	}
	return s.moderate(ctx, p, id, commentID, func(tx *db.Tx, hidden bool) error {
		if !hidden {
			return fielderr.New("comment_id", "consultation_not_hidden")
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE consultation_comments SET hidden = FALSE, hide_reason = '', hide_note = '' WHERE id = $1`, commentID); err != nil {
			return fmt.Errorf("consultation: unhide: %w", err)
		}
		return s.record(ctx, tx, p, id, commentID, "unhide", "reinstated", note, now)
	})
}

// Moderations returns a consultation's moderation record, oldest first,
// for its department.
func (s *Store) Moderations(ctx context.Context, p *identity.Principal, id string) ([]Moderation, error) {
	c, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !manages(p, c.Department) {
		return nil, db.ErrNotFound
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT m.id, m.comment_id, m.action, m.reason, m.note, a.name, m.at FROM consultation_moderations m
		JOIN accounts a ON a.id = m.actor_id WHERE m.consultation_id = $1 ORDER BY m.seq`, id)
	if err != nil {
		return nil, fmt.Errorf("consultation: moderations: %w", err)
	}
	defer rows.Close()
	out := []Moderation{}
	for rows.Next() {
		var m Moderation
		var at db.Time
		if err := rows.Scan(&m.ID, &m.CommentID, &m.Action, &m.Reason, &m.Note, &m.Actor, &at); err != nil {
			return nil, err
		}
		m.At = at.Time
		out = append(out, m)
	}
	return out, rows.Err()
}

// closedFor runs fn in a transaction on a consultation whose period has
// closed and whose report is not yet published, for its department.
func (s *Store) closedFor(ctx context.Context, p *identity.Principal, id string, fn func(tx *db.Tx, c *Consultation) error) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if err := lock(ctx, tx, id); err != nil {
			return err
		}
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !manages(p, c.Department) || c.State == Draft {
			return db.ErrNotFound
		}
		if c.Phase != Closed {
			return ErrFrozen
		}
		return fn(tx, c)
	})
}

// GroupInput makes a group of comments on the same point.
type GroupInput struct {
	Title    string   `json:"title"`
	Comments []string `json:"comments"`
}

// CreateGroup groups two or more visible, ungrouped, unanswered comments
// after the period closes, to answer them once.
func (s *Store) CreateGroup(ctx context.Context, p *identity.Principal, id string, in GroupInput) (*Group, error) {
	var e fielderr.Errors
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		e.Add("title", "required")
	} else if runes(in.Title) > 200 {
		e.Add("title", "text_too_long", 200)
	}
	seen := map[string]bool{}
	var ids []string
	for _, cid := range in.Comments {
		if !seen[cid] {
			seen[cid] = true
			ids = append(ids, cid)
		}
	}
	if len(ids) < 2 {
		e.Add("comments", "consultation_group_size")
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	g := &Group{ID: db.NewID(), Title: in.Title, Comments: ids}
	err := s.closedFor(ctx, p, id, func(tx *db.Tx, c *Consultation) error {
		for _, cid := range ids {
			var hidden bool
			var group sql.NullString
			var answer string
			err := tx.QueryRowContext(ctx, `SELECT hidden, group_id, answer FROM consultation_comments WHERE id = $1 AND consultation_id = $2`, cid, id).Scan(&hidden, &group, &answer)
			if errors.Is(err, sql.ErrNoRows) {
				return fielderr.New("comments", "consultation_comment_unknown")
			}
			if err != nil {
				return err
			}
			if hidden || group.Valid || answer != "" {
				return fielderr.New("comments", "consultation_comment_not_groupable")
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_groups (id, consultation_id, title, created_at) VALUES ($1, $2, $3, $4)`,
			g.ID, id, g.Title, db.NewTime(s.now())); err != nil {
			return fmt.Errorf("consultation: group: %w", err)
		}
		for _, cid := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE consultation_comments SET group_id = $1 WHERE id = $2`, g.ID, cid); err != nil {
				return fmt.Errorf("consultation: group: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// AnswerInput answers one comment or one group: exactly one of CommentID
// and GroupID.
type AnswerInput struct {
	CommentID string  `json:"comment_id"`
	GroupID   string  `json:"group_id"`
	Verdict   Verdict `json:"verdict"`
	Reason    string  `json:"reason"`
}

// Answer records the verdict on a comment or a group after the period
// closes; it may be changed until the report is published. A grouped
// comment is answered through its group.
func (s *Store) Answer(ctx context.Context, p *identity.Principal, id string, in AnswerInput) error {
	var e fielderr.Errors
	if (in.CommentID == "") == (in.GroupID == "") {
		e.Add("comment_id", "consultation_answer_target")
	}
	if !in.Verdict.Valid() {
		e.Add("verdict", "consultation_verdict_invalid")
	}
	if strings.TrimSpace(in.Reason) == "" {
		e.Add("reason", "required")
	} else if runes(in.Reason) > 1000 {
		e.Add("reason", "text_too_long", 1000)
	}
	if err := e.Err(); err != nil {
		return err
	}
	return s.closedFor(ctx, p, id, func(tx *db.Tx, c *Consultation) error {
		if in.GroupID != "" {
			res, err := tx.ExecContext(ctx, `UPDATE consultation_groups SET answer = $1, answer_reason = $2 WHERE id = $3 AND consultation_id = $4`,
				string(in.Verdict), in.Reason, in.GroupID, id)
			if err != nil {
				return fmt.Errorf("consultation: answer: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fielderr.New("group_id", "consultation_group_unknown")
			}
			return nil
		}
		hidden, group, err := commentIn(ctx, tx, id, in.CommentID)
		if errors.Is(err, db.ErrNotFound) {
			return fielderr.New("comment_id", "consultation_comment_unknown")
		}
		if err != nil {
			return err
		}
		if hidden {
			return fielderr.New("comment_id", "consultation_comment_hidden")
		}
		if group != "" {
			return fielderr.New("comment_id", "consultation_comment_grouped")
		}
		_, err = tx.ExecContext(ctx, `UPDATE consultation_comments SET answer = $1, answer_reason = $2 WHERE id = $3`, string(in.Verdict), in.Reason, in.CommentID)
		return err
	})
}

// NoticeReport is the notice each commenter gets when the adoption report
// is published. Args: the consultation's title.
const NoticeReport notify.Kind = "consultation_report"

// PublishReport publishes the adoption report once every visible comment
// is answered (itself or through its group); from then on the report is
// public and frozen, and every commenter gets a notice (NoticeReport).
func (s *Store) PublishReport(ctx context.Context, p *identity.Principal, id, summary string) (*Consultation, error) {
	if strings.TrimSpace(summary) == "" {
		return nil, fielderr.New("summary", "required")
	}
	if runes(summary) > 5000 {
		return nil, fielderr.New("summary", "text_too_long", 5000)
	}
	err := s.closedFor(ctx, p, id, func(tx *db.Tx, c *Consultation) error {
		all, err := s.comments(ctx, tx, id)
		if err != nil {
			return err
		}
		open := 0
		for _, cm := range all {
			if !cm.Hidden && cm.answer == "" {
				open++
			}
		}
		if open > 0 {
			return fielderr.New("summary", "consultation_unanswered", open)
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE consultations SET report_summary = $1, report_published_at = $2, updated_at = $2, revision = revision + 1 WHERE id = $3`,
			summary, db.NewTime(now), id); err != nil {
			return fmt.Errorf("consultation: report: %w", err)
		}
		if err := s.stamp(ctx, tx, id, "report_published", now); err != nil {
			return err
		}
		// Every commenter is told, once, in the same transaction.
		told := map[string]bool{}
		for _, cm := range all {
			if told[cm.authorID] {
				continue
			}
			told[cm.authorID] = true
			if err := s.notices(ctx, tx, notify.Notice{AccountID: cm.authorID, Kind: NoticeReport, Args: []string{c.Title},
				Link: "/consultations/" + id, CreatedAt: now}); err != nil {
				return fmt.Errorf("consultation: notice: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// StatsOf computes the public statistics of a consultation from its
// comments (as Comments returns them to anyone).
func StatsOf(c *Consultation, comments []*Comment) Stats {
	st := Stats{BySection: []SectionCount{}}
	authors := map[string]bool{}
	by := map[int]int{}
	answered := 0
	for _, cm := range comments {
		st.Comments++
		authors[cm.authorID] = true
		by[cm.Section]++
		if cm.Hidden {
			// Hidden comments are not answered (even when hidden
			// after their group was).
			st.Hidden++
			continue
		}
		if c.Phase != Reported {
			continue
		}
		switch cm.answer {
		case Adopted:
			st.Adopted++
		case Partly:
			st.Partly++
		case NotAdopted:
			st.NotAdopted++
		}
		if cm.answer != "" {
			answered++
		}
	}
	st.Commenters = len(authors)
	st.BySection = append(st.BySection, SectionCount{Section: 0, Comments: by[0]})
	for _, sec := range c.Sections {
		st.BySection = append(st.BySection, SectionCount{Section: sec.Number, Comments: by[sec.Number]})
	}
	if c.Phase == Reported && answered > 0 {
		r := math.Round(float64(st.Adopted+st.Partly)*1000/float64(answered)) / 10
		st.AdoptionRate = &r
	}
	return st
}

// Stats returns a consultation's public statistics.
func (s *Store) Stats(ctx context.Context, id string) (Stats, error) {
	c, err := s.Get(ctx, nil, id)
	if err != nil {
		return Stats{}, err
	}
	all, err := s.comments(ctx, s.db.Read(), id)
	if err != nil {
		return Stats{}, err
	}
	return StatsOf(c, all), nil
}

// Figures returns every department's consultation figures, all time, in
// department code order: published consultations, those whose period has
// ended, their comments, and the verdicts of published reports counted
// per comment.
func (s *Store) Figures(ctx context.Context) ([]DepartmentFigures, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT c.department_code, COUNT(*),
		SUM(CASE WHEN c.closes_on < $1 THEN 1 ELSE 0 END),
		COALESCE(SUM(n.comments), 0), COALESCE(SUM(n.adopted), 0), COALESCE(SUM(n.partly), 0), COALESCE(SUM(n.not_adopted), 0)
		FROM consultations c LEFT JOIN (
			SELECT cm.consultation_id,
				COUNT(*) AS comments,
				SUM(CASE WHEN r.report_published_at IS NOT NULL AND NOT cm.hidden AND COALESCE(g.answer, cm.answer) = 'adopted' THEN 1 ELSE 0 END) AS adopted,
				SUM(CASE WHEN r.report_published_at IS NOT NULL AND NOT cm.hidden AND COALESCE(g.answer, cm.answer) = 'partly' THEN 1 ELSE 0 END) AS partly,
				SUM(CASE WHEN r.report_published_at IS NOT NULL AND NOT cm.hidden AND COALESCE(g.answer, cm.answer) = 'not_adopted' THEN 1 ELSE 0 END) AS not_adopted
			FROM consultation_comments cm JOIN consultations r ON r.id = cm.consultation_id
			LEFT JOIN consultation_groups g ON g.id = cm.group_id
			GROUP BY cm.consultation_id) n ON n.consultation_id = c.id
		WHERE c.state = 'published'
		GROUP BY c.department_code ORDER BY c.department_code`, s.today())
	if err != nil {
		return nil, fmt.Errorf("consultation: figures: %w", err)
	}
	defer rows.Close()
	out := []DepartmentFigures{}
	for rows.Next() {
		var f DepartmentFigures
		if err := rows.Scan(&f.Department, &f.Consultations, &f.Closed, &f.Comments, &f.Adopted, &f.PartlyAdopted, &f.NotAdopted); err != nil {
			return nil, fmt.Errorf("consultation: figures: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ledgerState is a consultation's canonical state as its ledger entries
// digest it: what was published (the text by its digest), the moderation
// record and the adoption report. Nothing personal: comments appear by
// their opaque IDs.
type ledgerState struct {
	ID            string             `json:"id"`
	Department    string             `json:"department"`
	OpensOn       string             `json:"opens_on"`
	ClosesOn      string             `json:"closes_on"`
	PolicyVersion string             `json:"policy_version"`
	PublishedAt   string             `json:"published_at"`
	Text          string             `json:"text_sha256"`
	Moderations   []ledgerModeration `json:"moderations"`
	Report        *ledgerReport      `json:"report,omitempty"`
}

type ledgerModeration struct {
	Comment string `json:"comment"`
	Action  string `json:"action"`
	Reason  string `json:"reason"`
	At      string `json:"at"`
}

type ledgerReport struct {
	PublishedAt string `json:"published_at"`
	SHA256      string `json:"sha256"`
}

func digest(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// canonical computes the ledger state of consultation id.
func (s *Store) canonical(ctx context.Context, q querier, id string) ([]byte, string, error) {
	c, err := s.load(ctx, q, id)
	if err != nil {
		return nil, "", err
	}
	st := ledgerState{ID: c.ID, Department: c.Department, OpensOn: c.OpensOn, ClosesOn: c.ClosesOn, PolicyVersion: c.PolicyVersion,
		Text: digest(struct {
			Title    string    `json:"title"`
			Summary  string    `json:"summary"`
			Sections []Section `json:"sections"`
		}{c.Title, c.Summary, c.Sections}), Moderations: []ledgerModeration{}}
	if c.PublishedAt != nil {
		st.PublishedAt = ledger.FormatTime(*c.PublishedAt)
	}
	rows, err := q.QueryContext(ctx, `SELECT comment_id, action, reason, at FROM consultation_moderations WHERE consultation_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, "", err
	}
	for rows.Next() {
		var m ledgerModeration
		var at db.Time
		if err := rows.Scan(&m.Comment, &m.Action, &m.Reason, &at); err != nil {
			rows.Close()
			return nil, "", err
		}
		m.At = ledger.FormatTime(at.Time)
		st.Moderations = append(st.Moderations, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if c.ReportPublishedAt != nil {
		all, err := s.comments(ctx, q, id)
		if err != nil {
			return nil, "", err
		}
		type answer struct {
			Comment string  `json:"comment"`
			Group   string  `json:"group,omitempty"`
			Verdict Verdict `json:"verdict"`
			Reason  string  `json:"reason"`
		}
		answers := []answer{}
		for _, cm := range all {
			answers = append(answers, answer{cm.ID, cm.GroupID, cm.answer, cm.reason})
		}
		st.Report = &ledgerReport{PublishedAt: ledger.FormatTime(*c.ReportPublishedAt), SHA256: digest(struct {
			Summary string   `json:"summary"`
			Groups  []Group  `json:"groups"`
			Answers []answer `json:"answers"`
		}{c.ReportSummary, c.Groups, answers})}
	}
	b, err := json.Marshal(st)
	return b, c.Department, err
}

// stamp appends the consultation's ledger entry for event in tx.
func (s *Store) stamp(ctx context.Context, tx *db.Tx, id, event string, at time.Time) error {
	state, dept, err := s.canonical(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("consultation: ledger state: %w", err)
	}
	_, err = ledger.Append(ctx, tx, ledger.Entry{At: ledger.FormatTime(at), Event: event, ObjectType: LedgerObject, ObjectID: id,
		Department: dept, Role: string(identity.DeptAdmin), State: state})
	return err
}

// LedgerState returns a consultation's canonical state as its latest
// ledger entry digested it, for `tongban verify`.
func (s *Store) LedgerState(ctx context.Context, id string) ([]byte, error) {
	b, _, err := s.canonical(ctx, s.db.Read(), id)
	return b, err
}
