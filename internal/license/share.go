package license

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// ShareDurations are the lifetimes a holder may give a share link.
var ShareDurations = map[string]time.Duration{
	"1h": time.Hour,
	"1d": 24 * time.Hour,
	"7d": 7 * 24 * time.Hour,
}

// Share is a time-limited verification link a holder made.
type Share struct {
	ID        string     `json:"id"`
	LicenseID string     `json:"license_id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Token is the link's secret; it is known only when the link is
	// made (only its hash is kept).
	Token string `json:"token,omitempty"`
}

// Active reports whether the link still works at t.
func (sh *Share) Active(t time.Time) bool { return sh.RevokedAt == nil && t.Before(sh.ExpiresAt) }

func tokenHash(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// CreateShare makes a verification link to a license p holds, valid for
// one of ShareDurations ("1h", "1d", "7d").
func (s *Store) CreateShare(ctx context.Context, p *identity.Principal, licenseID, duration string) (*Share, error) {
	d, ok := ShareDurations[duration]
	if !ok {
		return nil, fielderr.New("expires_in", "license_choice_invalid")
	}
	l, err := s.holderLicense(ctx, p, licenseID)
	if err != nil {
		return nil, err
	}
	var b [24]byte
	rand.Read(b[:])
	now := s.now()
	sh := &Share{ID: db.NewID(), LicenseID: l.ID, CreatedAt: now, ExpiresAt: now.Add(d), Token: encodeURL(b[:])}
	_, err = s.db.Write().ExecContext(ctx, `INSERT INTO license_shares (id, license_id, token_hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, sh.ID, sh.LicenseID, tokenHash(sh.Token), p.Account.ID, db.NewTime(now), db.NewTime(sh.ExpiresAt))
	if err != nil {
		return nil, fmt.Errorf("license: share: %w", err)
	}
	return sh, nil
}

// holderLicense returns a license p holds (not one p only manages).
func (s *Store) holderLicense(ctx context.Context, p *identity.Principal, id string) (*License, error) {
	subs, err := s.subjects(ctx, p)
	if err != nil {
		return nil, err
	}
	l, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	for _, k := range subs {
		if k == l.HolderKey {
			return l, nil
		}
	}
	return nil, fmt.Errorf("license %s: %w", id, db.ErrNotFound)
}

// Shares lists the links made to a license p holds, newest first.
func (s *Store) Shares(ctx context.Context, p *identity.Principal, licenseID string) ([]*Share, error) {
	l, err := s.holderLicense(ctx, p, licenseID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, license_id, created_at, expires_at, revoked_at FROM license_shares
		WHERE license_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100`, l.ID)
	if err != nil {
		return nil, fmt.Errorf("license: shares: %w", err)
	}
	defer rows.Close()
	out := []*Share{}
	for rows.Next() {
		sh, err := scanShare(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

func scanShare(row interface{ Scan(...any) error }) (*Share, error) {
	var sh Share
	var created, expires, revoked db.Time
	if err := row.Scan(&sh.ID, &sh.LicenseID, &created, &expires, &revoked); err != nil {
		return nil, err
	}
	sh.CreatedAt, sh.ExpiresAt = created.Time, expires.Time
	if !revoked.IsZero() {
		t := revoked.Time
		sh.RevokedAt = &t
	}
	return &sh, nil
}

// RevokeShare ends a link before its time.
func (s *Store) RevokeShare(ctx context.Context, p *identity.Principal, licenseID, shareID string) (*Share, error) {
	l, err := s.holderLicense(ctx, p, licenseID)
	if err != nil {
		return nil, err
	}
	res, err := s.db.Write().ExecContext(ctx, `UPDATE license_shares SET revoked_at = $1 WHERE id = $2 AND license_id = $3 AND revoked_at IS NULL`,
		db.NewTime(s.now()), shareID, l.ID)
	if err != nil {
		return nil, fmt.Errorf("license: revoke share: %w", err)
	}
	sh, err := scanShare(s.db.Read().QueryRowContext(ctx, `SELECT id, license_id, created_at, expires_at, revoked_at FROM license_shares
		WHERE id = $1 AND license_id = $2`, shareID, l.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("license share %s: %w", shareID, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sh, ErrState
	}
	return sh, nil
}
