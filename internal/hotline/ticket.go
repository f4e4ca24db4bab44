package hotline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
)

// The limits of what a ticket holds.
const (
	maxText        = 2000
	maxAddress     = 200
	maxReply       = 2000
	maxNote        = 500
	maxAttachments = 5
)

// Input is what a ticket is filed with.
type Input struct {
	Kind       Kind       `json:"kind"`
	Category   string     `json:"category_code"`
	Text       string     `json:"text"`
	Address    string     `json:"address,omitempty"`
	Division   string     `json:"division_code,omitempty"`
	Lat        *float64   `json:"lat,omitempty"`
	Lon        *float64   `json:"lon,omitempty"`
	Protection Protection `json:"protection,omitempty"`
	// The caller's contact details: typed in by a dispatcher for a phone
	// call, or sent by an Open311 app. Signed-in citizens file under their
	// account's.
	ReporterName  string            `json:"reporter_name,omitempty"`
	ReporterPhone string            `json:"reporter_phone,omitempty"`
	ReporterEmail string            `json:"reporter_email,omitempty"`
	Attributes    map[string]string `json:"attributes,omitempty"`
	MediaURL      string            `json:"media_url,omitempty"`
}

// Upload is an attachment being filed.
type Upload struct {
	Name string
	R    io.Reader
}

// File files a ticket. Citizens file for themselves (channel Web or API);
// a dispatcher files a telephone call (channel Phone) with the caller's
// details. The department the rules suggest is recorded for the
// dispatcher to confirm or override.
func (s *Store) File(ctx context.Context, p *identity.Principal, ch Channel, in Input, files []Upload) (*Ticket, error) {
	switch ch {
	case Web, API:
		if !p.Can(identity.PermHotlineFile) {
			return nil, identity.ErrForbidden
		}
		in.ReporterName, in.ReporterPhone, in.ReporterEmail = p.Account.Name, p.Account.Phone, p.Account.Email
	case Phone:
		if !p.Can(identity.PermHotlineDispatch) {
			return nil, identity.ErrForbidden
		}
	default:
		return nil, fmt.Errorf("hotline: File on channel %q", ch)
	}
	return s.file(ctx, p, ch, "", in, files)
}

// FileOpen311 files a ticket sent by an Open311 app holding key.
func (s *Store) FileOpen311(ctx context.Context, key *APIKey, in Input) (*Ticket, error) {
	return s.file(ctx, nil, Open311, key.ID, in, nil)
}

func cleanText(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

// validate checks a ticket's input against the category's attributes.
func (s *Store) validate(ctx context.Context, ch Channel, in *Input) (*Category, error) {
	var e fielderr.Errors
	if in.Kind == "" {
		in.Kind = Complaint
	}
	if !in.Kind.Valid() {
		e.Add("kind", "hotline_kind_invalid")
	}
	if in.Protection == "" {
		in.Protection = Public
	}
	if !in.Protection.Valid() {
		e.Add("protection", "hotline_protection_invalid")
	}
	in.Text = cleanText(in.Text)
	switch {
	case in.Text == "":
		e.Add("text", "hotline_text_required")
	case runes(in.Text) > maxText:
		e.Add("text", "text_too_long", maxText)
	}
	in.Address = strings.TrimSpace(in.Address)
	if runes(in.Address) > maxAddress {
		e.Add("address", "text_too_long", maxAddress)
	}
	if (in.Lat == nil) != (in.Lon == nil) {
		e.Add("lat", "hotline_coordinates_pair")
	}
	if in.Lat != nil && (math.IsNaN(*in.Lat) || *in.Lat < -90 || *in.Lat > 90) {
		e.Add("lat", "hotline_lat_range")
	}
	if in.Lon != nil && (math.IsNaN(*in.Lon) || *in.Lon < -180 || *in.Lon > 180) {
		e.Add("lon", "hotline_lon_range")
	}
	if ch == Open311 && in.Address == "" && in.Lat == nil {
		e.Add("lat", "hotline_location_required")
	}
	in.ReporterName = strings.TrimSpace(in.ReporterName)
	if runes(in.ReporterName) > 50 {
		e.Add("reporter_name", "text_too_long", 50)
	}
	in.ReporterPhone = strings.TrimSpace(in.ReporterPhone)
	if in.ReporterPhone != "" && idcheck.ContactPhone(in.ReporterPhone) != nil {
		e.Add("reporter_phone", "hotline_phone_invalid")
	}
	in.ReporterEmail = strings.TrimSpace(in.ReporterEmail)
	if in.ReporterEmail != "" && (len(in.ReporterEmail) > 200 || !strings.Contains(in.ReporterEmail, "@")) {
		e.Add("reporter_email", "hotline_email_invalid")
	}
	if ch == Phone && in.Protection != Anonymous && in.ReporterPhone == "" {
		e.Add("reporter_phone", "hotline_caller_phone_required")
	}
	if len(in.MediaURL) > 500 || (in.MediaURL != "" && !strings.HasPrefix(in.MediaURL, "https://") && !strings.HasPrefix(in.MediaURL, "http://")) {
		e.Add("media_url", "hotline_media_url_invalid")
	}
	var cat *Category
	if in.Category == "" {
		e.Add("category_code", "hotline_category_required")
	} else if c, err := s.Category(ctx, in.Category); errors.Is(err, db.ErrNotFound) || (err == nil && !c.Active) {
		e.Add("category_code", "hotline_category_unknown")
	} else if err != nil {
		return nil, err
	} else {
		cat = c
	}
	if in.Division != "" {
		if ok, err := exists(ctx, s.db.Read(), `SELECT 1 FROM divisions WHERE code = $1`, in.Division); err != nil {
			return nil, err
		} else if !ok {
			e.Add("division_code", "hotline_division_unknown")
		}
	}
	if cat != nil {
		checkAttributes(&e, cat, in.Attributes)
	}
	return cat, e.Err()
}

// checkAttributes checks the answers to a category's questions; answers
// to questions the category does not ask are dropped.
func checkAttributes(e *fielderr.Errors, cat *Category, given map[string]string) {
	kept := map[string]string{}
	for _, a := range cat.Attributes {
		v := strings.TrimSpace(given[a.Code])
		f := "attribute[" + a.Code + "]"
		if v == "" {
			if a.Required {
				e.Add(f, "required")
			}
			continue
		}
		if runes(v) > 500 {
			e.Add(f, "text_too_long", 500)
			continue
		}
		switch a.Datatype {
		case "number":
			if !decimalNumber(v) {
				e.Add(f, "hotline_attribute_number")
				continue
			}
		case "singlevaluelist":
			ok := false
			for _, x := range a.Values {
				ok = ok || x.Key == v
			}
			if !ok {
				e.Add(f, "hotline_attribute_value")
				continue
			}
		}
		kept[a.Code] = v
	}
	for k := range given {
		delete(given, k)
	}
	for k, v := range kept {
		given[k] = v
	}
}

func (s *Store) file(ctx context.Context, p *identity.Principal, ch Channel, keyID string, in Input, files []Upload) (_ *Ticket, err error) {
	if in.Attributes == nil {
		in.Attributes = map[string]string{}
	}
	if _, err := s.validate(ctx, ch, &in); err != nil {
		return nil, err
	}
	if len(files) > maxAttachments {
		return nil, fielderr.New("files", "hotline_too_many_files", maxAttachments)
	}
	// Files stream into the blob store before the transaction; a ticket
	// that then fails releases them for the sweeper (blob.Release).
	var atts []Attachment
	defer func() {
		if err == nil {
			return
		}
		var keys []string
		for _, a := range atts {
			keys = append(keys, a.blobKey)
		}
		if rerr := blob.ReleaseFailed(ctx, s.db, s.now(), keys...); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if errors.Is(err, blob.ErrGone) {
			err = fielderr.New("files", "file_upload_again")
		}
	}()
	for _, f := range files {
		name := cleanFileName(f.Name)
		if name == "" {
			return nil, fielderr.New("files", "file_required")
		}
		obj, err := s.blobs.Put(ctx, f.R, s.uploadLimit, blob.MaterialTypes)
		switch {
		case errors.Is(err, blob.ErrTooLarge):
			return nil, fielderr.New("files", "file_too_large", s.uploadLimit>>20)
		case errors.Is(err, blob.ErrType):
			return nil, fielderr.New("files", "file_type")
		case err != nil:
			return nil, err
		}
		atts = append(atts, Attachment{ID: db.NewID(), FileName: name, ContentType: obj.ContentType, Size: obj.Size, SHA256: obj.SHA256, UploadedAt: s.now(), blobKey: obj.Key})
	}
	days, err := s.Deadlines(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	t := &Ticket{ID: db.NewID(), Kind: in.Kind, CategoryCode: in.Category, Text: in.Text, Address: in.Address, DivisionCode: in.Division,
		Lat: in.Lat, Lon: in.Lon, Channel: ch, Protection: in.Protection, State: Dispatching, Days: days[in.Kind], CreatedAt: now, UpdatedAt: now}
	var reporter, filedBy sql.NullString
	if p != nil && !p.Anonymous() {
		filedBy = sql.NullString{String: p.Account.ID, Valid: true}
		if ch == Web || ch == API {
			reporter = filedBy
		}
	}
	if in.Protection == Anonymous && !reporter.Valid {
		// Nobody to call back and nothing to reveal: keep no contact.
		in.ReporterName, in.ReporterPhone, in.ReporterEmail = "", "", ""
	}
	if s.db.Dialect == db.Postgres {
		// The day's counter is one row every filing of the day updates:
		// taken inside the filing's transaction, its lock would be held
		// until that commits and filings would run one at a time. On
		// PostgreSQL it is taken in a transaction of its own first, so
		// filings commit side by side; a filing that then fails leaves
		// its number unused. (SQLite writes one at a time anyway, and an
		// extra commit would only cost a flush.)
		if t.Number, err = s.nextNumber(ctx, s.db.Write(), now); err != nil {
			return nil, err
		}
	}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if t.SuggestedDepartment, err = suggest(ctx, tx, in.Category, in.Division); err != nil {
			return err
		}
		if t.Number == "" {
			if t.Number, err = s.nextNumber(ctx, tx, now); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tickets (id, number, kind, category_code, text, address, division_code, lat, lon, channel,
			reporter_id, reporter_name, reporter_phone, reporter_email, protection, filed_by, app_key_id, attributes, media_url,
			state, suggested_department, days, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 'dispatching', $20, $21, $22, $22)`,
			t.ID, t.Number, string(t.Kind), t.CategoryCode, t.Text, t.Address, t.DivisionCode, floatOrNil(t.Lat), floatOrNil(t.Lon), string(ch),
			reporter, in.ReporterName, in.ReporterPhone, in.ReporterEmail, string(t.Protection), filedBy, keyID, jsonText(in.Attributes), in.MediaURL,
			t.SuggestedDepartment, t.Days, db.NewTime(now))
		if err != nil {
			return fmt.Errorf("hotline: file: %w", err)
		}
		for _, a := range atts {
			if err := blob.Claim(ctx, tx, s.blobs, a.blobKey); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_attachments (id, ticket_id, file_name, content_type, size, sha256, blob_key, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				a.ID, t.ID, a.FileName, a.ContentType, a.Size, a.SHA256, a.blobKey, filedBy, db.NewTime(a.UploadedAt)); err != nil {
				return err
			}
		}
		if err := s.event(ctx, tx, t.ID, p, "", "filed", "", Dispatching, string(ch)); err != nil {
			return err
		}
		ids, err := holders(ctx, tx, "", identity.Dispatcher)
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, ids, "ticket_filed", t, "/staff/hotline/dispatch")
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.db.Read(), t.ID)
}

func calendarDay(t time.Time, loc *time.Location) string { return t.In(loc).Format("20060102") }

// nextNumber takes the next ticket number of the day of now: RX, the date
// and the day's sequence in five digits.
func (s *Store) nextNumber(ctx context.Context, q querier, now time.Time) (string, error) {
	day := calendarDay(now, s.loc)
	var n int
	if err := q.QueryRowContext(ctx, `INSERT INTO ticket_sequences (day, last) VALUES ($1, 1)
		ON CONFLICT (day) DO UPDATE SET last = ticket_sequences.last + 1 RETURNING last`, day).Scan(&n); err != nil {
		return "", fmt.Errorf("hotline: number: %w", err)
	}
	return fmt.Sprintf("RX%s%05d", day, n), nil
}

func floatOrNil(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// cleanFileName keeps the base name of what the browser sent, without
// paths or control characters, at most 120 characters.
func cleanFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if runes(name) > 120 {
		name = string([]rune(name)[:120])
	}
	return name
}

const ticketColumns = `t.id, t.number, t.kind, t.category_code, c.name, t.text, t.address, t.division_code, t.lat, t.lon, t.channel,
	COALESCE(t.reporter_id, ''), t.reporter_name, t.reporter_phone, t.reporter_email, t.protection, COALESCE(t.filed_by, ''), t.attributes, t.media_url,
	t.state, t.suggested_department, COALESCE(t.department_code, ''), t.days, COALESCE(t.clock_date, ''), COALESCE(t.due_date, ''), COALESCE(t.yellow_date, ''),
	t.warning, t.urge_count, t.reply, t.replied_at, t.solved, t.satisfaction, t.reopen_count, COALESCE(t.merged_into, ''),
	t.created_at, t.updated_at, t.closed_at, t.revision`

const ticketFrom = ` FROM tickets t JOIN hotline_categories c ON c.code = t.category_code`

func scanTicket(row interface{ Scan(...any) error }) (*Ticket, error) {
	var t Ticket
	var lat, lon sql.NullFloat64
	var attrs string
	var replied, closed *db.Time
	var solved sql.NullBool
	var created, updated db.Time
	err := row.Scan(&t.ID, &t.Number, &t.Kind, &t.CategoryCode, &t.CategoryName, &t.Text, &t.Address, &t.DivisionCode, &lat, &lon, &t.Channel,
		&t.reporterID, &t.ReporterName, &t.ReporterPhone, &t.ReporterEmail, &t.Protection, &t.filedBy, &attrs, &t.MediaURL,
		&t.State, &t.SuggestedDepartment, &t.DepartmentCode, &t.Days, &t.ClockDate, &t.DueDate, &t.YellowDate,
		&t.Warning, &t.UrgeCount, &t.Reply, &replied, &solved, &t.Satisfaction, &t.ReopenCount, &t.MergedInto,
		&created, &updated, &closed, &t.Revision)
	if err != nil {
		return nil, err
	}
	if lat.Valid && lon.Valid {
		t.Lat, t.Lon = &lat.Float64, &lon.Float64
	}
	if err := json.Unmarshal([]byte(attrs), &t.Attributes); err != nil {
		return nil, fmt.Errorf("hotline: ticket %s attributes: %w", t.ID, err)
	}
	if solved.Valid {
		t.Solved = &solved.Bool
	}
	t.CreatedAt, t.UpdatedAt = created.Time, updated.Time
	if replied != nil {
		t.RepliedAt = &replied.Time
	}
	if closed != nil {
		t.ClosedAt = &closed.Time
	}
	t.Attachments, t.Events = []Attachment{}, []Event{}
	return &t, nil
}

// load reads a ticket with its attachments and log, unredacted.
func (s *Store) load(ctx context.Context, q querier, id string) (*Ticket, error) {
	t, err := scanTicket(q.QueryRowContext(ctx, `SELECT `+ticketColumns+ticketFrom+` WHERE t.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("hotline: ticket %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, file_name, content_type, size, sha256, blob_key, uploaded_at FROM ticket_attachments WHERE ticket_id = $1 ORDER BY uploaded_at, id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a Attachment
		var at db.Time
		if err := rows.Scan(&a.ID, &a.FileName, &a.ContentType, &a.Size, &a.SHA256, &a.blobKey, &at); err != nil {
			rows.Close()
			return nil, err
		}
		a.UploadedAt = at.Time
		t.Attachments = append(t.Attachments, a)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT e.seq, e.at, COALESCE(e.actor_id, ''), COALESCE(a.name, ''), e.department_code, e.action, e.from_state, e.to_state, e.note
		FROM ticket_events e LEFT JOIN accounts a ON a.id = e.actor_id WHERE e.ticket_id = $1 ORDER BY e.seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var at db.Time
		if err := rows.Scan(&e.Seq, &at, &e.actorID, &e.ActorName, &e.DepartmentCode, &e.Action, &e.FromState, &e.ToState, &e.Note); err != nil {
			return nil, err
		}
		e.At = at.Time
		t.Events = append(t.Events, e)
	}
	return t, rows.Err()
}

// ByNumber returns the ticket with a tracking number, as the public sees
// it (see PublicView).
func (s *Store) ByNumber(ctx context.Context, number string) (*Ticket, error) {
	var id string
	err := s.db.Read().QueryRowContext(ctx, `SELECT id FROM tickets WHERE number = $1`, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("hotline: ticket %s: %w", number, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	t, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	return PublicView(t), nil
}

// PublicView is what anyone may know of a ticket (Open311 answers with it):
// no reporter, no attachments, no log; and for reports (举报) and
// protected or anonymous tickets neither the text nor the place either.
// Only tickets filed through Open311 show their text and the reply, since
// their reporters filed them into a public API.
func PublicView(t *Ticket) *Ticket {
	c := *t
	c.ReporterName, c.ReporterPhone, c.ReporterEmail, c.IdentityHidden = "", "", "", true
	c.Attachments, c.Events, c.Attributes, c.MediaURL = []Attachment{}, []Event{}, nil, ""
	c.reporterID, c.filedBy = "", ""
	if c.Channel != Open311 || c.Kind == Report || c.Protection != Public {
		c.Text, c.Reply = "", ""
	}
	if c.Kind == Report || c.Protection != Public {
		c.Address, c.Lat, c.Lon = "", nil, nil
	}
	return &c
}

// canSee reports whether p may read t: its reporter, dispatchers,
// supervisors, staff of the department it is dispatched to.
func canSee(p *identity.Principal, t *Ticket) bool {
	if p.Anonymous() {
		return false
	}
	if t.Mine(p.Account.ID) || p.Can(identity.PermHotlineDispatch) || p.Can(identity.PermSupervise) {
		return true
	}
	return t.DepartmentCode != "" && p.CanIn(identity.PermStaffDesk, t.DepartmentCode)
}

// redact hides from p what p may not know: the reporter of a protected or
// anonymous ticket from all but the reporter.
func redact(p *identity.Principal, t *Ticket) *Ticket {
	if t.Mine(p.Account.ID) {
		return t
	}
	if t.Protection != Public {
		t.ReporterName, t.ReporterPhone, t.ReporterEmail, t.IdentityHidden = "", "", "", true
		// The log must not name the reporter either: they filed the
		// ticket and answered its callbacks.
		for i := range t.Events {
			if t.reporterID != "" && t.Events[i].actorID == t.reporterID {
				t.Events[i].ActorName = ""
			}
		}
	}
	return t
}

// Get returns a ticket if p may see it; otherwise db.ErrNotFound.
func (s *Store) Get(ctx context.Context, p *identity.Principal, id string) (*Ticket, error) {
	t, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !canSee(p, t) {
		return nil, fmt.Errorf("hotline: ticket %s: %w", id, db.ErrNotFound)
	}
	return redact(p, t), nil
}

// OpenAttachment returns an attachment's content for someone who may see
// the ticket.
func (s *Store) OpenAttachment(ctx context.Context, p *identity.Principal, id, attID string) (*Attachment, io.ReadCloser, error) {
	t, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range t.Attachments {
		if a.ID == attID {
			rc, err := s.blobs.Open(ctx, a.blobKey)
			if err != nil {
				return nil, nil, err
			}
			return &a, rc, nil
		}
	}
	return nil, nil, fmt.Errorf("hotline: attachment %s: %w", attID, db.ErrNotFound)
}

// Filter narrows a ticket list.
type Filter struct {
	State      State
	Department string
	Category   string
	Kind       Kind
	Numbers    []string
	// From and To bound the filing time (inclusive, exclusive).
	From, To time.Time
	// Open, when set, keeps only open tickets (true) or only closed and
	// merged ones (false), as Open311's status filter asks.
	Open *bool
	// Mine lists only what p filed.
	Mine  bool
	Limit int
}

// List returns tickets p may see, newest first: what they filed (Mine);
// for dispatchers and supervisors every ticket; for department staff the
// tickets dispatched to their departments.
func (s *Store) List(ctx context.Context, p *identity.Principal, f Filter) ([]*Ticket, error) {
	if p.Anonymous() {
		return nil, identity.ErrForbidden
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	switch {
	case f.Mine:
		where = append(where, "t.reporter_id = "+arg(p.Account.ID))
	case p.Can(identity.PermHotlineDispatch) || p.Can(identity.PermSupervise):
	default:
		depts, all := p.Departments(identity.PermStaffDesk)
		if !all {
			if len(depts) == 0 {
				return nil, identity.ErrForbidden
			}
			var ph []string
			for _, d := range depts {
				ph = append(ph, arg(d))
			}
			where = append(where, "t.department_code IN ("+strings.Join(ph, ", ")+")")
		}
	}
	return s.list(ctx, f, where, args, func(t *Ticket) *Ticket { return redact(p, t) })
}

// PublicList lists tickets as the public sees them (Open311).
func (s *Store) PublicList(ctx context.Context, f Filter) ([]*Ticket, error) {
	return s.list(ctx, f, nil, nil, PublicView)
}

func (s *Store) list(ctx context.Context, f Filter, where []string, args []any, view func(*Ticket) *Ticket) ([]*Ticket, error) {
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.State != "" {
		where = append(where, "t.state = "+arg(string(f.State)))
	}
	if f.Open != nil {
		if *f.Open {
			where = append(where, "t.state NOT IN ('closed', 'merged')")
		} else {
			where = append(where, "t.state IN ('closed', 'merged')")
		}
	}
	if f.Department != "" {
		where = append(where, "t.department_code = "+arg(f.Department))
	}
	if f.Category != "" {
		where = append(where, "t.category_code = "+arg(f.Category))
	}
	if f.Kind != "" {
		where = append(where, "t.kind = "+arg(string(f.Kind)))
	}
	if len(f.Numbers) > 0 {
		var ph []string
		for _, n := range f.Numbers {
			ph = append(ph, arg(n))
		}
		where = append(where, "t.number IN ("+strings.Join(ph, ", ")+")")
	}
	if !f.From.IsZero() {
		where = append(where, "t.created_at >= "+arg(db.NewTime(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "t.created_at < "+arg(db.NewTime(f.To)))
	}
	q := `SELECT ` + ticketColumns + ticketFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	q += fmt.Sprintf(" ORDER BY t.created_at DESC, t.id LIMIT %d", limit)
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("hotline: list: %w", err)
	}
	defer rows.Close()
	out := []*Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, view(t))
	}
	return out, rows.Err()
}

func (s *Store) event(ctx context.Context, tx *db.Tx, id string, p *identity.Principal, dept, action string, from, to State, note string) error {
	var actor sql.NullString
	if p != nil && !p.Anonymous() {
		actor = sql.NullString{String: p.Account.ID, Valid: true}
	}
	now := s.now()
	var seq int
	err := tx.QueryRowContext(ctx, `INSERT INTO ticket_events (ticket_id, seq, at, actor_id, department_code, action, from_state, to_state, note)
		VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ticket_events WHERE ticket_id = $1), $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
		id, db.NewTime(now), actor, dept, action, string(from), string(to), note).Scan(&seq)
	if err != nil {
		return fmt.Errorf("hotline: log %s: %w", action, err)
	}
	// Every action is logged after the change it records, so the stamp
	// digests the ticket as the change left it.
	return s.stamp(ctx, tx, id, seq, p, dept, action, note, now)
}

// holders returns the enabled accounts holding role r in department dept
// ("" for roles that are not department-scoped).
func holders(ctx context.Context, q querier, dept string, roles ...identity.Role) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, r := range roles {
		rows, err := q.QueryContext(ctx, `SELECT a.id FROM account_roles r JOIN accounts a ON a.id = r.account_id
			WHERE r.department_code = $1 AND r.role = $2 AND NOT a.disabled ORDER BY a.id`, dept, string(r))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// departmentStaff are the people of a department who handle its tickets.
func departmentStaff(ctx context.Context, q querier, dept string) ([]string, error) {
	return holders(ctx, q, dept, identity.StaffRoles...)
}

// decimalRE is a number as people write one: digits, a point, an exponent.
var decimalRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// decimalNumber reports whether v is a decimal number that fits a float64:
// not "NaN", "Inf" or "0x1p4", which strconv.ParseFloat also takes, nor
// 1e400, which it cannot hold.
func decimalNumber(v string) bool {
	if !decimalRE.MatchString(v) {
		return false
	}
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}
