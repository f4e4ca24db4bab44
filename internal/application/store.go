package application

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/workflow"
)

// Store runs applications.
type Store struct {
	db        *db.DB
	catalog   *catalog.Store
	processes *workflow.Store
	calendar  *calendar.Store
	blobs     blob.Store
	identity  *identity.Store
	org       *org.Store
	notices   Notifier
	licenses  Issuer
	held      LicenseSource
	grants    DataGrants
	loc       *time.Location
	now       func() time.Time
	// yellowDays is how many working days before the deadline a task turns
	// yellow.
	yellowDays int
	// uploadLimit caps one uploaded file, in bytes.
	uploadLimit int64
	// renotify is how long after a warning the scheduler reminds again
	// while nobody acts.
	renotify time.Duration
	// defs caches pinned process versions; services, service versions.
	defs, services sync.Map
	// stamps holds, per open transaction (*db.Tx), the ledger entries
	// waiting for its end (see Store.tx).
	stamps sync.Map
}

// Deps are what a Store needs.
type Deps struct {
	DB        *db.DB
	Catalog   *catalog.Store
	Processes *workflow.Store
	Calendar  *calendar.Store
	Blobs     blob.Store
	Identity  *identity.Store
	Org       *org.Store
	Notices   Notifier
	// Licenses issues the electronic license of a service when one of its
	// applications concludes approved; nil issues none.
	Licenses Issuer
	// Held finds the electronic licenses applicants hold (免提交); nil
	// takes no material from licenses.
	Held LicenseSource
	// Grants tells which shared data a department may use (package
	// exchange); nil verifies no material from shared data.
	Grants   DataGrants
	Location *time.Location
	Now      func() time.Time
	// YellowDays defaults to 1 working day.
	YellowDays int
	// UploadLimit defaults to 20 MiB.
	UploadLimit int64
	// Renotify defaults to 24 hours.
	Renotify time.Duration
}

// NewStore returns a Store.
func NewStore(d Deps) *Store {
	s := &Store{db: d.DB, catalog: d.Catalog, processes: d.Processes, calendar: d.Calendar, blobs: d.Blobs,
		identity: d.Identity, org: d.Org, notices: d.Notices, licenses: d.Licenses, held: d.Held, grants: d.Grants, loc: d.Location, now: d.Now,
		yellowDays: d.YellowDays, uploadLimit: d.UploadLimit, renotify: d.Renotify}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.yellowDays <= 0 {
		s.yellowDays = 1
	}
	if s.uploadLimit <= 0 {
		s.uploadLimit = 20 << 20
	}
	if s.renotify <= 0 {
		s.renotify = 24 * time.Hour
	}
	if s.notices == nil {
		s.notices = func(context.Context, *db.Tx, ...Notice) error { return nil }
	} else {
		// Notices are dated by the store's clock, as the changes they
		// report are.
		send := s.notices
		s.notices = func(ctx context.Context, tx *db.Tx, ns ...Notice) error {
			for i := range ns {
				if ns[i].At.IsZero() {
					ns[i].At = s.now()
				}
			}
			return send(ctx, tx, ns...)
		}
	}
	return s
}

// UploadLimit is the largest file an applicant may upload, in bytes.
func (s *Store) UploadLimit() int64 { return s.uploadLimit }

// Notice is a message to one account caused by a state change. It is
// queued in the same transaction as the change.
type Notice struct {
	AccountID string
	// Kind names the message (application_submitted, task_assigned …);
	// Params fill it in.
	Kind   string
	Params map[string]string
	// Link is the path of the page the notice is about. It never carries
	// personal data.
	Link string
	// At is when the change happened (the store's clock).
	At time.Time
}

// Issuer issues the electronic license (电子证照) a service names when one
// of its applications concludes approved, in the conclusion's
// transaction: if issuing fails, the conclusion fails with it. Package
// license implements it.
type Issuer interface {
	IssueForApplication(ctx context.Context, tx *db.Tx, c Conclusion) error
}

// Conclusion is what an Issuer learns of an application concluded
// approved.
type Conclusion struct {
	ApplicationID     string
	ApplicationNumber string
	// License is the service's catalog.Service.IssuesLicense.
	License catalog.LicenseIssue
	// Form is the application's form as filed.
	Form json.RawMessage
	// ApplicantID is the applicant's account; OrganizationID the
	// organization applied for, if any.
	ApplicantID    string
	OrganizationID string
	// Department and Role are the concluding task's.
	Department string
	Role       string
	// Date is the conclusion's civil date (YYYY-MM-DD), At its time.
	Date string
	At   time.Time
}

// Notifier queues notices within tx.
type Notifier func(ctx context.Context, tx *db.Tx, ns ...Notice) error

// Outbox is the Notifier of a running platform: it queues the notices in
// the platform's outbox (package notify), whose in-app inbox, email and
// SMS deliveries follow from it.
func Outbox(ctx context.Context, tx *db.Tx, ns ...Notice) error {
	out := make([]notify.Notice, 0, len(ns))
	for _, n := range ns {
		args := []string{n.Params["number"], n.Params["service"]}
		switch n.Kind {
		case "task_yellow", "task_red":
			args = append(args, n.Params["due"])
		case "task_returned":
			args = append(args, n.Params["reason"])
		}
		// English readers read the service's English name, when it has one.
		argsEn := notify.EnglishArgs(args, 1, n.Params["service_en"])
		out = append(out, notify.Notice{AccountID: n.AccountID, Kind: notify.Kind(n.Kind), Args: args, ArgsEn: argsEn, Link: n.Link, CreatedAt: n.At})
	}
	return notify.EnqueueAll(ctx, tx, out...)
}

// ErrStale is returned when an action loses a race: someone else acted on
// the task or application first.
var ErrStale = fmt.Errorf("application: changed by someone else: %w", db.ErrConflict)

// ErrState is returned when an action does not fit the application's or
// task's current state.
var ErrState = errors.New("application: not possible in the current state")

func (s *Store) today() calendar.Date { return calendar.DateIn(s.now(), s.loc) }

// Applicant is who applies: a person for themselves, or for an organization
// they are an agent of.
type Applicant struct {
	OrganizationID string
}

// CreateDraft starts a draft application for the published service code.
// idempotencyKey, when not empty, makes a retried request return the draft
// the first request made.
func (s *Store) CreateDraft(ctx context.Context, p *identity.Principal, code string, who Applicant, idempotencyKey string) (*Application, error) {
	if p.Anonymous() || p.IsStaff() {
		return nil, identity.ErrForbidden
	}
	if len(idempotencyKey) > 100 {
		return nil, fielderr.New("idempotency_key", "idempotency_key_too_long")
	}
	if idempotencyKey != "" {
		if a, err := s.byIdempotencyKey(ctx, p.Account.ID, idempotencyKey); err == nil {
			// The same key for another request is a client error, not a
			// retry.
			if a.ServiceCode != code || a.OrganizationID != who.OrganizationID {
				return nil, fielderr.New("idempotency_key", "idempotency_key_reused")
			}
			return a, nil
		} else if !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
	}
	svc, err := s.published(ctx, code)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fielderr.New("service_code", "service_unknown")
	}
	if err != nil {
		return nil, err
	}
	name := p.Account.Name
	var orgID sql.NullString
	if who.OrganizationID != "" {
		if !svc.HasAudience(catalog.Organization) {
			return nil, fielderr.New("organization_id", "service_not_for_organizations")
		}
		ok, err := s.identity.IsAgent(ctx, who.OrganizationID, p.Account.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fielderr.New("organization_id", "not_agent_of_organization")
		}
		orgs, err := s.identity.Organizations(ctx, p.Account.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			if o.ID == who.OrganizationID {
				name = o.Name
			}
		}
		orgID = sql.NullString{String: who.OrganizationID, Valid: true}
	} else if !svc.HasAudience(catalog.Person) {
		return nil, fielderr.New("organization_id", "service_for_organizations_only")
	}
	// What the government already holds: materials taken from licenses
	// and shared data, and the form prefilled from verified data.
	h, err := s.holderOf(ctx, p.Account.ID, who.OrganizationID)
	if err != nil {
		return nil, err
	}
	fulfilled, held, err := s.fulfil(ctx, svc, h)
	if err != nil {
		return nil, err
	}
	prefill, err := prefillForm(svc.FormSchema, h, held)
	if err != nil {
		return nil, fmt.Errorf("application: prefill %s: %w", svc.Code, err)
	}
	form, err := json.Marshal(prefill)
	if err != nil {
		return nil, err
	}
	a := &Application{
		ID: db.NewID(), ServiceCode: svc.Code, ServiceVersion: svc.Version, ServiceName: svc.Name, ServiceNameEn: svc.NameEn,
		DepartmentCode: svc.DepartmentCode, ApplicantID: p.Account.ID, OrganizationID: who.OrganizationID,
		ApplicantName: name, State: Draft, Form: json.RawMessage(form),
		StatutoryDays: svc.Guide.StatutoryDays, PromisedDays: svc.Guide.PromisedDays, Revision: 1,
		Materials: []Material{}, Tasks: []Task{}, Supplements: []SupplementRequest{}, Events: []Event{}, Fulfilments: fulfilled,
	}
	if a.Fulfilments == nil {
		a.Fulfilments = []Fulfilment{}
	}
	now := s.now()
	a.CreatedAt, a.UpdatedAt = now, now
	var key sql.NullString
	if idempotencyKey != "" {
		key = sql.NullString{String: idempotencyKey, Valid: true}
	}
	err = s.tx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO applications (id, service_code, service_version, service_name, service_name_en, department_code, applicant_id, organization_id, applicant_name, state, form, idempotency_key, statutory_days, promised_days, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $14, $5, $6, $7, $8, 'draft', $13, $9, $10, $11, $12, $12)`,
			a.ID, a.ServiceCode, a.ServiceVersion, a.ServiceName, a.DepartmentCode, a.ApplicantID, orgID, a.ApplicantName, key, a.StatutoryDays, a.PromisedDays, db.NewTime(now), string(form), a.ServiceNameEn)
		if err != nil {
			return err
		}
		if _, err := saveFulfilments(ctx, tx, a.ID, nil, a.Fulfilments, now); err != nil {
			return err
		}
		var detail any
		if len(a.Fulfilments) > 0 {
			codes := make([]string, len(a.Fulfilments))
			for i, f := range a.Fulfilments {
				codes[i] = f.RequirementCode
			}
			detail = map[string]any{"fulfilled": codes}
		}
		return s.event(ctx, tx, a.ID, p, string(applicantRole(a)), "", "created", "", string(Draft), "", "", "", detail)
	})
	if db.IsUniqueViolation(err) && idempotencyKey != "" {
		// A concurrent retry won the race; answer with its draft.
		return s.byIdempotencyKey(ctx, p.Account.ID, idempotencyKey)
	}
	if err != nil {
		return nil, fmt.Errorf("application: create draft: %w", err)
	}
	maskFulfilments(a)
	return a, nil
}

func applicantRole(a *Application) identity.Role {
	if a.OrganizationID != "" {
		return identity.OrgAgent
	}
	return identity.Citizen
}

func (s *Store) byIdempotencyKey(ctx context.Context, accountID, key string) (*Application, error) {
	var id string
	err := s.db.Read().QueryRowContext(ctx, `SELECT id FROM applications WHERE applicant_id = $1 AND idempotency_key = $2`, accountID, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.db.Read(), id)
}

// SaveDraft stores the form of a draft as typed. Drafts are not validated
// against the schema (people fill forms in several sittings); submission
// is. revision must be the draft's current revision, so two tabs cannot
// silently overwrite each other.
func (s *Store) SaveDraft(ctx context.Context, p *identity.Principal, id string, form json.RawMessage, revision int) (*Application, error) {
	raw, _, err := parseForm(form)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *db.Tx) error {
		a, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.isApplicant(ctx, p, a) {
			return db.ErrNotFound
		}
		if a.State != Draft {
			return ErrState
		}
		res, err := tx.ExecContext(ctx, `UPDATE applications SET form = $1, updated_at = $2, revision = revision + 1 WHERE id = $3 AND state = 'draft' AND revision = $4`,
			string(raw), db.NewTime(s.now()), id, revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A license issued or revoked since the draft began shows now.
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	svc, err := s.service(ctx, a.ServiceCode, a.ServiceVersion)
	if err != nil {
		return nil, err
	}
	h, err := s.holderOf(ctx, a.ApplicantID, a.OrganizationID)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := s.syncFulfilments(ctx, a, svc, h); err != nil && !errors.Is(err, ErrStale) {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// Discard deletes a draft and its uploads' records.
func (s *Store) Discard(ctx context.Context, p *identity.Principal, id string) error {
	return s.tx(ctx, func(tx *db.Tx) error {
		a, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.isApplicant(ctx, p, a) {
			return db.ErrNotFound
		}
		if a.State != Draft {
			return ErrState
		}
		// The draft's uploads go with it (kept only where another record
		// holds the same content).
		keys, err := materialKeys(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM applications WHERE id = $1 AND state = 'draft'`, id); err != nil {
			return err
		}
		return blob.Release(ctx, tx, s.now(), keys...)
	})
}

// BlobRefs are the columns of this package's tables that hold blob keys,
// for the sweeper of unreferenced content ([blob.Sweeper]).
var BlobRefs = []blob.Ref{{Table: "application_materials", Column: "blob_key"}, {Table: "task_documents", Column: "blob_key"}}

// materialKeys lists the blob keys of application id's uploads.
func materialKeys(ctx context.Context, tx *db.Tx, id string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT blob_key FROM application_materials WHERE application_id = $1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// AddMaterial stores an uploaded file against the requirement code of the
// application's service. Allowed while a draft, and while a supplement
// request that asks for this material is open.
func (s *Store) AddMaterial(ctx context.Context, p *identity.Principal, id, requirement, fileName string, r io.Reader) (*Material, error) {
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !s.isApplicant(ctx, p, a) {
		return nil, db.ErrNotFound
	}
	svc, err := s.service(ctx, a.ServiceCode, a.ServiceVersion)
	if err != nil {
		return nil, err
	}
	if !hasRequirement(svc, requirement) {
		return nil, fielderr.New("requirement", "material_unknown")
	}
	var supplementID string
	switch a.State {
	case Draft:
	case Supplement:
		req := a.OpenSupplement()
		if req == nil || !req.asks(requirement) {
			return nil, fielderr.New("requirement", "material_not_requested")
		}
		supplementID = req.ID
	default:
		return nil, ErrState
	}
	fileName = cleanFileName(fileName)
	if fileName == "" {
		return nil, fielderr.New("file", "file_required")
	}
	obj, err := s.blobs.Put(ctx, r, s.uploadLimit, blob.MaterialTypes)
	switch {
	case errors.Is(err, blob.ErrTooLarge):
		return nil, fielderr.New("file", "file_too_large", s.uploadLimit>>20)
	case errors.Is(err, blob.ErrType):
		return nil, fielderr.New("file", "file_type")
	case err != nil:
		return nil, err
	}
	m := &Material{ID: db.NewID(), RequirementCode: requirement, FileName: fileName, ContentType: obj.ContentType,
		Size: obj.Size, SHA256: obj.SHA256, SupplementID: supplementID, UploadedAt: s.now(), blobKey: obj.Key}
	err = s.tx(ctx, func(tx *db.Tx) error {
		// The state may have moved on while the file streamed in; locked,
		// it waits for a submission in flight and then sees it filed.
		if err := lockApplication(ctx, tx, id); err != nil {
			return err
		}
		var state string
		var supp sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT state, (SELECT id FROM supplement_requests WHERE application_id = $1 AND answered_at IS NULL) FROM applications WHERE id = $1`, id).Scan(&state, &supp)
		if err != nil {
			return err
		}
		if State(state) != a.State || supp.String != supplementID {
			return ErrStale
		}
		if err := blob.Claim(ctx, tx, s.blobs, m.blobKey); err != nil {
			return err
		}
		var sid sql.NullString
		if supplementID != "" {
			sid = sql.NullString{String: supplementID, Valid: true}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO application_materials (id, application_id, requirement_code, file_name, content_type, size, sha256, blob_key, supplement_id, uploaded_by, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			m.ID, id, requirement, fileName, m.ContentType, m.Size, m.SHA256, m.blobKey, sid, p.Account.ID, db.NewTime(m.UploadedAt))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE applications SET updated_at = $1 WHERE id = $2`, db.NewTime(m.UploadedAt), id)
		return err
	})
	if err != nil {
		return nil, s.uploadFailed(ctx, err, m.blobKey)
	}
	return m, nil
}

// uploadFailed releases the content of an upload whose record was not
// stored, and turns a deletion that raced the upload into a message
// asking for the file again.
func (s *Store) uploadFailed(ctx context.Context, err error, key string) error {
	if rerr := blob.ReleaseFailed(ctx, s.db, s.now(), key); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if errors.Is(err, blob.ErrGone) {
		return fielderr.New("file", "file_upload_again")
	}
	return err
}

// RemoveMaterial deletes an upload from a draft, or from the answer to an
// open supplement request before it is sent.
func (s *Store) RemoveMaterial(ctx context.Context, p *identity.Principal, id, materialID string) error {
	return s.tx(ctx, func(tx *db.Tx) error {
		// Locked first: a submission in flight is waited for, and then
		// the application is seen filed.
		if err := lockApplication(ctx, tx, id); err != nil {
			return err
		}
		a, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.isApplicant(ctx, p, a) {
			return db.ErrNotFound
		}
		var q string
		switch a.State {
		case Draft:
			q = `DELETE FROM application_materials WHERE id = $1 AND application_id = $2 RETURNING blob_key`
		case Supplement:
			q = `DELETE FROM application_materials WHERE id = $1 AND application_id = $2 AND supplement_id IN (SELECT id FROM supplement_requests WHERE application_id = $2 AND answered_at IS NULL) RETURNING blob_key`
		default:
			return ErrState
		}
		var key string
		err = tx.QueryRowContext(ctx, q, materialID, id).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		return blob.Release(ctx, tx, s.now(), key)
	})
}

// OpenMaterial returns an uploaded file's content for someone allowed to
// see the application.
func (s *Store) OpenMaterial(ctx context.Context, p *identity.Principal, id, materialID string) (*Material, io.ReadCloser, error) {
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range a.Materials {
		if m.ID == materialID {
			var key string
			if err := s.db.Read().QueryRowContext(ctx, `SELECT blob_key FROM application_materials WHERE id = $1`, materialID).Scan(&key); err != nil {
				return nil, nil, err
			}
			rc, err := s.blobs.Open(ctx, key)
			if err != nil {
				return nil, nil, err
			}
			return &m, rc, nil
		}
	}
	return nil, nil, db.ErrNotFound
}

func hasRequirement(svc *catalog.Service, code string) bool {
	for _, m := range svc.Guide.Materials {
		if m.Code == code {
			return true
		}
	}
	return false
}

func (r *SupplementRequest) asks(material string) bool {
	for _, it := range r.Items {
		if it.Material == material {
			return true
		}
	}
	return false
}

func (r *SupplementRequest) asksField(field string) bool {
	for _, it := range r.Items {
		if it.Field == field {
			return true
		}
	}
	return false
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
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	return name
}

// isApplicant reports whether p filed a (or is an agent of the
// organization that did).
func (s *Store) isApplicant(ctx context.Context, p *identity.Principal, a *Application) bool {
	if p.Anonymous() {
		return false
	}
	if a.ApplicantID == p.Account.ID {
		return true
	}
	if a.OrganizationID != "" {
		ok, err := s.identity.IsAgent(ctx, a.OrganizationID, p.Account.ID)
		return err == nil && ok
	}
	return false
}

// canSee reports whether p may read a: its applicant, staff of a department
// that holds or held one of its tasks (or owns its service), supervisors.
func (s *Store) canSee(ctx context.Context, p *identity.Principal, a *Application) bool {
	if s.isApplicant(ctx, p, a) {
		return a.State != Draft || a.ApplicantID == p.Account.ID
	}
	if a.State == Draft {
		return false
	}
	if p.Can(identity.PermSupervise) {
		return true
	}
	if p.CanIn(identity.PermStaffDesk, a.DepartmentCode) {
		return true
	}
	// A department that takes a step of it, one that opened: a step its
	// condition left out (skipped) never reached the department, which
	// has no business reading the application.
	for _, t := range a.Tasks {
		if t.Outcome != string(workflow.Skipped) && p.CanIn(identity.PermStaffDesk, t.DepartmentCode) {
			return true
		}
	}
	return false
}

// Get returns an application with its materials, tasks, supplements, log
// and letter, if p may see it; otherwise db.ErrNotFound.
func (s *Store) Get(ctx context.Context, p *identity.Principal, id string) (*Application, error) {
	a, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !s.canSee(ctx, p, a) {
		return nil, fmt.Errorf("application %s: %w", id, db.ErrNotFound)
	}
	maskFulfilments(a)
	for i := range a.Tasks {
		a.Tasks[i].StepName, a.Tasks[i].StepNameEn = s.stepName(ctx, a, a.Tasks[i].StepID)
	}
	if !p.IsStaff() {
		// Applicants see who handles their case by name, not the staff
		// accounts' internal identifiers.
		for i := range a.Tasks {
			a.Tasks[i].AssigneeID = ""
			for j := range a.Tasks[i].Signatures {
				a.Tasks[i].Signatures[j].AccountID = ""
			}
		}
	}
	return a, nil
}

// Mine lists the applications p filed or may act on as an organization's
// agent, newest first.
func (s *Store) Mine(ctx context.Context, p *identity.Principal) ([]*Application, error) {
	if p.Anonymous() {
		return nil, identity.ErrForbidden
	}
	return s.queryApps(ctx, `SELECT `+appColumns+` FROM applications
		WHERE applicant_id = $1
		   OR (state <> 'draft' AND organization_id IN (SELECT organization_id FROM organization_agents WHERE account_id = $1))
		ORDER BY created_at DESC LIMIT 200`, p.Account.ID)
}

// Drafts lists p's own drafts of service code, newest first: what the
// service's guide offers to carry on with.
func (s *Store) Drafts(ctx context.Context, p *identity.Principal, code string) ([]*Application, error) {
	if p.Anonymous() {
		return nil, identity.ErrForbidden
	}
	return s.queryApps(ctx, `SELECT `+appColumns+` FROM applications
		WHERE applicant_id = $1 AND state = 'draft' AND service_code = $2
		ORDER BY created_at DESC LIMIT 20`, p.Account.ID, code)
}

// queryApps reads the applications a query of appColumns returns.
func (s *Store) queryApps(ctx context.Context, query string, args ...any) ([]*Application, error) {
	rows, err := s.db.Read().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Application
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
