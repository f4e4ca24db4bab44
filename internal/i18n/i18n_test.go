package i18n

import "testing"

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
