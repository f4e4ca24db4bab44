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

// index rebuilds the search terms of a published service inside tx and
// adds the change in document frequencies to stats.
func (s *Store) index(ctx context.Context, tx *db.Tx, svc *Service, stats dfDelta) error {
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
	// The English name too, so that readers of the English pages find a
	// service by it ("social security card").
	add(svc.NameEn, weightName)
	addText(svc.NameEn, weightNameWord)
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
	return writeTerms(ctx, tx, svc.Code, terms, stats)
}

// unindex removes a service from search inside tx (withdrawal) and adds
// the change in document frequencies to stats.
func (s *Store) unindex(ctx context.Context, tx *db.Tx, code string, stats dfDelta) error {
	return writeTerms(ctx, tx, code, nil, stats)
}

// writeTerms replaces the index terms of a service with terms and adds the
// difference in document frequencies to delta.
func writeTerms(ctx context.Context, tx *db.Tx, code string, terms map[string]float64, delta dfDelta) error {
	rows, err := tx.QueryContext(ctx, `SELECT term FROM search_terms WHERE service_code = $1`, code)
	if err != nil {
		return fmt.Errorf("catalog: index: %w", err)
	}
	had := false
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("catalog: index: %w", err)
		}
		delta[t]--
		had = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: index: %w", err)
	}
	if had {
		delta[""]-- // the service leaves the count of indexed services
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_terms WHERE service_code = $1`, code); err != nil {
			return fmt.Errorf("catalog: index: %w", err)
		}
	}
	keys := make([]string, 0, len(terms))
	for t := range terms {
		keys = append(keys, t)
		delta[t]++
	}
	if len(keys) > 0 {
		delta[""]++
	}
	sort.Strings(keys)
	// Multi-row inserts keep indexing cheap on both databases.
	if err := insertRows(ctx, tx, `INSERT INTO search_terms (service_code, term, weight) VALUES `, "", keys, func(t string) []any {
		return []any{code, t, terms[t]}
	}); err != nil {
		return fmt.Errorf("catalog: index: %w", err)
	}
	return nil
}

// dfDelta is a pending change to search_term_stats: term → change in
// document frequency, the empty term counting indexed services.
// Publishing a service applies its own; an import adds up those of all its
// services and applies them once, since updating the same row thousands of
// times in one transaction is slow on PostgreSQL.
type dfDelta map[string]int

// apply writes the delta inside tx.
func (d dfDelta) apply(ctx context.Context, tx *db.Tx) error {
	changed := make([]string, 0, len(d))
	for t, n := range d {
		if n != 0 {
			changed = append(changed, t)
		}
	}
	// Sorted, so concurrent publications lock shared terms in one order.
	sort.Strings(changed)
	if err := insertRows(ctx, tx, `INSERT INTO search_term_stats (term, df) VALUES `,
		` ON CONFLICT (term) DO UPDATE SET df = search_term_stats.df + excluded.df`, changed, func(t string) []any {
			return []any{t, d[t]}
		}); err != nil {
		return fmt.Errorf("catalog: index stats: %w", err)
	}
	return nil
}

// insertRows runs head + "(...), (...)" + tail for keys in batches, with the
// values row(key) gives for each.
func insertRows(ctx context.Context, tx *db.Tx, head, tail string, keys []string, row func(string) []any) error {
	const batch = 200
	for i := 0; i < len(keys); i += batch {
		var b strings.Builder
		b.WriteString(head)
		var args []any
		for j, k := range keys[i:min(i+batch, len(keys))] {
			if j > 0 {
				b.WriteString(", ")
			}
			vals := row(k)
			b.WriteString("(")
			for n, v := range vals {
				if n > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				fmt.Fprintf(&b, "$%d", len(args))
			}
			b.WriteString(")")
		}
		b.WriteString(tail)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
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
//
// A service's score is Σ query weight × field weight × IDF over the query
// terms it is indexed under; ties go to the smaller code. In a large
// catalog, terms most services have do not pick candidates (see candidates).
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
	n, df, err := s.termStats(ctx, plan)
	if err != nil {
		return nil, err
	}
	if len(df) == 0 {
		return nil, nil
	}
	terms := make([]string, 0, len(df))
	idf := make(map[string]float64, len(df))
	mult := make(map[string]float64, len(df))
	for t, c := range df {
		terms = append(terms, t)
		idf[t] = math.Log(1 + float64(n+1)/float64(c))
		mult[t] = plan[t] * idf[t]
	}
	sort.Strings(terms)
	codes, err := s.candidates(ctx, terms, mult, df, n, limit)
	if err != nil {
		return nil, err
	}
	if len(codes) == 0 {
		return nil, nil
	}
	postings, err := s.postings(ctx, codes, terms)
	if err != nil {
		return nil, err
	}
	// Score the candidates, adding in term order so that services with the
	// same terms get the same score.
	scores := map[string]float64{}
	matched := map[string][]string{}
	for _, c := range codes {
		for _, t := range terms {
			if w, ok := postings[c][t]; ok {
				scores[c] += plan[t] * w * idf[t]
				matched[c] = append(matched[c], t)
			}
		}
	}
	sort.Slice(codes, func(i, j int) bool {
		si, sj := rankKey(scores[codes[i]]), rankKey(scores[codes[j]])
		if si != sj {
			return si > sj
		}
		return codes[i] < codes[j]
	})
	codes = codes[:min(len(codes), limit)]
	var args []any
	sums, err := s.summaries(ctx, `SELECT v.service_code, v.version, v.name, v.kind, v.department_code, v.audience, v.depth
		FROM services s JOIN service_versions v ON v.service_code = s.code AND v.version = s.published_version
		WHERE s.status = 'published' AND s.code IN (`+placeholders(&args, codes)+`)`, args...)
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
		hits = append(hits, Hit{Summary: sm, Score: math.Round(scores[c]*100) / 100, Matched: matched[c]})
	}
	return hits, nil
}

// termStats returns the number of indexed services and the document
// frequency of each term of plan that some indexed service has.
func (s *Store) termStats(ctx context.Context, plan QueryPlan) (int, map[string]int, error) {
	args := []any{""}
	ph := []string{"$1"}
	for t := range plan {
		args = append(args, t)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT term, df FROM search_term_stats WHERE term IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return 0, nil, fmt.Errorf("catalog: search: %w", err)
	}
	defer rows.Close()
	var n int
	df := map[string]int{}
	for rows.Next() {
		var t string
		var c int
		if err := rows.Scan(&t, &c); err != nil {
			return 0, nil, fmt.Errorf("catalog: search: %w", err)
		}
		if t == "" {
			n = c
		} else if c > 0 {
			df[t] = c
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("catalog: search: %w", err)
	}
	return n, df, nil
}

// Pruning. Scoring every posting of a query's terms costs as much as the
// postings of its commonest term: 证明 or 登记 occur in thousands of
// services of a large catalog (materials, conditions), though they tell
// little apart. Like Lucene's maximum document frequency, Search picks its
// candidates with the selective terms only, and scores the best of them
// with every term, so common terms still order the candidates.
var (
	// exhaustivePostings is how many postings are cheap enough to score
	// outright: a query over a small catalog scores every posting. (A
	// variable so tests can make small catalogs prune.)
	exhaustivePostings = 2000
)

const (
	// commonShare is the share of indexed services above which a term is
	// too common to pick candidates.
	commonShare = 0.10
	// candidatePool is how many candidates, at least, get scored with every
	// term; more when more results are asked for.
	candidatePool = 50
)

// candidates returns the codes of the services to score for terms, a
// service scoring Σ mult[t] × weight over the terms it has, ties going to the
// smaller code.
//
// When the terms have at most exhaustivePostings postings, these are the
// best k services, exactly. Otherwise they are the best candidatePool (or
// 3k) services by score over the selective terms only, those in at most
// commonShare of the n indexed services (the rarest term if none is); the
// caller ranks them with every term. A service that shares only common
// terms with the query, or too little of the selective ones, can then be
// missed: that is the price of not reading thousands of postings of words
// nearly every service has.
func (s *Store) candidates(ctx context.Context, terms []string, mult map[string]float64, df map[string]int, n, k int) ([]string, error) {
	postings := 0
	for _, t := range terms {
		postings += df[t]
	}
	if postings <= exhaustivePostings {
		return s.best(ctx, terms, mult, k)
	}
	var selective []string
	rarest := terms[0]
	for _, t := range terms {
		if float64(df[t]) <= commonShare*float64(n) {
			selective = append(selective, t)
		}
		if df[t] < df[rarest] {
			rarest = t
		}
	}
	if len(selective) == 0 {
		selective = []string{rarest}
	}
	return s.best(ctx, selective, mult, max(candidatePool, 3*k))
}

// best returns the codes of the k services with the highest score over
// terms, ties going to the smaller code.
func (s *Store) best(ctx context.Context, terms []string, mult map[string]float64, k int) ([]string, error) {
	var args []any
	var score strings.Builder
	score.WriteString("CASE term")
	for _, t := range terms {
		args = append(args, t, mult[t])
		fmt.Fprintf(&score, " WHEN $%d THEN CAST($%d AS DOUBLE PRECISION)", len(args)-1, len(args))
	}
	score.WriteString(" END")
	ph := make([]string, len(terms))
	for i := range terms {
		ph[i] = fmt.Sprintf("$%d", 2*i+1)
	}
	args = append(args, k)
	// Sums are rounded to 6 decimals so that services with the same terms
	// tie exactly whatever order the database adds their postings in.
	rows, err := s.db.Read().QueryContext(ctx, `SELECT service_code FROM search_terms
		WHERE term IN (`+strings.Join(ph, ", ")+`)
		GROUP BY service_code
		ORDER BY ROUND(CAST(SUM(weight * `+score.String()+`) AS NUMERIC), 6) DESC, service_code
		LIMIT `+fmt.Sprintf("$%d", len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: search: %w", err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("catalog: search: %w", err)
		}
		codes = append(codes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: search: %w", err)
	}
	return codes, nil
}

// postings returns the weights of terms in the services codes: service →
// term → weight.
func (s *Store) postings(ctx context.Context, codes, terms []string) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	// A few dozen services per query keep both databases probing by
	// service: with longer lists SQLite's planner prefers a table scan.
	const chunk = 50
	for i := 0; i < len(codes); i += chunk {
		var args []any
		codePH := placeholders(&args, codes[i:min(i+chunk, len(codes))])
		termPH := placeholders(&args, terms)
		rows, err := s.db.Read().QueryContext(ctx, `SELECT service_code, term, weight FROM search_terms
			WHERE service_code IN (`+codePH+`) AND term IN (`+termPH+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("catalog: search: %w", err)
		}
		for rows.Next() {
			var code, term string
			var w float64
			if err := rows.Scan(&code, &term, &w); err != nil {
				rows.Close()
				return nil, fmt.Errorf("catalog: search: %w", err)
			}
			if out[code] == nil {
				out[code] = map[string]float64{}
			}
			out[code][term] = w
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("catalog: search: %w", err)
		}
	}
	return out, nil
}

// rankKey is the score services are ordered by: rounded like the database's
// so that float noise never separates equal services.
func rankKey(score float64) float64 { return math.Round(score*1e6) / 1e6 }

// placeholders appends vals to args and returns their "$n, $m, ..." list.
func placeholders(args *[]any, vals []string) string {
	ph := make([]string, len(vals))
	for i, v := range vals {
		*args = append(*args, v)
		ph[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(ph, ", ")
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

// Reindex rebuilds the search index of every published service from its
// live version, in one transaction, and returns how many it indexed. An
// upgrade that indexes more of a service (migration 00026: its English
// name) runs it once, so services published before are found by it too.
func (s *Store) Reindex(ctx context.Context) (int, error) {
	var n int
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT code, published_version FROM services WHERE status = $1 AND published_version IS NOT NULL ORDER BY code`, string(Published))
		if err != nil {
			return fmt.Errorf("catalog: reindex: %w", err)
		}
		type live struct {
			code    string
			version int
		}
		var all []live
		for rows.Next() {
			var l live
			if err := rows.Scan(&l.code, &l.version); err != nil {
				rows.Close()
				return fmt.Errorf("catalog: reindex: %w", err)
			}
			all = append(all, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("catalog: reindex: %w", err)
		}
		stats := dfDelta{}
		for _, l := range all {
			svc, err := s.versionTx(ctx, tx, l.code, l.version)
			if err != nil {
				return err
			}
			if err := s.index(ctx, tx, svc, stats); err != nil {
				return err
			}
		}
		n = len(all)
		return stats.apply(ctx, tx)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
