// Package i18n translates user-facing text. The platform speaks Simplified
// Chinese (zh-CN) by default and English as a second language; every key
// has both, which a test checks.
package i18n

import (
	"fmt"
	"strconv"
	"strings"
)

// Lang is a supported language tag.
type Lang string

// The supported languages.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Parse returns the Lang for a tag, or ok=false.
func Parse(tag string) (Lang, bool) {
	switch strings.ToLower(strings.TrimSpace(tag)) {
	case "zh-cn", "zh", "zh-hans", "zh-hans-cn":
		return ZH, true
	case "en", "en-us", "en-gb":
		return EN, true
	}
	return "", false
}

// FromAcceptLanguage picks the supported language an Accept-Language
// header (RFC 9110) prefers: the one of highest quality, the earlier
// named on a tie; a range names a language by its primary subtag (zh-TW
// is Chinese, en-AU English) and "*" every language it does not name. A
// quality of 0 means "not acceptable". With no supported language
// acceptable it returns def, unless the header refuses def and not the
// other language.
func FromAcceptLanguage(h string, def Lang) Lang {
	type pref struct {
		q     float64
		pos   int
		named bool
	}
	prefs := map[Lang]*pref{ZH: {pos: -1}, EN: {pos: -1}}
	wild, wildPos := -1.0, -1
	for i, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if tag == "" {
			continue
		}
		q, ok := quality(params)
		if !ok {
			continue
		}
		if tag == "*" {
			if q > wild {
				wild, wildPos = q, i
			}
			continue
		}
		l, ok := Parse(tag)
		if !ok {
			primary, _, _ := strings.Cut(tag, "-")
			switch primary {
			case "zh":
				l = ZH
			case "en":
				l = EN
			default:
				continue
			}
		}
		// A language named twice (en-US;q=0.2, en) takes its best.
		if p := prefs[l]; !p.named || q > p.q {
			p.q, p.pos, p.named = q, i, true
		}
	}
	for _, p := range prefs {
		if !p.named && wild >= 0 {
			p.q, p.pos = wild, wildPos
		}
	}
	// def first, so that it wins a tie (as under "*").
	order := []Lang{ZH, EN}
	if def == EN {
		order = []Lang{EN, ZH}
	}
	best, bestQ, bestPos := def, 0.0, 0
	for _, l := range order {
		p := prefs[l]
		if p.q > bestQ || (p.q == bestQ && p.q > 0 && p.pos < bestPos) {
			best, bestQ, bestPos = l, p.q, p.pos
		}
	}
	if bestQ > 0 {
		return best
	}
	// Nothing supported is acceptable. When def is refused outright and
	// the other language is not, the other is the better guess.
	refused := func(l Lang) bool { p := prefs[l]; return p != nil && (p.named || wild == 0) }
	for _, l := range order {
		if l != def && refused(def) && !refused(l) {
			return l
		}
	}
	return def
}

// quality reads the weight (q) among the parameters of a language range:
// 1 when absent, ok=false when it is not a number from 0 to 1.
func quality(params string) (q float64, ok bool) {
	q = 1
	for _, p := range strings.Split(params, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return 0, false
		}
		q = f
	}
	return q, true
}

// T translates key with fmt-style args. An unknown key returns the key
// itself, so a missing translation is visible rather than blank.
//
// A message that counts something has, where English needs it, a second
// one for a count of one, under key + "_one" ("%d fields need attention"
// and "%d field needs attention"): T takes it when the first argument is
// the integer 1. Chinese says both alike.
func T(l Lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if len(args) > 0 && isOne(args[0]) {
		if one, ok := messages[key+"_one"]; ok {
			m = one
		}
	}
	s := m.zh
	if l == EN {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// isOne reports whether v is an integer equal to 1.
func isOne(v any) bool {
	switch n := v.(type) {
	case int:
		return n == 1
	case int64:
		return n == 1
	case int32:
		return n == 1
	case uint:
		return n == 1
	case uint64:
		return n == 1
	}
	return false
}

// Has reports whether key is translated.
func Has(key string) bool { _, ok := messages[key]; return ok }

// Keys returns every key (for tests).
func Keys() []string {
	out := make([]string, 0, len(messages))
	for k := range messages {
		out = append(out, k)
	}
	return out
}

type msg struct{ zh, en string }
