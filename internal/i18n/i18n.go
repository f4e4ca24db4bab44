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
func T(l Lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
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
