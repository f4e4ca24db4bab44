package catalog

// PruneAlways makes Search prune candidates however few postings a query
// has, so tests exercise pruning on small catalogs, until the returned
// function is called.
func PruneAlways() (restore func()) {
	old := exhaustivePostings
	exhaustivePostings = 0
	return func() { exhaustivePostings = old }
}
