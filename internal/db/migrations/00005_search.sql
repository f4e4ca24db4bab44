-- +goose Up
-- Search without reading whole posting lists: per-term document frequencies
-- kept next to the index, and covering indexes so ranking reads only index
-- pages. Portable SQL: it runs unchanged on SQLite and PostgreSQL.

-- How many indexed services contain each term (its document frequency),
-- updated in the same transaction as search_terms. The row with the empty
-- term counts the indexed services themselves (no index term is empty).
CREATE TABLE search_term_stats (
    term TEXT PRIMARY KEY,
    df   INTEGER NOT NULL
);
INSERT INTO search_term_stats (term, df)
    SELECT term, COUNT(*) FROM search_terms GROUP BY term;
INSERT INTO search_term_stats (term, df)
    SELECT '', COUNT(DISTINCT service_code) FROM search_terms;

-- Candidates come from the heaviest postings of each term (term, weight
-- range); their full scores from probes by service (service, term).
DROP INDEX search_terms_term;
CREATE INDEX search_terms_term_weight ON search_terms (term, weight, service_code);
CREATE INDEX search_terms_service_term ON search_terms (service_code, term, weight);

-- +goose Down
DROP INDEX search_terms_service_term;
DROP INDEX search_terms_term_weight;
CREATE INDEX search_terms_term ON search_terms (term);
DROP TABLE search_term_stats;
