package catalog

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/segment"
)

// Search works the way citizens speak: the query is segmented into words,
// each word is expanded through the synonym table the admins edit (开饭店 →
// 餐饮 食品经营), and services are ranked by the weighted terms they share
// with the expanded query, each term weighted by its rarity (IDF). The index
// is a plain table of (service, term, weight) rows kept in the same
// transaction as publishing, so search behaves the same on SQLite and
// PostgreSQL and on every node.

// Field weights of index terms.
const (
	weightName        = 6.0
	weightNameWord    = 4.0
	weightKeyword     = 4.0
	weightNameBigram  = 1.5
	weightSummary     = 1.5
	weightResult      = 1.5
	weightDepartment  = 1.0
	weightMaterial    = 0.5
	weightConditions  = 0.3
	synonymFactor     = 0.9
	bigramQueryFactor = 0.4
)

// index rebuilds the search terms of a published service inside tx.
func (s *Store) index(ctx context.Context, tx *db.Tx, svc *Service) error {
	terms := map[string]float64{}
	add := func(t string, w float64) {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || len(t) > 120 {
			return
		}
		if w > terms[t] {
			terms[t] = w
		}
	}
	addText := func(text string, w float64) {
		for _, t := range s.seg.Terms(text) {
			add(t, w)
		}
	}
	add(svc.Name, weightName)
	addText(svc.Name, weightNameWord)
	for _, b := range segment.Bigrams(svc.Name) {
		add(b, weightNameBigram)
	}
	for _, k := range svc.Keywords {
		add(k, weightKeyword)
		addText(k, weightKeyword*0.75)
	}
	addText(svc.Summary, weightSummary)
	addText(svc.Guide.Result, weightResult)
	for _, m := range svc.Guide.Materials {
		addText(m.Name, weightMaterial)
	}
	addText(svc.Guide.Conditions, weightConditions)
	var deptName string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM departments WHERE code = $1`, svc.DepartmentCode).Scan(&deptName); err == nil {
		addText(deptName, weightDepartment)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_terms WHERE service_code = $1`, svc.Code); err != nil {
		return fmt.Errorf("catalog: index: %w", err)
	}
	keys := make([]string, 0, len(terms))
	for t := range terms {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	// Multi-row inserts keep indexing cheap on both databases.
	const batch = 200
	for i := 0; i < len(keys); i += batch {
		chunk := keys[i:min(i+batch, len(keys))]
		var b strings.Builder
		b.WriteString(`INSERT INTO search_terms (service_code, term, weight) VALUES `)
		args := make([]any, 0, len(chunk)*3)
		for j, t := range chunk {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "($%d, $%d, $%d)", len(args)+1, len(args)+2, len(args)+3)
			args = append(args, svc.Code, t, terms[t])
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("catalog: index: %w", err)
		}
	}
	return nil
}

// Hit is one search result.
type Hit struct {
	Summary
	Score float64 `json:"score"`
	// Matched lists the query terms (after synonym expansion) the service
	// matched, for highlighting and for explaining the ranking.
	Matched []string `json:"matched"`
}

// QueryPlan is the weighted set of terms a query expands to.
type QueryPlan map[string]float64

// Plan segments a query and expands it through the synonym table.
func (s *Store) Plan(ctx context.Context, query string) (QueryPlan, error) {
	query = strings.ToLower(strings.TrimSpace(query))
	plan := QueryPlan{}
	add := func(t string, w float64) {
		if t != "" && w > plan[t] {
			plan[t] = w
		}
	}
	if query == "" {
		return plan, nil
	}
	syn, err := s.synonyms(ctx)
	if err != nil {
		return nil, err
	}
	words := s.seg.QueryTerms(query)
	add(query, 1)
	for _, w := range words {
		add(w, 1)
	}
	expand := func(term string) {
		for _, e := range syn[term] {
			add(e, synonymFactor)
			for _, w := range s.seg.Terms(e) {
				add(w, synonymFactor*0.8)
			}
		}
	}
	expand(query)
	for _, w := range words {
		expand(w)
	}
	// A synonym key may span words the segmenter split differently
	// (我想开个饭店 contains 饭店 and 开饭店 is a key): look for keys in
	// the raw query too.
	for key := range syn {
		if len([]rune(key)) >= 2 && strings.Contains(query, key) {
			add(key, 1)
			expand(key)
		}
	}
	for _, b := range segment.Bigrams(query) {
		add(b, bigramQueryFactor)
	}
	return plan, nil
}

// Search returns up to limit live services for query, best first.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]Hit, error) {
	if len([]rune(query)) > 100 {
		return nil, fielderr.New("q", "query_too_long")
	}
	plan, err := s.Plan(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(plan) == 0 {
		return nil, nil
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	terms := make([]string, 0, len(plan))
	for t := range plan {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE status = 'published'`).Scan(&total); err != nil {
		return nil, fmt.Errorf("catalog: search: %w", err)
	}
	ph := make([]string, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = t
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT service_code, term, weight FROM search_terms WHERE term IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: search: %w", err)
	}
	type posting struct {
		code, term string
		w          float64
	}
	var posts []posting
	df := map[string]int{}
	for rows.Next() {
		var p posting
		if err := rows.Scan(&p.code, &p.term, &p.w); err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog: search: %w", err)
		}
		posts = append(posts, p)
		df[p.term]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	scores := map[string]float64{}
	matched := map[string][]string{}
	for _, p := range posts {
		idf := math.Log(1 + float64(total+1)/float64(df[p.term]))
		scores[p.code] += plan[p.term] * p.w * idf
		matched[p.code] = append(matched[p.code], p.term)
	}
	codes := make([]string, 0, len(scores))
	for c := range scores {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if scores[codes[i]] != scores[codes[j]] {
			return scores[codes[i]] > scores[codes[j]]
		}
		return codes[i] < codes[j]
	})
	if len(codes) > limit {
		codes = codes[:limit]
	}
	if len(codes) == 0 {
		return nil, nil
	}
	ph = ph[:0]
	args = args[:0]
	for i, c := range codes {
		ph = append(ph, fmt.Sprintf("$%d", i+1))
		args = append(args, c)
	}
	sums, err := s.summaries(ctx, `SELECT v.service_code, v.version, v.name, v.kind, v.department_code, v.audience, v.depth
		FROM services s JOIN service_versions v ON v.service_code = s.code AND v.version = s.published_version
		WHERE s.status = 'published' AND s.code IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	byCode := map[string]Summary{}
	for _, sm := range sums {
		byCode[sm.Code] = sm
	}
	hits := make([]Hit, 0, len(codes))
	for _, c := range codes {
		sm, ok := byCode[c]
		if !ok {
			continue
		}
		m := matched[c]
		sort.Strings(m)
		hits = append(hits, Hit{Summary: sm, Score: math.Round(scores[c]*100) / 100, Matched: m})
	}
	return hits, nil
}

// Synonym maps a term people use to the catalog's words for it.
type Synonym struct {
	Term       string   `json:"term"`
	Expansions []string `json:"expansions"`
}

type synonymCache struct {
	mu     sync.Mutex
	m      map[string][]string
	loaded time.Time
}

// synonymTTL bounds how long another node's synonym edit takes to reach
// this node's searches.
const synonymTTL = 10 * time.Second

func (s *Store) synonyms(ctx context.Context) (map[string][]string, error) {
	s.syn.mu.Lock()
	defer s.syn.mu.Unlock()
	if s.syn.m != nil && time.Since(s.syn.loaded) < synonymTTL {
		return s.syn.m, nil
	}
	list, err := s.Synonyms(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string][]string, len(list))
	var words []string
	for _, sy := range list {
		m[sy.Term] = sy.Expansions
		words = append(words, sy.Term)
	}
	s.seg.AddWords(words...)
	s.syn.m, s.syn.loaded = m, time.Now()
	return m, nil
}

func (s *Store) invalidateSynonyms() {
	s.syn.mu.Lock()
	s.syn.m = nil
	s.syn.mu.Unlock()
}

// Synonyms lists the synonym table by term.
func (s *Store) Synonyms(ctx context.Context) ([]Synonym, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT term, expansions FROM search_synonyms ORDER BY term`)
	if err != nil {
		return nil, fmt.Errorf("catalog: synonyms: %w", err)
	}
	defer rows.Close()
	var out []Synonym
	for rows.Next() {
		var sy Synonym
		var exp string
		if err := rows.Scan(&sy.Term, &exp); err != nil {
			return nil, err
		}
		sy.Expansions = strings.Fields(exp)
		out = append(out, sy)
	}
	return out, rows.Err()
}

func normalizeSynonym(sy *Synonym) error {
	sy.Term = strings.ToLower(strings.TrimSpace(sy.Term))
	var fe fielderr.Errors
	if n := len([]rune(sy.Term)); n < 1 || n > 20 || strings.ContainsAny(sy.Term, " \t\n") {
		fe.Add("term", "synonym_term_invalid")
	}
	var exp []string
	for _, e := range sy.Expansions {
		for _, f := range strings.Fields(strings.ToLower(e)) {
			if f != sy.Term && len([]rune(f)) <= 20 {
				exp = append(exp, f)
			}
		}
	}
	sy.Expansions = compact(exp)
	if len(sy.Expansions) == 0 || len(sy.Expansions) > 20 {
		fe.Add("expansions", "synonym_expansions_invalid")
	}
	return fe.Err()
}

// PutSynonym adds or replaces a synonym. Needs PermCatalogAdmin.
func (s *Store) PutSynonym(ctx context.Context, actor *identity.Principal, sy Synonym) (*Synonym, error) {
	if !actor.Can(identity.PermCatalogAdmin) {
		return nil, identity.ErrForbidden
	}
	if err := normalizeSynonym(&sy); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error { return s.putSynonymTx(ctx, tx, sy) })
	if err != nil {
		return nil, err
	}
	s.invalidateSynonyms()
	return &sy, nil
}

func (s *Store) putSynonymTx(ctx context.Context, tx *db.Tx, sy Synonym) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO search_synonyms (term, expansions, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (term) DO UPDATE SET expansions = excluded.expansions, updated_at = excluded.updated_at`,
		sy.Term, strings.Join(sy.Expansions, " "), db.NewTime(s.now()))
	if err != nil {
		return fmt.Errorf("catalog: put synonym: %w", err)
	}
	return nil
}

// DeleteSynonym removes a synonym. Needs PermCatalogAdmin.
func (s *Store) DeleteSynonym(ctx context.Context, actor *identity.Principal, term string) error {
	if !actor.Can(identity.PermCatalogAdmin) {
		return identity.ErrForbidden
	}
	res, err := s.db.Write().ExecContext(ctx, `DELETE FROM search_synonyms WHERE term = $1`, term)
	if err != nil {
		return fmt.Errorf("catalog: delete synonym: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("catalog: synonym %q: %w", term, db.ErrNotFound)
	}
	s.invalidateSynonyms()
	return nil
}
