package application

import "testing"

func TestNumberSearchRange(t *testing.T) {
	for _, c := range []struct {
		text string
		like bool
	}{{"SCJG2026", true}, {"scjg20261130", true}, {"2026", true}, {"SCJG", false}, {"张三", false}, {"SCJG 2026", false}, {"50%_", false}, {"ＳＣＪＧ２０２６", false}} {
		if got := numberLike(c.text); got != c.like {
			t.Errorf("numberLike(%q) = %v, want %v", c.text, got, c.like)
		}
	}
	for _, c := range []struct {
		prefix, after string
		ok            bool
	}{{"SCJG2026", "SCJG2027", true}, {"SCJG2029", "SCJG202A", true}, {"SCJ9", "SCJA", true}, {"SCJZ", "SCK", true}, {"AZZ", "B", true}, {"ZZ", "", false}} {
		got, ok := numberAfter(c.prefix)
		if got != c.after || ok != c.ok {
			t.Errorf("numberAfter(%q) = %q, %v; want %q, %v", c.prefix, got, ok, c.after, c.ok)
		}
		// Every string of the alphabet that starts with the prefix sorts
		// below the bound, and the bound itself does not start with it.
		if ok {
			for _, tail := range []string{"", "0", "9", "Z", "ZZZZ99999"} {
				if s := c.prefix + tail; !(s >= c.prefix && s < got) {
					t.Errorf("%q is outside [%q, %q)", s, c.prefix, got)
				}
			}
		}
	}
}
