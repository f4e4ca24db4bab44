// Package i18n translates user-facing text. The platform speaks Simplified
// Chinese (zh-CN) by default and English as a second language; every key
// has both, which a test checks.
package i18n

import (
	"fmt"
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

// FromAcceptLanguage picks the first supported language of an
// Accept-Language header, or def.
func FromAcceptLanguage(h string, def Lang) Lang {
	for _, part := range strings.Split(h, ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l, ok := Parse(tag); ok {
			return l
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(tag)), "zh") {
			return ZH
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(tag)), "en") {
			return EN
		}
	}
	return def
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
