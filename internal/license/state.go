package license

import (
	"context"
	"fmt"
	"strings"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/notify"
)

// Action is a department's change of a license's state.
type Action string

// The actions.
const (
	Revoke    Action = "revoke"    // final
	Suspend   Action = "suspend"   // until reinstated
	Reinstate Action = "reinstate" // ends a suspension
)

// ErrState is returned when an action does not fit the license's state,
// or someone else changed it first.
var ErrState = fmt.Errorf("license: not possible in the current state: %w", db.ErrConflict)

// Change revokes, suspends or reinstates a license of a department in
// which p manages licenses, with a reason (required to revoke or
// suspend), and stamps the change in the ledger in the same transaction.
func (s *Store) Change(ctx context.Context, p *identity.Principal, id string, action Action, reason string) (*License, error) {
	reason = strings.TrimSpace(reason)
	var fe fielderr.Errors
	var from, to State
	switch action {
	case Revoke:
		to = Revoked
	case Suspend:
		from, to = Valid, Suspended
	case Reinstate:
		from, to = Suspended, Valid
	default:
		fe.Add("action", "license_choice_invalid")
	}
	switch {
	case reason == "" && action != Reinstate:
		fe.Add("reason", "required")
	case tooLong(reason, 500):
		fe.Add("reason", "text_too_long", 500)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	l, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !p.CanIn(identity.PermLicenseManage, l.Department) {
		return nil, fmt.Errorf("license %s: %w", id, db.ErrNotFound)
	}
	role := ""
	for _, g := range p.Grants {
		if g.Department == l.Department && g.Role.Grants(identity.PermLicenseManage) {
			role = string(g.Role)
			break
		}
	}
	if action == Reinstate {
		reason = ""
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		q := `UPDATE licenses SET state = $1, reason = $2, state_at = $3 WHERE id = $4 AND state = $5`
		args := []any{string(to), reason, db.NewTime(now), id, string(from)}
		if action == Revoke {
			q = `UPDATE licenses SET state = $1, reason = $2, state_at = $3 WHERE id = $4 AND state <> 'revoked'`
			args = args[:4]
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("license: %s: %w", action, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrState
		}
		event := map[Action]string{Revoke: "revoked", Suspend: "suspended", Reinstate: "reinstated"}[action]
		if _, err := ledger.Append(ctx, tx, ledger.Entry{Event: event, ObjectType: LedgerObject, ObjectID: id, Department: l.Department, Role: role,
			At: ledger.FormatTime(now), State: ledgerState(l.document, to, reason)}); err != nil {
			return err
		}
		kind := map[Action]notify.Kind{Revoke: noticeRevoked, Suspend: noticeSuspended, Reinstate: noticeReinstated}[action]
		return s.notifyHolder(ctx, tx, kind, l.HolderKey, l.TypeName, l.TypeNameEn, l.Number, id, now)
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.db.Read(), id)
}
