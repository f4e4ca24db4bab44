package workflow

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"unicode"
)

// Label is what a diagram box says about one step, in the reader's
// language: the step's name, its department, the role and the time limit,
// and notes such as the condition of a conditional step ("经营面积 > 500
// 时") or a countersign.
type Label struct {
	Name       string
	Department string
	Role       string
	Days       string
	Notes      []string
}

// DiagramOptions are the words of a diagram. The package draws; the
// caller translates.
type DiagramOptions struct {
	// ID prefixes the element ids, so several diagrams can share a page.
	ID string
	// Title and Desc are the accessible name and description.
	Title, Desc string
	// Label says what each step's box shows.
	Label func(Step) Label
}

// Diagram geometry, in SVG user units (pixels at scale 1).
const (
	boxW     = 200
	gapX     = 20
	gapY     = 36
	pad      = 12
	padIn    = 10
	nameSize = 15
	textSize = 13
	lineGap  = 5
)

// box is a laid-out step.
type box struct {
	step          Step
	x, y, w, h    int
	name, dept    []string
	meta          string
	notes         []string
	conditional   bool
	fill, stroke  string
	nameH, bodyH  int
	layer, column int
}

// SVG draws the definition as an SVG image without scripts or styles:
// the steps in rows by longest path from the accept step, parallel steps
// side by side, arrows from each step to the ones after it. Conditional
// steps have a dashed border and their condition as a note. The image has
// a viewBox, so it scales to the width of a phone; its title and desc
// make it accessible, and a text version should accompany it.
func (d *Definition) SVG(opt DiagramOptions) []byte {
	if opt.ID == "" {
		opt.ID = "process"
	}
	label := opt.Label
	if label == nil {
		label = func(s Step) Label {
			return Label{Name: s.Name, Department: s.DepartmentCode, Role: string(s.Role), Days: fmt.Sprint(s.Days)}
		}
	}
	layers := d.Layers()
	boxes := map[string]*box{}
	width := 0
	for li, layer := range layers {
		rowW := len(layer)*boxW + (len(layer)-1)*gapX
		width = max(width, rowW)
		for ci, s := range layer {
			l := label(s)
			b := &box{step: s, w: boxW, layer: li, column: ci, conditional: s.When != nil}
			inner := float64(boxW - 2*padIn)
			// Names are bold: about a tenth wider.
			b.name = wrap(l.Name, inner/nameSize/1.1, 2)
			b.dept = wrap(l.Department, inner/textSize, 2)
			b.meta = strings.Join(nonEmpty(l.Role, l.Days), " · ")
			for _, n := range l.Notes {
				b.notes = append(b.notes, wrap(n, inner/textSize, 2)...)
			}
			b.nameH = len(b.name) * (nameSize + lineGap)
			b.bodyH = (len(b.dept) + 1 + len(b.notes)) * (textSize + lineGap)
			b.h = padIn + b.nameH + b.bodyH + padIn - lineGap
			switch s.Kind {
			case Accept, Conclude:
				b.fill, b.stroke = "#e8f0fe", "#1a56db"
			case Decide:
				b.fill, b.stroke = "#fff4d6", "#a15c00"
			default:
				b.fill, b.stroke = "#ffffff", "#4a5568"
			}
			boxes[s.ID] = b
		}
	}
	width += 2 * pad
	y := pad
	for _, layer := range layers {
		rowH := 0
		for _, s := range layer {
			rowH = max(rowH, boxes[s.ID].h)
		}
		rowW := len(layer)*boxW + (len(layer)-1)*gapX
		x := (width - rowW) / 2
		for _, s := range layer {
			b := boxes[s.ID]
			b.x, b.y, b.h = x, y, rowH
			x += boxW + gapX
		}
		y += rowH + gapY
	}
	height := y - gapY + pad
	if len(layers) == 0 {
		height = 2 * pad
		width = max(width, 2*pad)
	}

	var buf bytes.Buffer
	esc := html.EscapeString
	id := esc(opt.ID)
	// The class says how many steps share the widest row, so a page can
	// keep wide diagrams legible on a phone (scrolling instead of
	// shrinking them).
	cols := 0
	for _, l := range layers {
		cols = max(cols, len(l))
	}
	fmt.Fprintf(&buf, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title %s-desc" class="process-diagram cols-%d" font-family="system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif">`,
		width, height, width, height, id, id, min(cols, 5))
	fmt.Fprintf(&buf, "\n<title id=\"%s-title\">%s</title>\n<desc id=\"%s-desc\">%s</desc>\n", id, esc(opt.Title), id, esc(opt.Desc))
	fmt.Fprintf(&buf, `<defs><marker id="%s-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker></defs>`+"\n", id)
	// Arrows first, so boxes cover their ends neatly.
	for _, layer := range layers {
		for _, s := range layer {
			to := boxes[s.ID]
			for _, a := range s.After {
				from, ok := boxes[a]
				if !ok {
					continue
				}
				x1, y1 := from.x+from.w/2, from.y+from.h
				x2, y2 := to.x+to.w/2, to.y-2
				mid := (y1 + y2) / 2
				if to.layer-from.layer > 1 {
					mid = y2 - gapY/2
				}
				fmt.Fprintf(&buf, `<path d="M%d %d C%d %d, %d %d, %d %d" fill="none" stroke="#4a5568" stroke-width="1.5" marker-end="url(#%s-arrow)"/>`+"\n",
					x1, y1, x1, mid, x2, mid, x2, y2, id)
			}
		}
	}
	for _, layer := range layers {
		for _, s := range layer {
			b := boxes[s.ID]
			dash := ""
			if b.conditional {
				dash = ` stroke-dasharray="6 4"`
			}
			fmt.Fprintf(&buf, `<g id="%s-step-%s">`, id, esc(s.ID))
			fmt.Fprintf(&buf, `<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" stroke="%s" stroke-width="1.5"%s/>`, b.x, b.y, b.w, b.h, b.fill, b.stroke, dash)
			cx := b.x + b.w/2
			ty := b.y + padIn
			for _, line := range b.name {
				ty += nameSize
				fmt.Fprintf(&buf, `<text x="%d" y="%d" text-anchor="middle" font-size="%d" font-weight="bold" fill="#111">%s</text>`, cx, ty, nameSize, esc(line))
				ty += lineGap
			}
			for _, line := range b.dept {
				ty += textSize
				fmt.Fprintf(&buf, `<text x="%d" y="%d" text-anchor="middle" font-size="%d" fill="#333">%s</text>`, cx, ty, textSize, esc(line))
				ty += lineGap
			}
			ty += textSize
			fmt.Fprintf(&buf, `<text x="%d" y="%d" text-anchor="middle" font-size="%d" fill="#333">%s</text>`, cx, ty, textSize, esc(b.meta))
			ty += lineGap
			for _, line := range b.notes {
				ty += textSize
				fmt.Fprintf(&buf, `<text x="%d" y="%d" text-anchor="middle" font-size="%d" font-style="italic" fill="#8a3b00">%s</text>`, cx, ty, textSize, esc(line))
				ty += lineGap
			}
			buf.WriteString("</g>\n")
		}
	}
	buf.WriteString("</svg>\n")
	return buf.Bytes()
}

func nonEmpty(xs ...string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// runeWidth estimates a character's width in ems: wide for CJK and
// full-width forms, about half for Latin letters and digits.
func runeWidth(r rune) float64 {
	switch {
	case r >= 0x2E80 && r <= 0xFFEF:
		return 1
	case unicode.IsUpper(r) || r == 'm' || r == 'w':
		return 0.75
	case r == ' ' || r == '.' || r == ',' || r == 'i' || r == 'l' || r == 'j' || r == 't' || r == 'f' || r == '(' || r == ')':
		return 0.35
	}
	return 0.6
}

// wrap breaks s into at most maxLines lines of at most width ems,
// preferring spaces for Latin text and ending with "…" when it does not
// fit.
func wrap(s string, width float64, maxLines int) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var lines []string
	rs := []rune(s)
	for len(rs) > 0 && len(lines) < maxLines {
		w, cut, lastSpace := 0.0, len(rs), -1
		for i, r := range rs {
			w += runeWidth(r)
			if r == ' ' {
				lastSpace = i
			}
			if w > width {
				cut = i
				if lastSpace > 0 && rs[i] != ' ' && runeWidth(rs[i]) < 1 {
					cut = lastSpace
				}
				break
			}
		}
		if cut == 0 {
			cut = 1
		}
		lines = append(lines, strings.TrimSpace(string(rs[:cut])))
		rs = []rune(strings.TrimLeft(string(rs[cut:]), " "))
	}
	if len(rs) > 0 && len(lines) > 0 {
		last := []rune(lines[len(lines)-1])
		for len(last) > 0 && lineWidth(last)+1 > width {
			last = last[:len(last)-1]
		}
		lines[len(lines)-1] = strings.TrimSpace(string(last)) + "…"
	}
	return lines
}

func lineWidth(rs []rune) float64 {
	w := 0.0
	for _, r := range rs {
		w += runeWidth(r)
	}
	return w
}
