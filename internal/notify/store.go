package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
)

// Store reads the in-app inbox and the state of deliveries.
type Store struct {
	db  *db.DB
	now func() time.Time
}

// NewStore returns a Store. now is the clock (time.Now in production).
func NewStore(d *db.DB, now func() time.Time) *Store { return &Store{db: d, now: now} }

const noticeColumns = `id, account_id, kind, args, args_en, link, lang, created_at, read_at`

func scanNotice(row interface{ Scan(...any) error }) (*Notice, error) {
	var n Notice
	var kind, args, lang string
	var argsEn sql.NullString
	var created, read db.Time
	if err := row.Scan(&n.ID, &n.AccountID, &kind, &args, &argsEn, &n.Link, &lang, &created, &read); err != nil {
		return nil, err
	}
	n.Kind, n.Lang, n.CreatedAt, n.ReadAt = Kind(kind), i18n.Lang(lang), created.Time, read.Time
	if err := n.decodeArgs(args, argsEn); err != nil {
		return nil, fmt.Errorf("notify: notice %s args: %w", n.ID, err)
	}
	return &n, nil
}

// List returns the newest notices of account, at most limit.
func (s *Store) List(ctx context.Context, account string, limit int) ([]*Notice, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+noticeColumns+` FROM notices WHERE account_id = $1 ORDER BY created_at DESC, id LIMIT $2`, account, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: list: %w", err)
	}
	defer rows.Close()
	var out []*Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, fmt.Errorf("notify: list: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: list: %w", err)
	}
	return out, nil
}

// Unread counts account's unread notices, from an index alone, so it is
// cheap enough for every page.
func (s *Store) Unread(ctx context.Context, account string) (int, error) {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM notices WHERE account_id = $1 AND read_at IS NULL`, account).Scan(&n); err != nil {
		return 0, fmt.Errorf("notify: unread: %w", err)
	}
	return n, nil
}

// Notice returns account's notice id. Another account's notice is
// db.ErrNotFound, as if it did not exist.
func (s *Store) Notice(ctx context.Context, account, id string) (*Notice, error) {
	n, err := scanNotice(s.db.Read().QueryRowContext(ctx, `SELECT `+noticeColumns+` FROM notices WHERE id = $1 AND account_id = $2`, id, account))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("notify: notice %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("notify: notice %s: %w", id, err)
	}
	return n, nil
}

// MarkRead marks account's notice id read (again is harmless) and returns
// it. Another account's notice is db.ErrNotFound.
func (s *Store) MarkRead(ctx context.Context, account, id string) (*Notice, error) {
	if _, err := s.db.Write().ExecContext(ctx, `UPDATE notices SET read_at = $3 WHERE id = $1 AND account_id = $2 AND read_at IS NULL`,
		id, account, db.NewTime(s.now())); err != nil {
		return nil, fmt.Errorf("notify: mark read: %w", err)
	}
	return s.Notice(ctx, account, id)
}

// Status is the state of a delivery.
type Status string

// The delivery states.
const (
	// Pending: to be sent when due (again, after a failed attempt).
	Pending Status = "pending"
	// Sent: handed to the mail server or SMS gateway.
	Sent Status = "sent"
	// Failed: given up after the last attempt, or a permanent error.
	Failed Status = "failed"
	// Skipped: not sent, because the channel is not configured or the
	// account has no address for it any more.
	Skipped Status = "skipped"
)

// Delivery is the state of one notice on one channel.
type Delivery struct {
	ID       string
	NoticeID string
	Channel  Channel
	Status   Status
	Attempts int
	// DueAt is when the next attempt may start.
	DueAt time.Time
	// LastError is the last failure, scrubbed of addresses.
	LastError string
	SentAt    time.Time
}

// Deliveries returns the deliveries of notice id, email before SMS.
func (s *Store) Deliveries(ctx context.Context, noticeID string) ([]Delivery, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, notice_id, channel, status, attempts, due_at, last_error, sent_at
		FROM notice_deliveries WHERE notice_id = $1 ORDER BY channel`, noticeID)
	if err != nil {
		return nil, fmt.Errorf("notify: deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var due, sent db.Time
		if err := rows.Scan(&d.ID, &d.NoticeID, &d.Channel, &d.Status, &d.Attempts, &due, &d.LastError, &sent); err != nil {
			return nil, fmt.Errorf("notify: deliveries: %w", err)
		}
		d.DueAt, d.SentAt = due.Time, sent.Time
		out = append(out, d)
	}
	return out, rows.Err()
}

// FailedDeliveries counts the deliveries given up on: what monitoring
// should watch. Each one is also logged when it fails.
func (s *Store) FailedDeliveries(ctx context.Context) (int, error) {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM notice_deliveries WHERE status = 'failed'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("notify: failed deliveries: %w", err)
	}
	return n, nil
}
