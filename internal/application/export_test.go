package application

// SetMaxMatching sets how many applications a queue search lists before
// it walks the queue instead, and returns the function that restores it.
func SetMaxMatching(n int) (restore func()) {
	old := maxMatching
	maxMatching = n
	return func() { maxMatching = old }
}
