package cli

import (
	"bytes"
	"path/filepath"
	"testing"
)

// sqliteCLI gives a fresh data directory with a SQLite database in it, and
// run, which runs a tongban command on them and returns its exit code and
// everything it printed.
func sqliteCLI(t *testing.T) (dir, dsn string, run func(args ...string) (int, string)) {
	t.Helper()
	dir = t.TempDir()
	dsn = "sqlite:" + filepath.Join(dir, "t.db")
	run = func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Main(append(args, "-data", dir, "-db", dsn), func(string) string { return "" }, &out, &errb)
		return code, out.String() + errb.String()
	}
	return dir, dsn, run
}
