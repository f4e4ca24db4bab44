// Package notify tells people what happened to their applications and
// tasks. It is a transactional outbox: [Enqueue] writes a notice in the
// caller's transaction, so a state change and its notice commit together or
// not at all, and a [Deliverer] later sends it by email and SMS.
//
// Every notice is at once an entry in the recipient's in-app inbox (the
// notices table: list, unread count, mark read) and the source of one
// delivery row per outside channel the account has an address for. A
// Deliverer on each node claims due deliveries (see [lease.Queue]), sends
// them and marks them sent; a failure is retried with exponential backoff
// and, after the last attempt, marked failed for operators to see. Delivery
// is at least once: a node that crashes after sending and before recording
// it sends again after its claim lapses, and nothing is lost.
//
// A notice carries no text of its own, only a [Kind] and arguments. Its
// subject and body are the i18n messages "notice_KIND_subject" and
// "notice_KIND_body" (the body formatted with the arguments), rendered in
// the reader's language when the inbox is shown and in the notice's
// language (default: the platform's) when it is sent. A new kind needs those
// two messages, in both languages.
//
// Email addresses and phone numbers are personal data: they are read from
// the account when a delivery is sent, never copied into the outbox, and
// never logged; errors are scrubbed of them before they are stored or
// logged.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
)

// Kind names what a notice is about.
type Kind string

// Some kinds of notice. The body arguments of each are listed after it.
// The packages that send notices name their own kinds (application
// task_yellow …, license_issued, ticket_replied …); [Kinds] lists them
// all.
const (
	// ApplicationAccepted: an application was accepted (受理).
	// Args: application number, service name.
	ApplicationAccepted Kind = "application_accepted"
	// SupplementRequested: staff ask for missing material (补正).
	// Args: application number, service name.
	SupplementRequested Kind = "supplement_requested"
	// ApplicationApproved, ApplicationDenied: the decision on an
	// application was made; its letter follows with the conclusion.
	// Args: application number, service name.
	ApplicationApproved Kind = "application_approved"
	ApplicationDenied   Kind = "application_denied"
	// Concluded: the application is finished (办结).
	// Args: application number, service name.
	Concluded Kind = "concluded"
	// TaskAssigned: a staff member has new work (待办).
	// Args: application number, service name.
	TaskAssigned Kind = "task_assigned"
	// TaskReturned: a return (退回) reopened a step; its role holders are
	// told. Args: application number, service name, the return's reason.
	TaskReturned Kind = "task_returned"
)

// Kinds returns every kind of notice the platform can send, sorted: those
// with a subject and a body in the message catalog (a notice of any other
// kind is refused by [Enqueue]).
func Kinds() []Kind {
	var out []Kind
	for _, k := range i18n.Keys() {
		name, ok := strings.CutPrefix(k, "notice_")
		if !ok {
			continue
		}
		if name, ok = strings.CutSuffix(name, "_subject"); ok && i18n.Has(bodyKey(Kind(name))) {
			out = append(out, Kind(name))
		}
	}
	slices.Sort(out)
	return out
}

// Channel is a way a notice reaches a person outside the platform. The
// in-app inbox is not a channel: every notice is in it.
type Channel string

// The outside channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Notice is one message to one account.
type Notice struct {
	ID string
	// AccountID is the recipient.
	AccountID string
	Kind      Kind
	// Args fill the body message of Kind, in order.
	Args []string
	// ArgsEn, when set, fill it for English readers instead: as many
	// arguments, some of them (a service's name) in English.
	ArgsEn []string
	// Link is a path on this platform, such as /applications/ID, that the
	// notice is about; optional. It must not carry personal data, so a
	// query string is refused.
	Link string
	// Lang is the language email and SMS text is written in; empty means
	// the Deliverer's default.
	Lang i18n.Lang
	// CreatedAt is when the notice was made; Enqueue fills it if zero.
	CreatedAt time.Time
	// ReadAt is when the recipient marked it read; zero while unread.
	ReadAt time.Time
}

// Subject returns the notice's subject in language l.
func (n *Notice) Subject(l i18n.Lang) string { return i18n.T(l, subjectKey(n.Kind)) }

// Body returns the notice's text in language l.
func (n *Notice) Body(l i18n.Lang) string {
	src := n.Args
	if l == i18n.EN && n.ArgsEn != nil {
		src = n.ArgsEn
	}
	args := make([]any, len(src))
	for i, a := range src {
		args[i] = a
	}
	return i18n.T(l, bodyKey(n.Kind), args...)
}

// EnglishArgs returns args with argument i in English, en, for a notice's
// ArgsEn (a name that has an English form: a service, a license type, a
// ticket category); nil, so that English readers read args, when en is
// empty or args has no argument i.
func EnglishArgs(args []string, i int, en string) []string {
	if en == "" || i < 0 || i >= len(args) {
		return nil
	}
	out := slices.Clone(args)
	out[i] = en
	return out
}

// decodeArgs reads a notice's stored arguments: args, and argsEn when not
// NULL.
func (n *Notice) decodeArgs(args string, argsEn sql.NullString) error {
	if err := json.Unmarshal([]byte(args), &n.Args); err != nil {
		return err
	}
	if argsEn.Valid {
		return json.Unmarshal([]byte(argsEn.String), &n.ArgsEn)
	}
	return nil
}

// Read reports whether the recipient has marked the notice read.
func (n *Notice) Read() bool { return !n.ReadAt.IsZero() }

func subjectKey(k Kind) string { return "notice_" + string(k) + "_subject" }
func bodyKey(k Kind) string    { return "notice_" + string(k) + "_body" }

// validate checks what the caller, not a user, got wrong: these are
// programming errors.
func (n *Notice) validate() error {
	if n.AccountID == "" {
		return errors.New("notify: notice has no recipient")
	}
	if !i18n.Has(subjectKey(n.Kind)) || !i18n.Has(bodyKey(n.Kind)) {
		return fmt.Errorf("notify: kind %q has no messages %s and %s", n.Kind, subjectKey(n.Kind), bodyKey(n.Kind))
	}
	if want := countVerbs(i18n.T(i18n.ZH, bodyKey(n.Kind))); len(n.Args) != want || (n.ArgsEn != nil && len(n.ArgsEn) != want) {
		return fmt.Errorf("notify: kind %q takes %d arguments, got %d (%d in English)", n.Kind, want, len(n.Args), len(n.ArgsEn))
	}
	if n.Link != "" && !validLink(n.Link) {
		return fmt.Errorf("notify: link %q is not a plain local path", n.Link)
	}
	if n.Lang != "" {
		if _, ok := i18n.Parse(string(n.Lang)); !ok {
			return fmt.Errorf("notify: unknown language %q", n.Lang)
		}
	}
	return nil
}

// validLink accepts a local path without query, fragment or spaces: "/x/y",
// not "//host", "/x?id=…" or "https://…".
func validLink(s string) bool {
	return len(s) <= 300 && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") &&
		!strings.ContainsAny(s, "?#\\ \t\r\n")
}

// countVerbs counts the formatting verbs of a message ("%%" is none).
func countVerbs(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			i++
			continue
		}
		n++
	}
	return n
}

// Enqueue writes notice n in the caller's transaction tx: the notice
// appears in the recipient's inbox, and an email and an SMS delivery are
// queued when the account has an email address and a phone number, all only
// if tx commits. A recipient that does not exist is an error wrapping
// db.ErrNotFound.
func Enqueue(ctx context.Context, tx *db.Tx, n Notice) error {
	return EnqueueAll(ctx, tx, n)
}

// EnqueueAll writes the notices ns in tx as Enqueue writes each, with one
// statement for their recipients, one for the notices and one for their
// deliveries, whatever their number: a state change that tells several
// people holds its transaction no longer for each of them.
func EnqueueAll(ctx context.Context, tx *db.Tx, ns ...Notice) error {
	// Well under either database's limit on a statement's parameters.
	const chunk = 500
	for len(ns) > chunk {
		if err := EnqueueAll(ctx, tx, ns[:chunk]...); err != nil {
			return err
		}
		ns = ns[chunk:]
	}
	if len(ns) == 0 {
		return nil
	}
	type contact struct{ email, phone string }
	contacts := map[string]*contact{}
	var ids []any
	for i := range ns {
		if err := ns[i].validate(); err != nil {
			return err
		}
		if _, ok := contacts[ns[i].AccountID]; !ok {
			contacts[ns[i].AccountID] = nil
			ids = append(ids, ns[i].AccountID)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, email, phone FROM accounts WHERE id IN (`+db.Placeholders(1, len(ids))+`)`, ids...)
	if err != nil {
		return fmt.Errorf("notify: recipients: %w", err)
	}
	for rows.Next() {
		var id string
		var c contact
		if err := rows.Scan(&id, &c.email, &c.phone); err != nil {
			rows.Close()
			return fmt.Errorf("notify: recipients: %w", err)
		}
		contacts[id] = &c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: recipients: %w", err)
	}
	var notices, deliveries []any
	for _, n := range ns {
		c := contacts[n.AccountID]
		if c == nil {
			return fmt.Errorf("notify: recipient %s: %w", n.AccountID, db.ErrNotFound)
		}
		if n.CreatedAt.IsZero() {
			n.CreatedAt = time.Now()
		}
		if n.Args == nil {
			n.Args = []string{}
		}
		args, err := json.Marshal(n.Args)
		if err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		var argsEn *string
		if n.ArgsEn != nil {
			b, err := json.Marshal(n.ArgsEn)
			if err != nil {
				return fmt.Errorf("notify: %w", err)
			}
			argsEn = new(string(b))
		}
		id := db.NewID()
		created := db.NewTime(n.CreatedAt)
		notices = append(notices, id, n.AccountID, string(n.Kind), string(args), argsEn, n.Link, string(n.Lang), created)
		for _, ch := range []struct {
			channel Channel
			address string
		}{{Email, c.email}, {SMS, c.phone}} {
			if ch.address != "" {
				deliveries = append(deliveries, db.NewID(), id, string(ch.channel), "pending", created, created)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notices (id, account_id, kind, args, args_en, link, lang, created_at) VALUES `+db.Rows(8, len(notices)/8),
		notices...); err != nil {
		return fmt.Errorf("notify: enqueue: %w", err)
	}
	if len(deliveries) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notice_deliveries (id, notice_id, channel, status, due_at, created_at) VALUES `+db.Rows(6, len(deliveries)/6),
			deliveries...); err != nil {
			return fmt.Errorf("notify: enqueue deliveries: %w", err)
		}
	}
	return nil
}
