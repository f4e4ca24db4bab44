package i18n

import (
	"regexp"
	"strings"
	"testing"
)

func TestEveryKeyHasBothLanguages(t *testing.T) {
	for k, m := range messages {
		if m.zh == "" || m.en == "" {
			t.Errorf("message %q: zh=%q en=%q; want both", k, m.zh, m.en)
		}
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	for _, tc := range []struct {
		h    string
		want Lang
	}{
		{"", ZH},
		{"en-US,en;q=0.9", EN},
		{"zh-TW,zh;q=0.9", ZH},
		{"fr-FR, en;q=0.5", EN},
		{"fr", ZH},
	} {
		if got := FromAcceptLanguage(tc.h, ZH); got != tc.want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", tc.h, got, tc.want)
		}
	}
}

// TestFromAcceptLanguageWeighs: the quality values decide, not the order
// alone, and q=0 refuses a language. Before, the first supported
// language named won whatever its weight.
func TestFromAcceptLanguageWeighs(t *testing.T) {
	for _, tc := range []struct {
		h    string
		def  Lang
		want Lang
		why  string
	}{
		{"zh-CN;q=0.1,en;q=0.9", ZH, EN, "the higher weight wins"},
		{"en;q=0,zh;q=1", EN, ZH, "q=0 is not acceptable"},
		{"en;q=0", EN, ZH, "the default refused, the other not named"},
		{"zh;q=0", ZH, EN, "the default refused, the other not named"},
		{"en;q=0", ZH, ZH, "the default not named"},
		{"zh;q=0, en;q=0", EN, EN, "both refused: the default"},
		{"fr;q=1, en;q=0.5, zh-TW;q=0.5", ZH, EN, "a tie goes to the earlier"},
		{"fr, en-US;q=0.3, zh;q=0.2", ZH, EN, "a region's tag is its language"},
		{"en-GB;q=0.1, en;q=0.8, zh;q=0.5", ZH, EN, "a language named twice takes its best"},
		{"zh;Q=0.4, en;q=0.6", ZH, EN, "Q in any case"},
		{"zh;q=0.5, *;q=0.9", ZH, EN, "* weighs the languages not named"},
		{"*", EN, EN, "* alone: the default"},
		{"en;q=0.2, *;q=0", ZH, EN, "*;q=0 refuses the rest"},
		{"zh;q=abc, en;q=0.1", ZH, EN, "a malformed weight drops its range"},
		{"zh;q=2, en;q=0.1", ZH, EN, "a weight above 1 drops its range"},
		{"en-US,en;q=0.9,zh-CN;q=0.8", ZH, EN, "the usual browser header"},
		{"zh-CN,zh;q=0.9,en;q=0.8", EN, ZH, "the usual browser header"},
	} {
		if got := FromAcceptLanguage(tc.h, tc.def); got != tc.want {
			t.Errorf("FromAcceptLanguage(%q, %s) = %q, want %q (%s)", tc.h, tc.def, got, tc.want, tc.why)
		}
	}
}

func TestTFormatsAndFallsBack(t *testing.T) {
	if got := T(EN, "n_workdays", 5); got != "5 working days" {
		t.Errorf("T(EN, n_workdays, 5) = %q", got)
	}
	if got := T(ZH, "n_workdays", 5); got != "5 个工作日" {
		t.Errorf("T(ZH, n_workdays, 5) = %q", got)
	}
	if got := T(ZH, "no-such-key"); got != "no-such-key" {
		t.Errorf("T(unknown) = %q, want the key", got)
	}
}

func TestTCountOfOne(t *testing.T) {
	for _, tc := range []struct {
		l    Lang
		key  string
		n    any
		want string
	}{
		{EN, "fulfil_summary", 1, "1 material needs no upload: the platform took it from the license library or shared data. Upload only the rest."},
		{EN, "fulfil_summary", 2, "2 materials need no upload: the platform took them from the license library or shared data. Upload only the rest."},
		{EN, "fulfil_summary", 0, "0 materials need no upload: the platform took them from the license library or shared data. Upload only the rest."},
		{ZH, "fulfil_summary", 1, "1 项材料无需上传，平台已从电子证照库或共享数据中调取；请只上传其余材料。"},
		{EN, "form_has_errors", 1, "1 field needs attention; see the marked field."},
		{EN, "form_has_errors", 3, "3 fields need attention; see the marked fields."},
		{EN, "n_workdays", int64(1), "1 working day"},
		{EN, "n_workdays", 11, "11 working days"},
		{ZH, "n_workdays", 1, "1 个工作日"},
		{EN, "license_years", 1, "1 year"},
		{EN, "license_years", 5, "5 years"},
		{EN, "consultation_group_count", 1, "1 comment"},
		{EN, "consultation_unanswered", 1, "1 comment is still unanswered; answer it before publishing the report."},
		{EN, "exchange_pattern_count", 1, "1 time"},
		{EN, "form_field_min_length", 1, "At least 1 character."},
		{EN, "form_field_max_length", 2, "At most 2 characters."},
		{EN, "text_too_long", 1, "At most 1 character."},
		{EN, "too_many_items", 1, "At most 1 item."},
		{EN, "form_field_max_items", 1, "At most 1 entry."},
	} {
		if got := T(tc.l, tc.key, tc.n); got != tc.want {
			t.Errorf("T(%s, %s, %v) = %q, want %q", tc.l, tc.key, tc.n, got, tc.want)
		}
	}
}

// A message for a count of one stands for another and takes the same
// arguments.
func TestCountOfOneHasItsMessage(t *testing.T) {
	for k, m := range messages {
		base, ok := strings.CutSuffix(k, "_one")
		if !ok {
			continue
		}
		b, ok := messages[base]
		if !ok {
			t.Errorf("%s: no message %s", k, base)
			continue
		}
		if strings.Count(m.zh, "%") != strings.Count(b.zh, "%") || strings.Count(m.en, "%") != strings.Count(b.en, "%") {
			t.Errorf("%s takes other arguments than %s", k, base)
		}
	}
}

// A count that is not a message's first argument cannot choose the
// message for one (T looks at the first), so such a count must not stand
// before a plural noun: "Request no. 2, 1 items".
func TestLaterCountsNotBeforePlurals(t *testing.T) {
	plural := regexp.MustCompile(`^%d [a-z]+s\b`)
	for k, m := range messages {
		verbs := 0
		for i := 0; i < len(m.en); i++ {
			if m.en[i] != '%' {
				continue
			}
			if i+1 < len(m.en) && m.en[i+1] == '%' {
				i++
				continue
			}
			verbs++
			if verbs > 1 && plural.MatchString(m.en[i:]) {
				t.Errorf("%s: %q puts a later count before a plural", k, m.en)
			}
		}
	}
}
