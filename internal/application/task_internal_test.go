package application

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
)

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

// TestLetterGroundsGuide: an approval cites the guide's laws after the
// decisions', leaving out a law the decisions cite by article; a denial
// cites only what its deciders gave, unless they gave nothing.
func TestLetterGroundsGuide(t *testing.T) {
	guide := []catalog.LegalBasis{{Name: "《市场主体登记管理条例》"}, {Name: "《促进个体工商户发展条例》"}, {Name: "《行政许可法》", Article: "第三十八条"}}
	decided := func(action, basis string) Event {
		return Event{Action: action, TaskID: "t1", Opinion: "意见", Detail: json.RawMessage(`{"legal_basis":"` + basis + `"}`)}
	}
	for _, tc := range []struct {
		name   string
		events []Event
		result Result
		want   []string
	}{
		{"approval", []Event{decided(ActApprove, "《市场主体登记管理条例》第十二条")}, Approved,
			[]string{"《市场主体登记管理条例》第十二条", "《促进个体工商户发展条例》", "《行政许可法》 第三十八条"}},
		{"denial", []Event{decided(ActDeny, "《市场主体登记管理条例》第十二条")}, Denied,
			[]string{"《市场主体登记管理条例》第十二条"}},
		{"denial without a basis", []Event{decided(ActReject, "")}, Denied,
			[]string{"《市场主体登记管理条例》", "《促进个体工商户发展条例》", "《行政许可法》 第三十八条"}},
	} {
		_, basis := letterGrounds(tc.events, tc.result, nil, guide)
		if !slices.Equal(basis, tc.want) {
			t.Errorf("%s: legal basis %q, want %q", tc.name, basis, tc.want)
		}
	}
}
