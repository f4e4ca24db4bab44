package workflow

import (
	"bytes"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
)

func TestSVG(t *testing.T) {
	d := branch()
	d.Steps[1].Name = "食品安全审查"
	d.Steps[2].Name = "消防<审查>&核查"
	svg := d.SVG(DiagramOptions{ID: "p1", Title: "食品经营许可 办理流程", Desc: "从受理到办结", Label: func(s Step) Label {
		l := Label{Name: s.Name, Department: "临江市市场监督管理局", Role: "审查人员", Days: "2 个工作日"}
		if s.When != nil {
			l.Notes = append(l.Notes, s.When.String()+" 时")
		}
		return l
	}})
	// Well-formed XML, every step name in it, escaped.
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
		}
	}
	for _, s := range d.Steps {
		if !strings.Contains(text.String(), s.Name) {
			t.Errorf("SVG text lacks step name %q", s.Name)
		}
	}
	for _, want := range []string{`viewBox="0 0 `, `role="img"`, `<title id="p1-title">食品经营许可 办理流程</title>`, `<desc id="p1-desc">从受理到办结</desc>`, "area &gt; 500 时", `stroke-dasharray`} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if bytes.Contains(svg, []byte("<script")) || bytes.Contains(svg, []byte("<style")) {
		t.Error("SVG must not carry scripts or styles (the page's CSP forbids inline ones)")
	}
	// Parallel steps share a row: review and fire have the same y.
	y := func(id string) string {
		m := regexp.MustCompile(`<g id="p1-step-` + id + `"><rect x="\d+" y="(\d+)"`).FindSubmatch(svg)
		if m == nil {
			t.Fatalf("no box for %s", id)
		}
		return string(m[1])
	}
	if y("review") != y("fire") {
		t.Errorf("parallel steps at y=%s and y=%s, want one row", y("review"), y("fire"))
	}
	if y("accept") == y("review") || y("decide") == y("fire_check") {
		t.Error("steps of different layers share a row")
	}
	// One arrow per predecessor link.
	links := 0
	for _, s := range d.Steps {
		links += len(s.After)
	}
	if n := bytes.Count(svg, []byte("marker-end=")); n != links {
		t.Errorf("%d arrows, want %d", n, links)
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		s     string
		width float64
		lines int
		want  []string
	}{
		{"受理", 12, 2, []string{"受理"}},
		{"国家税务总局临江市税务局", 8, 2, []string{"国家税务总局临江", "市税务局"}},
		{"临江市人力资源和社会保障局临江市人力资源和社会保障局", 8, 2, []string{"临江市人力资源和", "社会保障局临江…"}},
		{"Linjiang Fire and Rescue Detachment", 12, 2, []string{"Linjiang Fire and", "Rescue Detachment"}},
		{"", 10, 2, nil},
	} {
		got := wrap(tc.s, tc.width, tc.lines)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %v) = %q, want %q", tc.s, tc.width, got, tc.want)
		}
	}
}
