package rating

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/ledger"
)

// The ledger's object types. Object IDs are the rating's and the
// rectification's opaque random IDs; no rater, name or text is in the
// public log, only digests of the canonical states below.
const (
	LedgerRating        = "rating"
	LedgerRectification = "rectification"
)

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// ratingState is the canonical state of a rating as stamped: what was
// rated, the level, tags and a digest of the text, how often it was
// amended and when. The rater is left out.
func ratingState(ctx context.Context, q querier, id string) ([]byte, error) {
	var st struct {
		ObjectType  string `json:"object_type"`
		ObjectID    string `json:"object_id"`
		Department  string `json:"department"`
		ServiceCode string `json:"service_code"`
		Level       string `json:"level"`
		Tags        string `json:"tags"`
		TextSHA256  string `json:"text_sha256"`
		AmendCount  int    `json:"amend_count"`
		CreatedAt   string `json:"created_at"`
		UpdatedAt   string `json:"updated_at"`
	}
	var text string
	err := q.QueryRowContext(ctx, `SELECT object_type, object_id, department_code, service_code, level, tags, text, amend_count, created_at, updated_at
		FROM ratings WHERE id = $1`, id).Scan(&st.ObjectType, &st.ObjectID, &st.Department, &st.ServiceCode, &st.Level, &st.Tags, &text, &st.AmendCount, &st.CreatedAt, &st.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("rating: %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	st.TextSHA256 = digest(text)
	return json.Marshal(st)
}

// rectificationState is the canonical state of a rectification as
// stamped: its rating, department, state and deadline, digests of the
// answer, whether it was on time, and the callback's verdict and channel.
func rectificationState(ctx context.Context, q querier, id string) ([]byte, error) {
	var st struct {
		RatingID          string `json:"rating_id"`
		Department        string `json:"department"`
		State             string `json:"state"`
		OpenedDate        string `json:"opened_date"`
		DueDate           string `json:"due_date"`
		CauseSHA256       string `json:"cause_sha256"`
		ActionSHA256      string `json:"action_sha256"`
		AnsweredAt        string `json:"answered_at"`
		OnTime            *bool  `json:"on_time"`
		CallbackSatisfied *bool  `json:"callback_satisfied"`
		CallbackChannel   string `json:"callback_channel"`
		CallbackSHA256    string `json:"callback_sha256"`
		CallbackAt        string `json:"callback_at"`
	}
	var cause, action, comment string
	var answered, cbAt sql.NullString
	var onTime, satisfied sql.NullBool
	err := q.QueryRowContext(ctx, `SELECT rating_id, department_code, state, opened_date, due_date, cause, action, answered_at, on_time,
		callback_satisfied, callback_channel, callback_comment, callback_at FROM rectifications WHERE id = $1`, id).Scan(
		&st.RatingID, &st.Department, &st.State, &st.OpenedDate, &st.DueDate, &cause, &action, &answered, &onTime, &satisfied, &st.CallbackChannel, &comment, &cbAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("rating: rectification %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	st.CauseSHA256, st.ActionSHA256, st.CallbackSHA256 = digest(cause), digest(action), digest(comment)
	st.AnsweredAt, st.CallbackAt = answered.String, cbAt.String
	if onTime.Valid {
		st.OnTime = &onTime.Bool
	}
	if satisfied.Valid {
		st.CallbackSatisfied = &satisfied.Bool
	}
	return json.Marshal(st)
}

func (s *Store) stampRating(ctx context.Context, tx *db.Tx, id, event string, now time.Time) error {
	state, err := ratingState(ctx, tx, id)
	if err != nil {
		return err
	}
	_, err = ledger.Append(ctx, tx, ledger.Entry{At: ledger.FormatTime(now), Event: event, ObjectType: LedgerRating, ObjectID: id, Role: "applicant", State: state})
	return err
}

func (s *Store) stampRectification(ctx context.Context, tx *db.Tx, id, event, dept, role string, now time.Time) error {
	state, err := rectificationState(ctx, tx, id)
	if err != nil {
		return err
	}
	_, err = ledger.Append(ctx, tx, ledger.Entry{At: ledger.FormatTime(now), Event: event, ObjectType: LedgerRectification, ObjectID: id,
		Department: dept, Role: role, State: state})
	return err
}

// LedgerRatingState returns a rating's current canonical state, for
// `tongban verify`.
func (s *Store) LedgerRatingState(ctx context.Context, id string) ([]byte, error) {
	return ratingState(ctx, s.db.Read(), id)
}

// LedgerRectificationState returns a rectification's current canonical
// state, for `tongban verify`.
func (s *Store) LedgerRectificationState(ctx context.Context, id string) ([]byte, error) {
	return rectificationState(ctx, s.db.Read(), id)
}
