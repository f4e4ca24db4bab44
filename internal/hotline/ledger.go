package hotline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
)

// The ledger's object types for the hotline: tickets, and each reveal of a
// protected reporter (object ID "<ticket id>-<log seq>").
const (
	LedgerObject = "ticket"
	RevealObject = "ticket_reveal"
)

// ledgerEvent returns the ledger event an action of the ticket's log is
// stamped with, or "" for actions that change nothing a decision rests on
// (urging, warnings, the note on a merge target). A callback is stamped
// by its outcome: closed or reopened.
func ledgerEvent(action string) string {
	switch action {
	case "filed", "signed", "returned", "replied", "reopened", "merged", "revealed", "deadline_recomputed":
		return action
	case "dispatched", "dispatched_override":
		return "dispatched"
	case "callback_closed":
		return "closed"
	}
	return ""
}

// ledgerRole is the acting role an entry names.
func ledgerRole(action, note string, p *identity.Principal, reporterID string) string {
	switch action {
	case "filed":
		switch Channel(note) {
		case Phone:
			return string(identity.Dispatcher)
		case Open311:
			return "open311_app"
		}
		return "reporter"
	case "dispatched", "dispatched_override", "merged":
		return string(identity.Dispatcher)
	case "signed", "returned", "replied":
		return "staff"
	case "revealed":
		return string(identity.Supervisor)
	case "deadline_recomputed":
		return "" // the platform's own, after a calendar edit
	}
	// Callbacks: the reporter, or a dispatcher for one without an account.
	if p != nil && !p.Anonymous() && reporterID != "" && p.Account.ID == reporterID {
		return "reporter"
	}
	return string(identity.Dispatcher)
}

// stamp appends the ledger entry of an action just logged in tx as event
// seq of ticket id, after the change it records.
func (s *Store) stamp(ctx context.Context, tx *db.Tx, id string, seq int, p *identity.Principal, dept, action, note string, at time.Time) error {
	event := ledgerEvent(action)
	if event == "" {
		return nil
	}
	e := ledger.Entry{At: ledger.FormatTime(at), Event: event, Department: dept}
	var reporterID string
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(reporter_id, '') FROM tickets WHERE id = $1`, id).Scan(&reporterID); err != nil {
		return fmt.Errorf("hotline: stamp: %w", err)
	}
	e.Role = ledgerRole(action, note, p, reporterID)
	var err error
	if action == "revealed" {
		e.ObjectType, e.ObjectID = RevealObject, revealID(id, seq)
		e.State, err = canonicalReveal(ctx, tx, id, seq)
	} else {
		e.ObjectType, e.ObjectID = LedgerObject, id
		e.State, err = CanonicalState(ctx, tx, id)
	}
	if err != nil {
		return err
	}
	_, err = ledger.Append(ctx, tx, e)
	return err
}

func revealID(ticketID string, seq int) string { return ticketID + "-" + strconv.Itoa(seq) }

func hashOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalTicket is a ticket's canonical state for the ledger: what its
// handling changes and nothing else (no warnings, urging counts, revisions
// or update times). Whatever could identify the reporter or the place, and
// the free text, is present only as a SHA-256, so the public digests say
// nothing in clear. Its JSON encoding, fields in this order, is the state
// the entries digest.
type canonicalTicket struct {
	ID                  string   `json:"id"`
	Number              string   `json:"number"`
	Kind                string   `json:"kind"`
	CategoryCode        string   `json:"category_code"`
	Channel             string   `json:"channel"`
	Protection          string   `json:"protection"`
	TextSHA256          string   `json:"text_sha256"`
	PlaceSHA256         string   `json:"place_sha256"`
	ReporterSHA256      string   `json:"reporter_sha256"`
	AttributesSHA256    string   `json:"attributes_sha256"`
	Attachments         []string `json:"attachments_sha256"`
	State               string   `json:"state"`
	SuggestedDepartment string   `json:"suggested_department"`
	DepartmentCode      string   `json:"department_code"`
	Days                int      `json:"days"`
	ClockDate           string   `json:"clock_date"`
	DueDate             string   `json:"due_date"`
	ReplySHA256         string   `json:"reply_sha256"`
	RepliedAt           string   `json:"replied_at"`
	Solved              *bool    `json:"solved"`
	Satisfaction        string   `json:"satisfaction"`
	ReopenCount         int      `json:"reopen_count"`
	MergedInto          string   `json:"merged_into"`
	CreatedAt           string   `json:"created_at"`
	ClosedAt            string   `json:"closed_at"`
}

// CanonicalState returns the canonical JSON state of ticket id as the
// ledger digests it. q is the database or the transaction that changed it.
func CanonicalState(ctx context.Context, q querier, id string) ([]byte, error) {
	var c canonicalTicket
	var text, address, division, reporterID, name, phone, email, attrs, media, reply string
	var lat, lon sql.NullFloat64
	var solved sql.NullBool
	err := q.QueryRowContext(ctx, `SELECT id, number, kind, category_code, channel, protection, text, address, division_code, lat, lon,
		COALESCE(reporter_id, ''), reporter_name, reporter_phone, reporter_email, attributes, media_url, state, suggested_department,
		COALESCE(department_code, ''), days, COALESCE(clock_date, ''), COALESCE(due_date, ''), reply, COALESCE(replied_at, ''), solved,
		satisfaction, reopen_count, COALESCE(merged_into, ''), created_at, COALESCE(closed_at, '')
		FROM tickets WHERE id = $1`, id).Scan(&c.ID, &c.Number, &c.Kind, &c.CategoryCode, &c.Channel, &c.Protection, &text, &address, &division, &lat, &lon,
		&reporterID, &name, &phone, &email, &attrs, &media, &c.State, &c.SuggestedDepartment,
		&c.DepartmentCode, &c.Days, &c.ClockDate, &c.DueDate, &reply, &c.RepliedAt, &solved,
		&c.Satisfaction, &c.ReopenCount, &c.MergedInto, &c.CreatedAt, &c.ClosedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("hotline: ticket %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("hotline: canonical state: %w", err)
	}
	coord := func(f sql.NullFloat64) string {
		if !f.Valid {
			return ""
		}
		return strconv.FormatFloat(f.Float64, 'g', -1, 64)
	}
	c.TextSHA256 = hashOf(text)
	c.PlaceSHA256 = hashOf(address, division, coord(lat), coord(lon))
	c.ReporterSHA256 = hashOf(reporterID, name, phone, email)
	c.AttributesSHA256 = hashOf(attrs, media)
	c.ReplySHA256 = hashOf(reply)
	if solved.Valid {
		c.Solved = &solved.Bool
	}
	c.Attachments = []string{}
	rows, err := q.QueryContext(ctx, `SELECT sha256 FROM ticket_attachments WHERE ticket_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("hotline: canonical state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sum string
		if err := rows.Scan(&sum); err != nil {
			return nil, err
		}
		c.Attachments = append(c.Attachments, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// canonicalRevealState is a reveal's canonical state: the ticket, the log
// entry, when, by whom (an opaque account ID) and a hash of the reason.
type canonicalRevealState struct {
	TicketID     string `json:"ticket_id"`
	Seq          int    `json:"seq"`
	At           string `json:"at"`
	ActorID      string `json:"actor_id"`
	ReasonSHA256 string `json:"reason_sha256"`
}

func canonicalReveal(ctx context.Context, q querier, ticketID string, seq int) ([]byte, error) {
	c := canonicalRevealState{TicketID: ticketID, Seq: seq}
	var reason string
	err := q.QueryRowContext(ctx, `SELECT at, COALESCE(actor_id, ''), note FROM ticket_events WHERE ticket_id = $1 AND seq = $2 AND action = 'revealed'`,
		ticketID, seq).Scan(&c.At, &c.ActorID, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("hotline: reveal %s: %w", revealID(ticketID, seq), db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("hotline: reveal state: %w", err)
	}
	c.ReasonSHA256 = hashOf(reason)
	return json.Marshal(c)
}

// LedgerState returns a ticket's current canonical state, for checking it
// against its latest ledger entry (tongban verify).
func (s *Store) LedgerState(ctx context.Context, id string) ([]byte, error) {
	return CanonicalState(ctx, s.db.Read(), id)
}

// RevealState returns a reveal's current canonical state from its object
// ID, for tongban verify: a reveal whose log entry was edited or deleted
// no longer matches its stamp.
func (s *Store) RevealState(ctx context.Context, objectID string) ([]byte, error) {
	i := strings.LastIndexByte(objectID, '-')
	seq, err := strconv.Atoi(objectID[i+1:])
	if i < 0 || err != nil {
		return nil, fmt.Errorf("hotline: reveal %q: %w", objectID, db.ErrNotFound)
	}
	return canonicalReveal(ctx, s.db.Read(), objectID[:i], seq)
}
