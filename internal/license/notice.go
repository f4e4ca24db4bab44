package license

import (
	"context"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/notify"
)

// The notices a holder gets (messages notice_KIND_subject and _body; the
// arguments are the license type's name and the license number).
const (
	noticeIssued     notify.Kind = "license_issued"
	noticeRevoked    notify.Kind = "license_revoked"
	noticeSuspended  notify.Kind = "license_suspended"
	noticeReinstated notify.Kind = "license_reinstated"
)

// notifyHolder tells every account that speaks for the holder (the person,
// or the organization's agents), in tx.
// The type is named in English for English readers when it has an
// English name.
func (s *Store) notifyHolder(ctx context.Context, tx *db.Tx, kind notify.Kind, holderKey, typeName, typeNameEn, number, id string, at time.Time) error {
	if s.identity == nil {
		return nil
	}
	accounts, err := s.identity.SubjectAccounts(ctx, holderKey)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		args := []string{typeName, number}
		n := notify.Notice{AccountID: a, Kind: kind, Args: args, ArgsEn: notify.EnglishArgs(args, 0, typeNameEn), Link: "/licenses/" + id, CreatedAt: at}
		if err := notify.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("license: notice: %w", err)
		}
	}
	return nil
}
