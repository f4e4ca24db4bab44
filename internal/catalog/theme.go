package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// ThemeKind tells life events (for persons) from business themes.
type ThemeKind string

// The theme kinds.
const (
	LifeEvent     ThemeKind = "life_event" // 个人生命周期: 新生儿出生, 退休 …
	BusinessTheme ThemeKind = "business"   // 法人全生命周期: 开办餐饮店 …
)

// Theme bundles several services into one guided path (主题服务).
type Theme struct {
	Code     string      `json:"code"`
	Kind     ThemeKind   `json:"kind"`
	Name     string      `json:"name"`
	NameEn   string      `json:"name_en,omitempty"`
	Summary  string      `json:"summary,omitempty"`
	Audience Audience    `json:"audience"`
	Position int         `json:"position,omitempty"`
	Steps    []ThemeStep `json:"steps"`
}

// ThemeStep is one service on a theme's path, in order.
type ThemeStep struct {
	ServiceCode string `json:"service_code"`
	Note        string `json:"note,omitempty"`
}

var themeCodeRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

func (t *Theme) validate() error {
	t.Code = strings.TrimSpace(t.Code)
	t.Name = strings.TrimSpace(t.Name)
	var fe fielderr.Errors
	if !themeCodeRE.MatchString(t.Code) {
		fe.Add("code", "theme_code_invalid")
	}
	if t.Kind != LifeEvent && t.Kind != BusinessTheme {
		fe.Add("kind", "theme_kind_invalid")
	}
	if n := len([]rune(t.Name)); n < 2 || n > 40 {
		fe.Add("name", "required")
	}
	if t.Audience != Person && t.Audience != Organization {
		fe.Add("audience", "audience_invalid")
	}
	if len(t.Steps) == 0 || len(t.Steps) > 30 {
		fe.Add("steps", "theme_steps_required")
	}
	seen := map[string]bool{}
	for i, st := range t.Steps {
		if seen[st.ServiceCode] {
			fe.Add(fmt.Sprintf("steps[%d].service_code", i), "theme_step_duplicate")
		}
		seen[st.ServiceCode] = true
	}
	return fe.Err()
}

// PutTheme creates or replaces a theme. Needs PermCatalogAdmin.
func (s *Store) PutTheme(ctx context.Context, actor *identity.Principal, t Theme) (*Theme, error) {
	if !actor.Can(identity.PermCatalogAdmin) {
		return nil, identity.ErrForbidden
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error { return putThemeTx(ctx, tx, t) })
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func putThemeTx(ctx context.Context, tx *db.Tx, t Theme) error {
	var fe fielderr.Errors
	for i, st := range t.Steps {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE code = $1`, st.ServiceCode).Scan(&n); err != nil {
			return fmt.Errorf("catalog: theme: %w", err)
		}
		if n == 0 {
			fe.Add(fmt.Sprintf("steps[%d].service_code", i), "service_unknown")
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO themes (code, kind, name, name_en, summary, audience, position) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name = excluded.name, name_en = excluded.name_en,
			summary = excluded.summary, audience = excluded.audience, position = excluded.position`,
		t.Code, t.Kind, t.Name, t.NameEn, t.Summary, t.Audience, t.Position)
	if err != nil {
		return fmt.Errorf("catalog: theme: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM theme_steps WHERE theme_code = $1`, t.Code); err != nil {
		return fmt.Errorf("catalog: theme: %w", err)
	}
	for i, st := range t.Steps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO theme_steps (theme_code, position, service_code, note) VALUES ($1, $2, $3, $4)`,
			t.Code, i, st.ServiceCode, strings.TrimSpace(st.Note)); err != nil {
			return fmt.Errorf("catalog: theme: %w", err)
		}
	}
	return nil
}

// DeleteTheme removes a theme. Needs PermCatalogAdmin.
func (s *Store) DeleteTheme(ctx context.Context, actor *identity.Principal, code string) error {
	if !actor.Can(identity.PermCatalogAdmin) {
		return identity.ErrForbidden
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM theme_steps WHERE theme_code = $1`, code); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM themes WHERE code = $1`, code)
		if err != nil {
			return fmt.Errorf("catalog: delete theme: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("catalog: theme %q: %w", code, db.ErrNotFound)
		}
		return nil
	})
}

// Themes lists every theme with its steps, in display order.
func (s *Store) Themes(ctx context.Context) ([]Theme, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT code, kind, name, name_en, summary, audience, position FROM themes ORDER BY position, code`)
	if err != nil {
		return nil, fmt.Errorf("catalog: themes: %w", err)
	}
	var out []Theme
	for rows.Next() {
		var t Theme
		if err := rows.Scan(&t.Code, &t.Kind, &t.Name, &t.NameEn, &t.Summary, &t.Audience, &t.Position); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	steps, err := s.db.Read().QueryContext(ctx, `SELECT theme_code, service_code, note FROM theme_steps ORDER BY theme_code, position`)
	if err != nil {
		return nil, fmt.Errorf("catalog: themes: %w", err)
	}
	defer steps.Close()
	idx := map[string]int{}
	for i, t := range out {
		idx[t.Code] = i
	}
	for steps.Next() {
		var code string
		var st ThemeStep
		if err := steps.Scan(&code, &st.ServiceCode, &st.Note); err != nil {
			return nil, err
		}
		if i, ok := idx[code]; ok {
			out[i].Steps = append(out[i].Steps, st)
		}
	}
	return out, steps.Err()
}

// Theme returns one theme.
func (s *Store) Theme(ctx context.Context, code string) (*Theme, error) {
	var t Theme
	err := s.db.Read().QueryRowContext(ctx, `SELECT code, kind, name, name_en, summary, audience, position FROM themes WHERE code = $1`, code).
		Scan(&t.Code, &t.Kind, &t.Name, &t.NameEn, &t.Summary, &t.Audience, &t.Position)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("catalog: theme %q: %w", code, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: theme: %w", err)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT service_code, note FROM theme_steps WHERE theme_code = $1 ORDER BY position`, code)
	if err != nil {
		return nil, fmt.Errorf("catalog: theme: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st ThemeStep
		if err := rows.Scan(&st.ServiceCode, &st.Note); err != nil {
			return nil, err
		}
		t.Steps = append(t.Steps, st)
	}
	return &t, rows.Err()
}
