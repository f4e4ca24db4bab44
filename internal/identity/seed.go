package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/tongban/tongban/internal/db"
)

// Seed creates or updates an account with the given roles, without an actor:
// it is for bootstrapping (the first platform admin) and the demo loader, and
// is idempotent by username. The password is set only when the account is
// created, so a changed password survives a restart with --demo.
func (s *Store) Seed(ctx context.Context, a Account, password string, roles []RoleGrant) (*Account, error) {
	return s.SeedShared(ctx, a, &SharedPassword{Password: password}, roles)
}

// A SharedPassword is one password given to many seeded accounts, as the
// demo gives its published password to every demo account. It is hashed
// once, when the first account that needs it is created, and those accounts
// share the hash: an argon2id hash costs tens of milliseconds by design, and
// hashing the same public password anew for each of some forty accounts
// made every demo start (and every test that loads the demo) wait more
// than a second. Only for passwords that are not secret from one another's
// holders: accounts sharing a hash visibly share a password.
type SharedPassword struct {
	Password string

	once sync.Once
	hash string
	err  error
}

func (p *SharedPassword) hashed() (string, error) {
	p.once.Do(func() { p.hash, p.err = HashPassword(p.Password) })
	return p.hash, p.err
}

// SeedShared is Seed with a password shared by the accounts seeded with it.
func (s *Store) SeedShared(ctx context.Context, a Account, pw *SharedPassword, roles []RoleGrant) (*Account, error) {
	password := pw.Password
	if a.Kind == KindPerson {
		in := PersonInput{Username: a.Username, Password: password, Name: a.Name, IDNumber: a.IDNumber, Phone: a.Phone, Email: a.Email}
		in.normalize()
		if err := in.validate(); err != nil {
			return nil, fmt.Errorf("identity: seed %s: %w", a.Username, err)
		}
	} else if checkPasswordPolicy(password) != nil {
		return nil, fmt.Errorf("identity: seed %s: weak password", a.Username)
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE username = $1`, a.Username).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			hash, err := pw.hashed()
			if err != nil {
				return err
			}
			a.ID = db.NewID()
			if err := insertAccount(ctx, tx, &a, hash, s.now()); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			a.ID = id
		}
		for _, g := range roles {
			if g.Role.DepartmentScoped() && g.Department == "" {
				g.Department = a.DepartmentCode
			}
			if err := insertGrant(ctx, tx, a.ID, g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("identity: seed %s: %w", a.Username, err)
	}
	return s.Account(ctx, a.ID)
}

// SeedOrganization creates an organization (idempotent by credit code) and
// makes the accounts its agents.
func (s *Store) SeedOrganization(ctx context.Context, in OrganizationInput, agentIDs ...string) (*Organization, error) {
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("identity: seed organization: %w", err)
	}
	o := &Organization{Name: in.Name, CreditCode: in.CreditCode, LegalRepresentative: in.LegalRepresentative, Address: in.Address}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE credit_code = $1`, in.CreditCode).Scan(&o.ID)
		if errors.Is(err, sql.ErrNoRows) {
			o.ID = db.NewID()
			_, err = tx.ExecContext(ctx, `INSERT INTO organizations (id, name, credit_code, legal_representative, address, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				o.ID, o.Name, o.CreditCode, o.LegalRepresentative, o.Address, db.NewTime(s.now()))
		}
		if err != nil {
			return err
		}
		for _, id := range agentIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO organization_agents (organization_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, o.ID, id); err != nil {
				return err
			}
			if err := insertGrant(ctx, tx, id, RoleGrant{Role: OrgAgent}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("identity: seed organization: %w", err)
	}
	return o, nil
}
