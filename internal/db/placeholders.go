package db

import (
	"fmt"
	"strings"
)

// Placeholders returns "$from, $from+1, …", n of them: an IN list or one
// row of a multi-row INSERT.
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// Rows returns the VALUES rows of a multi-row INSERT: n rows of cols
// placeholders each, numbered on from $1.
func Rows(cols, n int) string {
	var b strings.Builder
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + Placeholders(1+r*cols, cols) + ")")
	}
	return b.String()
}

// likeEscaper escapes the wildcards of LIKE and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// LikeEscape makes s match itself literally in a LIKE pattern written with
// ESCAPE '\' (the same on both databases).
func LikeEscape(s string) string { return likeEscaper.Replace(s) }
