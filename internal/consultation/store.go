package consultation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// Store keeps consultations and their comments.
type Store struct {
	db      *db.DB
	loc     *time.Location
	now     func() time.Time
	notices Notifier
}

// Notifier queues a notice within tx.
type Notifier func(ctx context.Context, tx *db.Tx, n notify.Notice) error

// NewStore returns a Store. loc is the platform time zone, in which the
// comment period's days are counted; now is the clock (time.Now if nil).
func NewStore(d *db.DB, loc *time.Location, now func() time.Time) *Store {
	if loc == nil {
		loc = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	return &Store{db: d, loc: loc, now: now, notices: notify.Enqueue}
}

// WithNotifier makes s queue its notices with n instead of the platform's
// outbox (notify.Enqueue), and returns s.
func (s *Store) WithNotifier(n Notifier) *Store {
	s.notices = n
	return s
}

// ErrFrozen is returned for a change the consultation's phase does not
// allow: editing a published text, commenting outside the period,
// answering before the period closes or after the report is published.
var ErrFrozen = errors.New("consultation: not possible in the current phase")

func (s *Store) today() string { return s.now().In(s.loc).Format(time.DateOnly) }

func (s *Store) phase(c *Consultation) Phase {
	switch {
	case c.State == Draft:
		return PhaseDraft
	case c.ReportPublishedAt != nil:
		return Reported
	}
	today := s.today()
	switch {
	case today < c.OpensOn:
		return Upcoming
	case today <= c.ClosesOn:
		return Open
	}
	return Closed
}

// Phase returns c's phase today.
func (s *Store) Phase(c *Consultation) Phase { return s.phase(c) }

func (in *Input) validate() error {
	var e fielderr.Errors
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		e.Add("title", "required")
	} else if runes(in.Title) > 200 {
		e.Add("title", "text_too_long", 200)
	}
	if strings.TrimSpace(in.Summary) == "" {
		e.Add("summary", "required")
	} else if runes(in.Summary) > 2000 {
		e.Add("summary", "text_too_long", 2000)
	}
	opens, oerr := time.Parse(time.DateOnly, in.OpensOn)
	if oerr != nil {
		e.Add("opens_on", "consultation_date_invalid")
	}
	closes, cerr := time.Parse(time.DateOnly, in.ClosesOn)
	if cerr != nil {
		e.Add("closes_on", "consultation_date_invalid")
	}
	if oerr == nil && cerr == nil && closes.Before(opens) {
		e.Add("closes_on", "consultation_period_order")
	}
	if len(in.Sections) == 0 {
		e.Add("sections", "consultation_sections_required")
	} else if len(in.Sections) > MaxSections {
		e.Add("sections", "consultation_too_many_sections", MaxSections)
	}
	for i, sec := range in.Sections {
		f := fmt.Sprintf("sections.%d", i)
		in.Sections[i].Heading = strings.TrimSpace(sec.Heading)
		if in.Sections[i].Heading == "" {
			e.Add(f+".heading", "required")
		} else if runes(sec.Heading) > 200 {
			e.Add(f+".heading", "text_too_long", 200)
		}
		if strings.TrimSpace(sec.Body) == "" {
			e.Add(f+".body", "required")
		} else if runes(sec.Body) > 20000 {
			e.Add(f+".body", "text_too_long", 20000)
		}
	}
	return e.Err()
}

// manages reports whether p may manage consultations of dept.
func manages(p *identity.Principal, dept string) bool {
	return p.CanIn(identity.PermConsultationManage, dept)
}

// Create stores a new draft for a department p manages. An empty
// department is p's own when p manages exactly one.
func (s *Store) Create(ctx context.Context, p *identity.Principal, in Input) (*Consultation, error) {
	if !p.Can(identity.PermConsultationManage) {
		return nil, identity.ErrForbidden
	}
	if in.Department == "" {
		if depts, _ := p.Departments(identity.PermConsultationManage); len(depts) == 1 {
			in.Department = depts[0]
		}
	}
	var e fielderr.Errors
	if in.Department == "" {
		e.Add("department_code", "required")
	} else if !manages(p, in.Department) {
		e.Add("department_code", "consultation_department_not_yours")
	}
	e.Merge("", in.validate())
	if err := e.Err(); err != nil {
		return nil, err
	}
	id := db.NewID()
	now := db.NewTime(s.now())
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO consultations (id, department_code, title, summary, opens_on, closes_on, state, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $8)`, id, in.Department, in.Title, in.Summary, in.OpensOn, in.ClosesOn, p.Account.ID, now)
		if db.IsForeignKeyViolation(err) {
			return fielderr.New("department_code", "department_unknown")
		}
		if err != nil {
			return fmt.Errorf("consultation: create: %w", err)
		}
		return putSections(ctx, tx, id, in.Sections)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

func putSections(ctx context.Context, tx *db.Tx, id string, secs []SectionInput) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM consultation_sections WHERE consultation_id = $1`, id); err != nil {
		return fmt.Errorf("consultation: sections: %w", err)
	}
	for i, sec := range secs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_sections (consultation_id, number, heading, body) VALUES ($1, $2, $3, $4)`,
			id, i+1, sec.Heading, sec.Body); err != nil {
			return fmt.Errorf("consultation: sections: %w", err)
		}
	}
	return nil
}

// Update replaces a draft's text and period. Published consultations are
// frozen (ErrFrozen): a correction is published as a new consultation.
// The department cannot change.
func (s *Store) Update(ctx context.Context, p *identity.Principal, id string, in Input) (*Consultation, error) {
	c, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !manages(p, c.Department) {
		return nil, db.ErrNotFound
	}
	if c.State != Draft {
		return nil, ErrFrozen
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE consultations SET title = $1, summary = $2, opens_on = $3, closes_on = $4, updated_at = $5, revision = revision + 1
			WHERE id = $6 AND state = 'draft'`, in.Title, in.Summary, in.OpensOn, in.ClosesOn, db.NewTime(s.now()), id)
		if err != nil {
			return fmt.Errorf("consultation: update: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrFrozen
		}
		return putSections(ctx, tx, id, in.Sections)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// lock takes the consultation's row lock for the rest of tx (a no-op
// update: SQLite has one writer anyway; PostgreSQL waits for any other
// transaction changing the consultation), so that state checks, the
// moderation sequence and the ledger chain of one consultation are
// serialized.
func lock(ctx context.Context, tx *db.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE consultations SET revision = revision WHERE id = $1`, id); err != nil {
		return fmt.Errorf("consultation %s: lock: %w", id, err)
	}
	return nil
}

// Publish puts a draft out for comment and freezes its text. The period
// must not have ended.
func (s *Store) Publish(ctx context.Context, p *identity.Principal, id string) (*Consultation, error) {
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
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
		if c.State != Draft {
			return ErrFrozen
		}
		if c.ClosesOn < s.today() {
			return fielderr.New("closes_on", "consultation_closes_past")
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE consultations SET state = 'published', published_at = $1, updated_at = $1, policy_version = $2, revision = revision + 1 WHERE id = $3`,
			db.NewTime(now), PolicyVersion, id); err != nil {
			return fmt.Errorf("consultation: publish: %w", err)
		}
		return s.stamp(ctx, tx, id, "published", now)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

type querier = db.Querier

const consultationCols = `id, department_code, title, summary, opens_on, closes_on, state, policy_version, created_at, updated_at, published_at, report_summary, report_published_at, revision`

func scanConsultation(sc interface{ Scan(...any) error }) (*Consultation, error) {
	var c Consultation
	var created, updated, published, reported db.Time
	if err := sc.Scan(&c.ID, &c.Department, &c.Title, &c.Summary, &c.OpensOn, &c.ClosesOn, &c.State, &c.PolicyVersion,
		&created, &updated, &published, &c.ReportSummary, &reported, &c.Revision); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	if !published.IsZero() {
		t := published.Time
		c.PublishedAt = &t
	}
	if !reported.IsZero() {
		t := reported.Time
		c.ReportPublishedAt = &t
	}
	c.Sections, c.Groups = []Section{}, []Group{}
	return &c, nil
}

// load reads a consultation with its sections and groups, whoever asks.
func (s *Store) load(ctx context.Context, q querier, id string) (*Consultation, error) {
	c, err := scanConsultation(q.QueryRowContext(ctx, `SELECT `+consultationCols+` FROM consultations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("consultation %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("consultation %s: %w", id, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT number, heading, body FROM consultation_sections WHERE consultation_id = $1 ORDER BY number`, id)
	if err != nil {
		return nil, fmt.Errorf("consultation %s sections: %w", id, err)
	}
	for rows.Next() {
		var sec Section
		if err := rows.Scan(&sec.Number, &sec.Heading, &sec.Body); err != nil {
			rows.Close()
			return nil, err
		}
		c.Sections = append(c.Sections, sec)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT g.id, g.title, g.answer, g.answer_reason, COALESCE(cm.id, '') FROM consultation_groups g
		LEFT JOIN consultation_comments cm ON cm.group_id = g.id WHERE g.consultation_id = $1 ORDER BY g.created_at, g.id, cm.created_at, cm.id`, id)
	if err != nil {
		return nil, fmt.Errorf("consultation %s groups: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var g Group
		var cid string
		if err := rows.Scan(&g.ID, &g.Title, &g.Answer, &g.AnswerReason, &cid); err != nil {
			return nil, err
		}
		if n := len(c.Groups); n == 0 || c.Groups[n-1].ID != g.ID {
			g.Comments = []string{}
			c.Groups = append(c.Groups, g)
		}
		if cid != "" {
			last := &c.Groups[len(c.Groups)-1]
			last.Comments = append(last.Comments, cid)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.Phase = s.phase(c)
	return c, nil
}

// Get returns a consultation as p may see it: published ones to anyone
// (p may be nil), drafts only to those who manage its department. Groups
// and their answers are shown once the report is published, and to the
// department before.
func (s *Store) Get(ctx context.Context, p *identity.Principal, id string) (*Consultation, error) {
	c, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	m := manages(p, c.Department)
	if c.State == Draft && !m {
		return nil, fmt.Errorf("consultation %s: %w", id, db.ErrNotFound)
	}
	if c.Phase != Reported && !m {
		c.Groups = []Group{}
	}
	return c, nil
}

// Manages reports whether p manages consultation c's department.
func (s *Store) Manages(p *identity.Principal, c *Consultation) bool { return manages(p, c.Department) }

// Filter narrows List.
type Filter struct {
	// Department limits the list to one department.
	Department string
	// Managed lists, instead of the published ones, every consultation
	// (drafts too) of the departments the viewer manages.
	Managed bool
}

// List returns consultations, newest period first, without their
// sections: the published ones, or with f.Managed those of p's
// departments.
func (s *Store) List(ctx context.Context, p *identity.Principal, f Filter) ([]*Consultation, error) {
	q := `SELECT ` + consultationCols + ` FROM consultations WHERE 1 = 1`
	var args []any
	if f.Managed {
		depts, all := p.Departments(identity.PermConsultationManage)
		if !all {
			if len(depts) == 0 {
				return nil, identity.ErrForbidden
			}
			var ph []string
			for _, d := range depts {
				args = append(args, d)
				ph = append(ph, fmt.Sprintf("$%d", len(args)))
			}
			q += ` AND department_code IN (` + strings.Join(ph, ", ") + `)`
		}
	} else {
		q += ` AND state = 'published'`
	}
	if f.Department != "" {
		args = append(args, f.Department)
		q += fmt.Sprintf(` AND department_code = $%d`, len(args))
	}
	q += ` ORDER BY opens_on DESC, created_at DESC, id`
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("consultation: list: %w", err)
	}
	defer rows.Close()
	out := []*Consultation{}
	for rows.Next() {
		c, err := scanConsultation(rows)
		if err != nil {
			return nil, err
		}
		c.Phase = s.phase(c)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddComment records p's comment on a published consultation during its
// period: on the whole draft (section 0), on a section, or on a passage
// of a section, which must occur in the section's text (white space
// aside). The text is stored exactly as written.
func (s *Store) AddComment(ctx context.Context, p *identity.Principal, id string, in CommentInput) (*Comment, error) {
	if !p.Can(identity.PermConsultationComment) {
		return nil, identity.ErrForbidden
	}
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	switch c.Phase {
	case Open:
	case Upcoming:
		return nil, fielderr.New("text", "consultation_not_open_yet", c.OpensOn)
	case PhaseDraft:
		return nil, db.ErrNotFound
	default:
		return nil, fielderr.New("text", "consultation_comments_closed", c.ClosesOn)
	}
	var e fielderr.Errors
	var sec *Section
	if in.Section != 0 {
		if sec = c.Section(in.Section); sec == nil {
			e.Add("section", "consultation_section_unknown")
		}
	}
	if in.Passage != "" {
		switch {
		case in.Section == 0:
			e.Add("passage", "consultation_passage_needs_section")
		case runes(in.Passage) > MaxPassageRunes:
			e.Add("passage", "text_too_long", MaxPassageRunes)
		case sec != nil && !PassageIn(in.Passage, sec.Body):
			e.Add("passage", "consultation_passage_not_found", in.Section)
		}
	}
	if strings.TrimSpace(in.Text) == "" {
		e.Add("text", "required")
	} else if runes(in.Text) > MaxCommentRunes {
		e.Add("text", "text_too_long", MaxCommentRunes)
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	var recent int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM consultation_comments WHERE consultation_id = $1 AND author_id = $2 AND created_at > $3`,
		id, p.Account.ID, db.NewTime(s.now().Add(-24*time.Hour))).Scan(&recent); err != nil {
		return nil, fmt.Errorf("consultation: comment: %w", err)
	}
	if recent >= MaxCommentsPerDay {
		return nil, fielderr.New("text", "consultation_too_many_comments", MaxCommentsPerDay)
	}
	cm := &Comment{ID: db.NewID(), Section: in.Section, Passage: strings.TrimSpace(in.Passage), Text: in.Text, CreatedAt: s.now().UTC(),
		Author: idcheck.MaskName(p.Account.Name), Mine: true, TextShown: true, authorID: p.Account.ID}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO consultation_comments (id, consultation_id, section, passage, text, author_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, cm.ID, id, cm.Section, cm.Passage, cm.Text, cm.authorID, db.NewTime(cm.CreatedAt))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("consultation: comment: %w", err)
	}
	return cm, nil
}

// Comments returns a consultation's comments, oldest first, as p (nil for
// a visitor) may see them: names masked; a hidden comment's text and the
// moderator's note only for its author and the department; answers once
// the report is published, and to the department before.
func (s *Store) Comments(ctx context.Context, p *identity.Principal, id string) ([]*Comment, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	all, err := s.comments(ctx, s.db.Read(), c.ID)
	if err != nil {
		return nil, err
	}
	m := manages(p, c.Department)
	me := ""
	if !p.Anonymous() {
		me = p.Account.ID
	}
	for _, cm := range all {
		cm.Mine = me != "" && cm.authorID == me
		cm.TextShown = !cm.Hidden || cm.Mine || m
		if !cm.TextShown {
			cm.Text, cm.Passage, cm.HideNote = "", "", ""
		}
		if (c.Phase == Reported && !cm.Hidden) || m {
			cm.Answer, cm.AnswerReason = cm.answer, cm.reason
		}
	}
	return all, nil
}

// comments reads every comment of a consultation with its effective
// answer (its group's, when grouped) kept aside.
func (s *Store) comments(ctx context.Context, q querier, id string) ([]*Comment, error) {
	rows, err := q.QueryContext(ctx, `SELECT cm.id, cm.section, cm.passage, cm.text, cm.author_id, a.name, cm.created_at, cm.hidden, cm.hide_reason, cm.hide_note,
		COALESCE(cm.group_id, ''), COALESCE(g.answer, cm.answer), COALESCE(g.answer_reason, cm.answer_reason)
		FROM consultation_comments cm JOIN accounts a ON a.id = cm.author_id LEFT JOIN consultation_groups g ON g.id = cm.group_id
		WHERE cm.consultation_id = $1 ORDER BY cm.created_at, cm.id`, id)
	if err != nil {
		return nil, fmt.Errorf("consultation %s comments: %w", id, err)
	}
	defer rows.Close()
	out := []*Comment{}
	for rows.Next() {
		var cm Comment
		var name string
		var at db.Time
		if err := rows.Scan(&cm.ID, &cm.Section, &cm.Passage, &cm.Text, &cm.authorID, &name, &at, &cm.Hidden, &cm.HideReason, &cm.HideNote,
			&cm.GroupID, &cm.answer, &cm.reason); err != nil {
			return nil, err
		}
		cm.CreatedAt = at.Time
		cm.Author = idcheck.MaskName(name)
		out = append(out, &cm)
	}
	return out, rows.Err()
}
