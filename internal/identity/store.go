package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// Errors callers react to.
var (
	// ErrBadCredentials: unknown user or wrong password (not told apart).
	ErrBadCredentials = errors.New("identity: bad credentials")
	// ErrLocked: too many failed sign-ins; try again after the lock.
	ErrLocked = errors.New("identity: account temporarily locked")
	// ErrNoSession: the session token is unknown, expired or ended.
	ErrNoSession = errors.New("identity: no session")
	// ErrForbidden: the actor may not do this.
	ErrForbidden = errors.New("identity: forbidden")
)

// Throttle settings: after MaxFailures failed sign-ins within Window, the
// username is locked for Lock.
const (
	MaxFailures = 5
	Window      = 15 * time.Minute
	Lock        = 15 * time.Minute
)

// Store manages accounts, organizations and sessions.
type Store struct {
	db  *db.DB
	now func() time.Time
	// SessionIdle and SessionMax bound a session's life.
	SessionIdle, SessionMax time.Duration
	dummyHash               string
}

// dummyHash is checked against when a sign-in names no account, so that it
// takes as long as a wrong password. One per process is enough: what it
// hashes does not matter, only that checking it costs what a real check does.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("dummy-password-for-timing-1")
	return h
})

// NewStore returns a Store. now is the clock (time.Now in production).
func NewStore(d *db.DB, now func() time.Time) *Store {
	return &Store{db: d, now: now, SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour, dummyHash: dummyHash()}
}

// RegisterPerson creates a citizen account.
func (s *Store) RegisterPerson(ctx context.Context, in PersonInput) (*Account, error) {
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	a := &Account{ID: db.NewID(), Kind: KindPerson, Username: in.Username, Name: in.Name, IDNumber: in.IDNumber, Phone: in.Phone, Email: in.Email}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if err := s.uniqueAccount(ctx, tx, in.Username, in.IDNumber); err != nil {
			return err
		}
		if err := insertAccount(ctx, tx, a, hash, s.now()); err != nil {
			return err
		}
		return insertGrant(ctx, tx, a.ID, RoleGrant{Role: Citizen})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Store) uniqueAccount(ctx context.Context, tx *db.Tx, username, idNumber string) error {
	var fe fielderr.Errors
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE username = $1`, username).Scan(&n); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if n > 0 {
		fe.Add("username", "username_taken")
	}
	if idNumber != "" {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE id_number = $1`, idNumber).Scan(&n); err != nil {
			return fmt.Errorf("identity: %w", err)
		}
		if n > 0 {
			fe.Add("id_number", "id_number_taken")
		}
	}
	return fe.Err()
}

func insertAccount(ctx context.Context, tx *db.Tx, a *Account, hash string, now time.Time) error {
	var idn, dept any
	if a.IDNumber != "" {
		idn = a.IDNumber
	}
	if a.DepartmentCode != "" {
		dept = a.DepartmentCode
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, kind, username, password_hash, name, id_number, phone, email, department_code, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.ID, a.Kind, a.Username, hash, a.Name, idn, a.Phone, a.Email, dept, db.NewTime(now))
	if db.IsUniqueViolation(err) {
		return fielderr.New("username", "username_taken")
	}
	if db.IsForeignKeyViolation(err) {
		return fielderr.New("department_code", "department_unknown")
	}
	if err != nil {
		return fmt.Errorf("identity: insert account: %w", err)
	}
	return nil
}

func insertGrant(ctx context.Context, tx *db.Tx, accountID string, g RoleGrant) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account_id, role, department_code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		accountID, g.Role, g.Department)
	if err != nil {
		return fmt.Errorf("identity: grant role: %w", err)
	}
	return nil
}

// CreateStaff creates a staff account. The actor must hold
// PermStaffManage in the account's department, and may grant only
// department roles of that department unless a platform admin.
func (s *Store) CreateStaff(ctx context.Context, actor *Principal, in StaffInput) (*Account, error) {
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, err
	}
	if err := checkGrantable(actor, in.DepartmentCode, in.Roles); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	a := &Account{ID: db.NewID(), Kind: KindStaff, Username: in.Username, Name: in.Name, Phone: in.Phone, Email: in.Email, DepartmentCode: in.DepartmentCode}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if err := s.uniqueAccount(ctx, tx, in.Username, ""); err != nil {
			return err
		}
		if err := insertAccount(ctx, tx, a, hash, s.now()); err != nil {
			return err
		}
		for _, g := range in.Roles {
			if err := insertGrant(ctx, tx, a.ID, g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// checkGrantable enforces who may hand out which role: department admins
// hand out the department roles of their own department; only platform
// admins hand out supervisor and platform admin, or roles in any
// department.
func checkGrantable(actor *Principal, dept string, roles []RoleGrant) error {
	if !actor.CanIn(PermStaffManage, dept) {
		return ErrForbidden
	}
	if actor.Has(PlatformAdmin) {
		return nil
	}
	for _, g := range roles {
		if !g.Role.DepartmentScoped() || g.Department != dept {
			return ErrForbidden
		}
	}
	return nil
}

// CanGrant reports whether p may give an account of department dept
// exactly these roles (department-scoped roles with an empty Department
// count as dept's), by the rule CreateStaff and SetStaffRoles apply. Forms
// use it to offer only what the store would accept.
func (p *Principal) CanGrant(dept string, roles []RoleGrant) bool {
	roles = slices.Clone(roles)
	for i := range roles {
		if roles[i].Role.DepartmentScoped() && roles[i].Department == "" {
			roles[i].Department = dept
		}
	}
	return checkGrantable(p, dept, roles) == nil
}

// SetStaffRoles replaces a staff account's roles.
func (s *Store) SetStaffRoles(ctx context.Context, actor *Principal, accountID string, roles []RoleGrant) error {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if a.Kind != KindStaff {
		return fmt.Errorf("identity: account %s: %w", accountID, db.ErrNotFound)
	}
	roles = slices.Clone(roles) // filled in below; the caller's slice stays as it was
	for i := range roles {
		if roles[i].Role.DepartmentScoped() && roles[i].Department == "" {
			roles[i].Department = a.DepartmentCode
		}
		if !roles[i].Role.Valid() || roles[i].Role == Citizen || roles[i].Role == OrgAgent {
			return fielderr.New("roles", "role_invalid")
		}
		// A department role needs a department: staff who belong to none
		// (platform staff) can hold only the platform-wide roles.
		if roles[i].Role.DepartmentScoped() && roles[i].Department == "" {
			return fielderr.New("roles", "role_needs_department")
		}
	}
	if len(roles) == 0 {
		return fielderr.New("roles", "roles_required")
	}
	if err := checkGrantable(actor, a.DepartmentCode, roles); err != nil {
		return err
	}
	// A department admin may not change roles an account holds outside
	// the admin's reach (e.g. a supervisor role given by the platform).
	if !actor.Has(PlatformAdmin) {
		current, err := s.grants(ctx, s.db.Read(), accountID)
		if err != nil {
			return err
		}
		if checkGrantable(actor, a.DepartmentCode, current) != nil {
			return ErrForbidden
		}
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_roles WHERE account_id = $1`, accountID); err != nil {
			return fmt.Errorf("identity: set roles: %w", err)
		}
		for _, g := range roles {
			if err := insertGrant(ctx, tx, accountID, g); err != nil {
				return err
			}
		}
		// Role changes take effect at once: end the account's sessions.
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1`, accountID)
		return err
	})
}

const accountColumns = `id, kind, username, name, COALESCE(id_number, ''), phone, email, COALESCE(department_code, ''), disabled`

func scanAccount(row interface{ Scan(...any) error }) (*Account, error) {
	a := &Account{}
	err := row.Scan(&a.ID, &a.Kind, &a.Username, &a.Name, &a.IDNumber, &a.Phone, &a.Email, &a.DepartmentCode, &a.Disabled)
	return a, err
}

// Account returns an account by ID.
func (s *Store) Account(ctx context.Context, id string) (*Account, error) {
	a, err := scanAccount(s.db.Read().QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("identity: account: %w", db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: account: %w", err)
	}
	return a, nil
}

// AccountByUsername returns an account by username.
func (s *Store) AccountByUsername(ctx context.Context, username string) (*Account, error) {
	a, err := scanAccount(s.db.Read().QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE username = $1`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("identity: account: %w", db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: account: %w", err)
	}
	return a, nil
}

// Staff lists the staff accounts of a department with their roles; dept ""
// lists the platform staff, who belong to no department.
func (s *Store) Staff(ctx context.Context, dept string) ([]*Principal, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE kind = 'staff' AND COALESCE(department_code, '') = $1 ORDER BY username`, dept)
	if err != nil {
		return nil, fmt.Errorf("identity: staff: %w", err)
	}
	var accts []*Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("identity: staff: %w", err)
		}
		accts = append(accts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Principal, 0, len(accts))
	for _, a := range accts {
		g, err := s.grants(ctx, s.db.Read(), a.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, &Principal{Account: a, Grants: g})
	}
	return out, nil
}

type querier = db.Querier

func (s *Store) grants(ctx context.Context, q querier, accountID string) ([]RoleGrant, error) {
	rows, err := q.QueryContext(ctx, `SELECT role, department_code FROM account_roles WHERE account_id = $1`, accountID)
	if err != nil {
		return nil, fmt.Errorf("identity: roles: %w", err)
	}
	defer rows.Close()
	var out []RoleGrant
	for rows.Next() {
		var g RoleGrant
		if err := rows.Scan(&g.Role, &g.Department); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Role != out[j].Role {
			return roleIndex(out[i].Role) < roleIndex(out[j].Role)
		}
		return out[i].Department < out[j].Department
	})
	return out, rows.Err()
}

func roleIndex(r Role) int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return len(Roles)
}

// Principal loads the principal for an account.
func (s *Store) Principal(ctx context.Context, accountID string) (*Principal, error) {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return nil, err
	}
	g, err := s.grants(ctx, s.db.Read(), accountID)
	if err != nil {
		return nil, err
	}
	return &Principal{Account: a, Grants: g}, nil
}

// Authenticate checks a username and password, applying the throttle: after
// MaxFailures failures within Window the username is locked for Lock, even
// for the right password. Unknown users cost the same time as known ones.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*Account, error) {
	now := s.now()
	var failures int
	var first, locked db.Time
	err := s.db.Read().QueryRowContext(ctx, `SELECT failures, first_failed_at, locked_until FROM login_throttle WHERE username = $1`, username).Scan(&failures, &first, &locked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("identity: throttle: %w", err)
	}
	if !locked.IsZero() && now.Before(locked.Time) {
		return nil, ErrLocked
	}
	var hash string
	var id string
	var disabled bool
	err = s.db.Read().QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM accounts WHERE username = $1`, username).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(s.dummyHash, password)
		return nil, s.recordFailure(ctx, username, now)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: authenticate: %w", err)
	}
	if !CheckPassword(hash, password) || disabled {
		return nil, s.recordFailure(ctx, username, now)
	}
	if failures > 0 {
		if _, err := s.db.Write().ExecContext(ctx, `DELETE FROM login_throttle WHERE username = $1`, username); err != nil {
			return nil, fmt.Errorf("identity: throttle: %w", err)
		}
	}
	return s.Account(ctx, id)
}

// recordFailure counts a failed sign-in and returns the error to report.
func (s *Store) recordFailure(ctx context.Context, username string, now time.Time) error {
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var failures int
		var first db.Time
		err := tx.QueryRowContext(ctx, `SELECT failures, first_failed_at FROM login_throttle WHERE username = $1`, username).Scan(&failures, &first)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && now.Sub(first.Time) > Window) {
			failures, first = 0, db.NewTime(now)
		} else if err != nil {
			return err
		}
		failures++
		var locked db.Time
		if failures >= MaxFailures {
			locked = db.NewTime(now.Add(Lock))
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO login_throttle (username, failures, first_failed_at, locked_until) VALUES ($1, $2, $3, $4)
			ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, first_failed_at = excluded.first_failed_at, locked_until = excluded.locked_until`,
			username, failures, first, locked)
		return err
	})
	if err != nil {
		return fmt.Errorf("identity: throttle: %w", err)
	}
	return ErrBadCredentials
}

// Session is a signed-in session.
type Session struct {
	Token     string // the secret, only returned by CreateSession
	AccountID string
	CreatedAt time.Time
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateSession starts a session for an account and returns its token. Only
// the token's SHA-256 is stored, so a copy of the database cannot be used to
// take over sessions.
func (s *Store) CreateSession(ctx context.Context, accountID string) (*Session, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	_, err := s.db.Write().ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)`,
		hashToken(token), accountID, db.NewTime(now))
	if err != nil {
		return nil, fmt.Errorf("identity: create session: %w", err)
	}
	return &Session{Token: token, AccountID: accountID, CreatedAt: now}, nil
}

// ResolveSession returns the principal of a live session and extends its
// idle expiry. Expired sessions are deleted and return ErrNoSession.
func (s *Store) ResolveSession(ctx context.Context, token string) (*Principal, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrNoSession
	}
	th := hashToken(token)
	var accountID string
	var created, seen db.Time
	err := s.db.Read().QueryRowContext(ctx, `SELECT account_id, created_at, last_seen_at FROM sessions WHERE token_hash = $1`, th).Scan(&accountID, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("identity: session: %w", err)
	}
	now := s.now()
	if now.Sub(seen.Time) > s.SessionIdle || now.Sub(created.Time) > s.SessionMax {
		s.db.Write().ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, th)
		return nil, ErrNoSession
	}
	// Refresh the idle clock at most once a minute, to keep reads cheap.
	if now.Sub(seen.Time) > time.Minute {
		if _, err := s.db.Write().ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, db.NewTime(now), th); err != nil {
			return nil, fmt.Errorf("identity: session: %w", err)
		}
	}
	p, err := s.Principal(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if p.Account.Disabled {
		return nil, ErrNoSession
	}
	return p, nil
}

// EndSession deletes a session: the token no longer works anywhere.
func (s *Store) EndSession(ctx context.Context, token string) error {
	_, err := s.db.Write().ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token))
	if err != nil {
		return fmt.Errorf("identity: end session: %w", err)
	}
	return nil
}

// PurgeSessions deletes expired sessions.
func (s *Store) PurgeSessions(ctx context.Context) error {
	now := s.now()
	_, err := s.db.Write().ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2`,
		db.NewTime(now.Add(-s.SessionIdle)), db.NewTime(now.Add(-s.SessionMax)))
	return err
}

// RegisterOrganization registers an organization with actor as its first
// agent, and gives actor the org_agent role.
func (s *Store) RegisterOrganization(ctx context.Context, actor *Principal, in OrganizationInput) (*Organization, error) {
	if !actor.Can(PermOrgRegister) || actor.Account.Kind != KindPerson {
		return nil, ErrForbidden
	}
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, err
	}
	o := &Organization{ID: db.NewID(), Name: in.Name, CreditCode: in.CreditCode, LegalRepresentative: in.LegalRepresentative, Address: in.Address}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, credit_code, legal_representative, address, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			o.ID, o.Name, o.CreditCode, o.LegalRepresentative, o.Address, db.NewTime(s.now()))
		if db.IsUniqueViolation(err) {
			return fielderr.New("credit_code", "credit_code_taken")
		}
		if err != nil {
			return fmt.Errorf("identity: register organization: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO organization_agents (organization_id, account_id, is_legal_rep) VALUES ($1, $2, $3)`,
			o.ID, actor.Account.ID, actor.Account.Name == o.LegalRepresentative); err != nil {
			return fmt.Errorf("identity: register organization: %w", err)
		}
		return insertGrant(ctx, tx, actor.Account.ID, RoleGrant{Role: OrgAgent})
	})
	if err != nil {
		return nil, err
	}
	o.Agents = []string{actor.Account.Username}
	return o, nil
}

// AddAgent authorizes another person to act for an organization; only an
// existing agent may do it.
func (s *Store) AddAgent(ctx context.Context, actor *Principal, orgID, username string) error {
	if !actor.Can(PermOrgAct) {
		return ErrForbidden
	}
	ok, err := s.IsAgent(ctx, orgID, actor.Account.ID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrForbidden
	}
	a, err := s.AccountByUsername(ctx, username)
	if err != nil || a.Kind != KindPerson {
		return fielderr.New("username", "account_unknown")
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organization_agents (organization_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, orgID, a.ID); err != nil {
			return fmt.Errorf("identity: add agent: %w", err)
		}
		return insertGrant(ctx, tx, a.ID, RoleGrant{Role: OrgAgent})
	})
}

// IsAgent reports whether account acts for organization orgID.
func (s *Store) IsAgent(ctx context.Context, orgID, accountID string) (bool, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM organization_agents WHERE organization_id = $1 AND account_id = $2`, orgID, accountID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("identity: agent: %w", err)
	}
	return n > 0, nil
}

// SubjectAccounts returns the accounts that speak for a subject: the
// person with the ID number, or the agents of the organization with the
// credit code.
func (s *Store) SubjectAccounts(ctx context.Context, key string) ([]string, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id FROM accounts WHERE id_number = $1 AND NOT disabled
		UNION SELECT a.account_id FROM organization_agents a JOIN organizations o ON o.id = a.organization_id WHERE o.credit_code = $1
		ORDER BY 1`, key)
	if err != nil {
		return nil, fmt.Errorf("identity: subject accounts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Organizations lists the organizations an account acts for.
func (s *Store) Organizations(ctx context.Context, accountID string) ([]*Organization, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT o.id, o.name, o.credit_code, o.legal_representative, o.address
		FROM organizations o JOIN organization_agents a ON a.organization_id = o.id WHERE a.account_id = $1 ORDER BY o.name`, accountID)
	if err != nil {
		return nil, fmt.Errorf("identity: organizations: %w", err)
	}
	defer rows.Close()
	var out []*Organization
	for rows.Next() {
		o := &Organization{}
		if err := rows.Scan(&o.ID, &o.Name, &o.CreditCode, &o.LegalRepresentative, &o.Address); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
