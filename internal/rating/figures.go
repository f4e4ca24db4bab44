package rating

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// Counts are ratings by level, with their satisfaction rate.
type Counts struct {
	VerySatisfied   int `json:"very_satisfied"`
	Satisfied       int `json:"satisfied"`
	Basic           int `json:"basic"`
	Unsatisfied     int `json:"unsatisfied"`
	VeryUnsatisfied int `json:"very_unsatisfied"`
	Total           int `json:"total"`
	// SatisfactionRate is (非常满意 + 满意 + 基本满意) / all ratings, in
	// percent rounded to one decimal; nil when there are no ratings.
	SatisfactionRate *float64 `json:"satisfaction_rate"`
}

// Of returns the count of level l.
func (c Counts) Of(l Level) int {
	switch l {
	case VerySatisfied:
		return c.VerySatisfied
	case Satisfied:
		return c.Satisfied
	case Basic:
		return c.Basic
	case Unsatisfied:
		return c.Unsatisfied
	case VeryUnsatisfied:
		return c.VeryUnsatisfied
	}
	return 0
}

func (c *Counts) add(l Level, n int) {
	switch l {
	case VerySatisfied:
		c.VerySatisfied += n
	case Satisfied:
		c.Satisfied += n
	case Basic:
		c.Basic += n
	case Unsatisfied:
		c.Unsatisfied += n
	case VeryUnsatisfied:
		c.VeryUnsatisfied += n
	}
	c.Total += n
}

func (c *Counts) finish() {
	if c.Total == 0 {
		c.SatisfactionRate = nil
		return
	}
	r := rate(c.VerySatisfied+c.Satisfied+c.Basic, c.Total)
	c.SatisfactionRate = &r
}

func rate(n, of int) float64 { return math.Round(float64(n)*1000/float64(of)) / 10 }

// RectificationCounts count the rectifications bad ratings opened.
type RectificationCounts struct {
	Opened int `json:"opened"`
	// Done were answered by the department; DoneOnTime by the due date.
	Done       int `json:"done"`
	DoneOnTime int `json:"done_on_time"`
	// Overdue are open past their due date (red).
	Overdue int `json:"overdue"`
	// CalledBack have the citizen's verdict; Satisfied of them were
	// satisfied with the rectification.
	CalledBack int `json:"called_back"`
	Satisfied  int `json:"satisfied"`
}

func (r *RectificationCounts) add(o RectificationCounts) {
	r.Opened += o.Opened
	r.Done += o.Done
	r.DoneOnTime += o.DoneOnTime
	r.Overdue += o.Overdue
	r.CalledBack += o.CalledBack
	r.Satisfied += o.Satisfied
}

// TicketCounts count the hotline tickets a department answered.
type TicketCounts struct {
	// Handled are tickets answered (replied or closed, not reopened
	// since); OnTime of them were answered by their due date.
	Handled int `json:"handled"`
	OnTime  int `json:"on_time"`
	// OnTimeRate is OnTime / Handled in percent; nil when none.
	OnTimeRate *float64 `json:"on_time_rate"`
}

func (t *TicketCounts) finish() {
	t.OnTimeRate = nil
	if t.Handled > 0 {
		r := rate(t.OnTime, t.Handled)
		t.OnTimeRate = &r
	}
}

// DepartmentFigures are one department's public figures.
type DepartmentFigures struct {
	Code           string              `json:"code"`
	Name           string              `json:"name"`
	NameEn         string              `json:"name_en,omitempty"`
	Ratings        Counts              `json:"ratings"`
	Rectifications RectificationCounts `json:"rectifications"`
	Tickets        TicketCounts        `json:"tickets"`
}

// ServiceFigures are one rated service's public figures.
type ServiceFigures struct {
	Code           string              `json:"code"`
	Name           string              `json:"name"`
	DepartmentCode string              `json:"department_code"`
	Ratings        Counts              `json:"ratings"`
	Rectifications RectificationCounts `json:"rectifications"`
}

// Summary are the site-wide totals.
type Summary struct {
	Ratings        Counts              `json:"ratings"`
	Rectifications RectificationCounts `json:"rectifications"`
	Tickets        TicketCounts        `json:"tickets"`
}

// Figures are the public figures: site-wide, for every department, and
// for every service that has been rated.
type Figures struct {
	Summary     Summary             `json:"summary"`
	Departments []DepartmentFigures `json:"departments"`
	Services    []ServiceFigures    `json:"services"`
	// ComputedAt is when these figures were aggregated.
	ComputedAt time.Time `json:"computed_at"`
}

// Figures returns the public figures: ratings and rectifications from
// the running tallies, hotline tickets aggregated over a covering index;
// served from memory for FiguresTTL.
func (s *Store) Figures(ctx context.Context) (*Figures, error) {
	if s.figuresTTL > 0 {
		s.figMu.Lock()
		defer s.figMu.Unlock()
		if s.figures != nil && s.now().Sub(s.figAt) < s.figuresTTL {
			return s.figures, nil
		}
	}
	f, err := s.computeFigures(ctx)
	if err != nil {
		return nil, err
	}
	if s.figuresTTL > 0 {
		s.figures, s.figAt = f, s.now()
	}
	return f, nil
}

// onTimeSuffix turns a due date into the first instant after it, as the
// UTC text replied_at is stored in: due_date || suffix. For zones east
// of UTC (all of China) the end of a local day falls on the same UTC date;
// elsewhere the UTC day is used.
func (s *Store) onTimeSuffix() string {
	_, off := s.now().In(s.loc).Zone()
	if off <= 0 || off > 24*3600 {
		return "T24"
	}
	end := 24*3600 - off
	return fmt.Sprintf("T%02d:%02d:%02d.000000Z", end/3600, end%3600/60, end%60)
}

func (s *Store) computeFigures(ctx context.Context) (*Figures, error) {
	q := s.db.Read()
	f := &Figures{ComputedAt: s.now().UTC(), Departments: []DepartmentFigures{}, Services: []ServiceFigures{}}
	depts := map[string]*DepartmentFigures{}
	rows, err := q.QueryContext(ctx, `SELECT code, name, name_en FROM departments ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("rating: figures: %w", err)
	}
	var order []string
	for rows.Next() {
		var d DepartmentFigures
		if err := rows.Scan(&d.Code, &d.Name, &d.NameEn); err != nil {
			rows.Close()
			return nil, err
		}
		depts[d.Code] = &d
		order = append(order, d.Code)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	dept := func(code string) *DepartmentFigures {
		d := depts[code]
		if d == nil {
			d = &DepartmentFigures{Code: code, Name: code}
			depts[code] = d
			order = append(order, code)
		}
		return d
	}

	// Ratings by department, service and level, from the running
	// tallies: a few rows per department, however many ratings.
	svcs := map[string]*ServiceFigures{}
	if err := each(ctx, q, `SELECT department_code, service_code, service_name, level, n FROM rating_tallies WHERE n <> 0`, func(scan func(...any) error) error {
		var code, svc, name, level string
		var n int
		if err := scan(&code, &svc, &name, &level, &n); err != nil {
			return err
		}
		dept(code).Ratings.add(Level(level), n)
		f.Summary.Ratings.add(Level(level), n)
		if svc != "" {
			sf := svcs[svc]
			if sf == nil {
				sf = &ServiceFigures{Code: svc, Name: name, DepartmentCode: code}
				svcs[svc] = sf
			}
			sf.Ratings.add(Level(level), n)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// Rectifications by department and service, likewise.
	if err := each(ctx, q, `SELECT department_code, service_code, opened, done, done_on_time, overdue, called_back, satisfied FROM rectification_tallies`, func(scan func(...any) error) error {
		var code, svc string
		var c RectificationCounts
		if err := scan(&code, &svc, &c.Opened, &c.Done, &c.DoneOnTime, &c.Overdue, &c.CalledBack, &c.Satisfied); err != nil {
			return err
		}
		dept(code).Rectifications.add(c)
		f.Summary.Rectifications.add(c)
		if sf := svcs[svc]; sf != nil {
			sf.Rectifications.add(c)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// One pass over the covering index tickets_figures, in department
	// order: the state test is inside the sums so the planner does not
	// pick the state index and sort.
	if err := each(ctx, q, `SELECT department_code, SUM(CASE WHEN state IN ('replied', 'closed') AND replied_at IS NOT NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN state IN ('replied', 'closed') AND replied_at < due_date || $1 THEN 1 ELSE 0 END)
		FROM tickets WHERE department_code IS NOT NULL GROUP BY department_code`, func(scan func(...any) error) error {
		var code string
		var c TicketCounts
		if err := scan(&code, &c.Handled, &c.OnTime); err != nil {
			return err
		}
		d := dept(code)
		d.Tickets.Handled += c.Handled
		d.Tickets.OnTime += c.OnTime
		f.Summary.Tickets.Handled += c.Handled
		f.Summary.Tickets.OnTime += c.OnTime
		return nil
	}, s.onTimeSuffix()); err != nil {
		return nil, err
	}

	for _, code := range order {
		d := depts[code]
		d.Ratings.finish()
		d.Tickets.finish()
		f.Departments = append(f.Departments, *d)
	}
	for _, sf := range svcs {
		sf.Ratings.finish()
		f.Services = append(f.Services, *sf)
	}
	sort.Slice(f.Services, func(i, j int) bool { return f.Services[i].Code < f.Services[j].Code })
	f.Summary.Ratings.finish()
	f.Summary.Tickets.finish()
	return f, nil
}

// each runs query and calls fn with the scanner of each row.
func each(ctx context.Context, q querier, query string, fn func(scan func(...any) error) error, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("rating: figures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return fmt.Errorf("rating: figures: %w", err)
		}
	}
	return rows.Err()
}
