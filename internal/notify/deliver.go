package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/lease"
)

// Message is what a channel sends: To is an email address or a phone
// number. SMS ignores Subject.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Sender sends messages over one channel: [SMTP] and [SMSGateway].
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err to tell the Deliverer not to retry: the address was
// refused, the request was malformed, and the like.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked with [Permanent].
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// deliveries is the outbox as a shared queue.
var deliveries = lease.Queue{Table: "notice_deliveries", Key: "id", Ready: "status = 'pending'", Due: "due_at", Owner: "claimed_by", Until: "claimed_until"}

// Deliverer sends due deliveries. Run one on every node: they share the
// work through claims, and no delivery is claimed by two at once.
type Deliverer struct {
	DB *db.DB
	// Email and SMS send the channels; nil turns a channel off, and its
	// deliveries are marked skipped.
	Email, SMS Sender
	// BaseURL makes a notice's link absolute in email and SMS text.
	BaseURL string
	// Lang is the language of notices that do not name one; default
	// zh-CN.
	Lang i18n.Lang
	Log  *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Owner names this node in claims; default lease.NewOwner().
	Owner string
	// MaxAttempts is how many times a delivery is tried before it is
	// marked failed; default 8.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; it doubles
	// after each further one, up to MaxBackoff. Defaults 30s and 1h.
	Backoff, MaxBackoff time.Duration
	// Batch is how many deliveries one claim takes; default 20.
	Batch int
	// ClaimTTL is how long a claim holds; it must exceed the time a batch
	// takes to send (SendTimeout each). Default 10m.
	ClaimTTL time.Duration
	// SendTimeout bounds one send; default 30s.
	SendTimeout time.Duration
	// Poll is the wait between rounds when nothing was due; default 5s.
	Poll time.Duration
}

func (d *Deliverer) defaults() {
	if d.Lang == "" {
		d.Lang = i18n.ZH
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Owner == "" {
		d.Owner = lease.NewOwner()
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 8
	}
	if d.Backoff <= 0 {
		d.Backoff = 30 * time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = time.Hour
	}
	if d.Batch <= 0 {
		d.Batch = 20
	}
	if d.ClaimTTL <= 0 {
		d.ClaimTTL = 10 * time.Minute
	}
	if d.SendTimeout <= 0 {
		d.SendTimeout = 30 * time.Second
	}
	if d.Poll <= 0 {
		d.Poll = 5 * time.Second
	}
}

// Run delivers until ctx is cancelled: a round every Poll, or at once again
// after a full batch.
func (d *Deliverer) Run(ctx context.Context) {
	d.defaults()
	for ctx.Err() == nil {
		n, err := d.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("notify: delivery round", "err", err)
		}
		if n == d.Batch && err == nil {
			continue
		}
		t := time.NewTimer(d.Poll)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// DeliverDue claims one batch of due deliveries, sends each and records the
// outcome. It returns how many it claimed. When ctx is cancelled it
// finishes the send in hand (within SendTimeout), records it, and hands the
// rest of the batch back for another node.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	d.defaults()
	ids, err := deliveries.Claim(ctx, d.DB, d.Owner, d.Now(), d.ClaimTTL, d.Batch)
	if err != nil {
		return 0, fmt.Errorf("notify: %w", err)
	}
	// A send once started is seen through, and its outcome recorded, even
	// if shutdown begins meanwhile: cutting it off would only send it
	// twice later.
	work := context.WithoutCancel(ctx)
	var errs []error
	for i, id := range ids {
		if ctx.Err() != nil {
			errs = append(errs, d.unclaim(work, ids[i:]))
			break
		}
		if err := d.deliver(work, id); err != nil {
			errs = append(errs, err)
		}
	}
	return len(ids), errors.Join(errs...)
}

// unclaim hands claimed deliveries back, so another node need not wait for
// the claims to lapse.
func (d *Deliverer) unclaim(ctx context.Context, ids []string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, id := range ids {
		if _, err := d.DB.Write().ExecContext(ctx, `UPDATE notice_deliveries SET claimed_by = '', claimed_until = NULL
			WHERE id = $1 AND claimed_by = $2 AND status = 'pending'`, id, d.Owner); err != nil {
			return fmt.Errorf("notify: unclaim delivery %s: %w", id, err)
		}
	}
	return nil
}

// claimed is a delivery with what sending it needs.
type claimed struct {
	id       string
	channel  Channel
	attempts int
	notice   Notice
	email    string
	phone    string
	disabled bool
}

// deliver sends one claimed delivery and records the outcome. It returns
// an error only when the outcome could not be recorded.
func (d *Deliverer) deliver(ctx context.Context, id string) error {
	c, err := d.load(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil // no longer ours: finished or reclaimed elsewhere
	}
	if err != nil {
		return err
	}
	sender, to := d.Email, c.email
	if c.channel == SMS {
		sender, to = d.SMS, c.phone
	}
	switch {
	case sender == nil:
		return d.finish(ctx, c, Skipped, "channel not configured")
	case to == "":
		return d.finish(ctx, c, Skipped, "account has no address for this channel")
	case c.disabled:
		return d.finish(ctx, c, Skipped, "account disabled")
	}
	sctx, cancel := context.WithTimeout(ctx, d.SendTimeout)
	err = sender.Send(sctx, d.message(c, to))
	cancel()
	if err == nil {
		return d.finish(ctx, c, Sent, "")
	}
	msg := scrub(err.Error(), to)
	attempts := c.attempts + 1
	if IsPermanent(err) || attempts >= d.MaxAttempts {
		d.Log.Error("notify: delivery failed, giving up", "delivery", c.id, "notice", c.notice.ID, "channel", c.channel, "attempts", attempts, "err", msg)
		return d.finish(ctx, c, Failed, msg)
	}
	wait := d.backoff(attempts)
	d.Log.Warn("notify: delivery failed, will retry", "delivery", c.id, "notice", c.notice.ID, "channel", c.channel, "attempts", attempts, "retry_in", wait, "err", msg)
	if _, err := d.DB.Write().ExecContext(ctx, `UPDATE notice_deliveries
		SET attempts = $2, due_at = $3, last_error = $4, claimed_by = '', claimed_until = NULL
		WHERE id = $1 AND status = 'pending'`, c.id, attempts, db.NewTime(d.Now().Add(wait)), msg); err != nil {
		return fmt.Errorf("notify: reschedule delivery %s: %w", c.id, err)
	}
	return nil
}

// backoff is the wait after the given number of failed attempts.
func (d *Deliverer) backoff(attempts int) time.Duration {
	w := d.Backoff
	for i := 1; i < attempts && w < d.MaxBackoff; i++ {
		w *= 2
	}
	return min(w, d.MaxBackoff)
}

func (d *Deliverer) load(ctx context.Context, id string) (*claimed, error) {
	var c claimed
	var args, lang string
	var argsEn sql.NullString
	var created db.Time
	err := d.DB.Read().QueryRowContext(ctx, `SELECT dl.id, dl.channel, dl.attempts, n.id, n.account_id, n.kind, n.args, n.args_en, n.link, n.lang, n.created_at, a.email, a.phone, a.disabled
		FROM notice_deliveries dl
		JOIN notices n ON n.id = dl.notice_id
		JOIN accounts a ON a.id = n.account_id
		WHERE dl.id = $1 AND dl.claimed_by = $2 AND dl.status = 'pending'`, id, d.Owner).
		Scan(&c.id, &c.channel, &c.attempts, &c.notice.ID, &c.notice.AccountID, &c.notice.Kind, &args, &argsEn, &c.notice.Link, &lang, &created, &c.email, &c.phone, &c.disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("notify: load delivery %s: %w", id, err)
	}
	c.notice.Lang, c.notice.CreatedAt = i18n.Lang(lang), created.Time
	if err := c.notice.decodeArgs(args, argsEn); err != nil {
		return nil, fmt.Errorf("notify: delivery %s args: %w", id, err)
	}
	return &c, nil
}

// finish records a final status and drops the claim. A delivery that was
// sent is recorded as sent even if this node's claim lapsed meanwhile.
func (d *Deliverer) finish(ctx context.Context, c *claimed, st Status, lastError string) error {
	attempts := c.attempts
	var sent db.Time
	if st == Sent || st == Failed {
		attempts++
	}
	if st == Sent {
		sent = db.NewTime(d.Now())
	}
	if _, err := d.DB.Write().ExecContext(ctx, `UPDATE notice_deliveries
		SET status = $2, attempts = $3, last_error = $4, sent_at = $5, claimed_by = '', claimed_until = NULL
		WHERE id = $1 AND status = 'pending'`, c.id, string(st), attempts, lastError, sent); err != nil {
		return fmt.Errorf("notify: record delivery %s as %s: %w", c.id, st, err)
	}
	return nil
}

// message renders the notice for its channel in its language.
func (d *Deliverer) message(c *claimed, to string) Message {
	l := c.notice.Lang
	if l == "" {
		l = d.Lang
	}
	n := &c.notice
	link := ""
	if n.Link != "" {
		link = strings.TrimRight(d.BaseURL, "/") + n.Link
	}
	if c.channel == SMS {
		text := "【" + i18n.T(l, "site_short") + "】" + n.Body(l)
		if link != "" {
			text += " " + link
		}
		return Message{To: to, Text: text}
	}
	var b strings.Builder
	b.WriteString(n.Body(l))
	b.WriteString("\n\n")
	if link != "" {
		b.WriteString(link)
		b.WriteString("\n\n")
	}
	b.WriteString("-- \n")
	b.WriteString(i18n.T(l, "site_name"))
	b.WriteString("\n")
	b.WriteString(i18n.T(l, "notice_email_footer"))
	b.WriteString("\n")
	return Message{To: to, Subject: n.Subject(l), Text: b.String()}
}

var (
	emailLike = regexp.MustCompile(`[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+`)
	phoneLike = regexp.MustCompile(`\+?\d[\d\- ]{5,}\d`)
)

// scrub removes the recipient's address, and anything that looks like an
// email address or a phone number, from an error message, so a server's
// echo of the address never reaches a log or the database.
func scrub(msg, to string) string {
	if to != "" {
		msg = strings.ReplaceAll(msg, to, "[recipient]")
	}
	msg = emailLike.ReplaceAllString(msg, "[address]")
	msg = phoneLike.ReplaceAllString(msg, "[number]")
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "")
	}
	return msg
}

// Backlog counts the email and SMS deliveries waiting to be sent
// (pending: not yet due, due, or being retried) and those given up on
// (failed), for the operators' metrics.
func Backlog(ctx context.Context, q db.Querier) (pending, failed int, err error) {
	rows, err := q.QueryContext(ctx, `SELECT status, COUNT(*) FROM notice_deliveries WHERE status IN ('pending', 'failed') GROUP BY status`)
	if err != nil {
		return 0, 0, fmt.Errorf("notify: backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return 0, 0, err
		}
		if status == "pending" {
			pending = n
		} else {
			failed = n
		}
	}
	return pending, failed, rows.Err()
}
