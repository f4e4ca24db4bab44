package db_test

import (
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// IDs are 24 hexadecimal digits, never repeat, begin with the time they
// were made and so sort by it once a time unit (256 µs) lies between them.
func TestNewID(t *testing.T) {
	hex24 := regexp.MustCompile(`^[0-9a-f]{24}$`)
	seen := map[string]bool{}
	var ordered []string
	for i := range 2000 {
		id := db.NewID()
		if !hex24.MatchString(id) || seen[id] {
			t.Fatalf("ID %d = %q: want 24 new hexadecimal digits", i, id)
		}
		seen[id] = true
		if i%500 == 0 {
			ordered = append(ordered, id)
			time.Sleep(time.Millisecond)
		}
	}
	if !slices.IsSorted(ordered) {
		t.Errorf("IDs made a millisecond apart do not sort by time: %v", ordered)
	}
	before := time.Now().UnixMicro() >> 8
	id := db.NewID()
	after := time.Now().UnixMicro() >> 8
	at, err := strconv.ParseInt(id[:12], 16, 64)
	if err != nil || at < before || at > after {
		t.Errorf("ID %s begins with %d (%v), want the time it was made, %d to %d", id, at, err, before, after)
	}
}
