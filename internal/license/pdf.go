package license

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/signintech/gopdf"
	qrcode "github.com/skip2/go-qrcode"
)

// cjkFont is Droid Sans Fallback (Apache License 2.0, see font/NOTICE): a
// single TrueType face with the CJK glyphs a Chinese license needs, which
// the PDF library can embed (it cannot read the .ttc collections most CJK
// fonts ship as). It has no Latin letters or digits: those are set in
// latinFont, DejaVu Sans (Bitstream Vera license).
//
//go:embed font/DroidSansFallbackFull.ttf
var cjkFont []byte

//go:embed font/DejaVuSans.ttf
var latinFont []byte

// latin reports whether r is set in the Latin face: everything before the
// CJK blocks (Latin, digits, general punctuation such as the em dash).
func latin(r rune) bool { return r < 0x2E80 }

// runs cuts s into pieces of one face each.
func runs(s string) []string {
	var out []string
	start := 0
	prev := false
	for i, r := range s {
		l := latin(r)
		if i > 0 && l != prev {
			out = append(out, s[start:i])
			start = i
		}
		prev = l
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// typesetter writes mixed Chinese and Latin text in one size.
type typesetter struct {
	pdf  *gopdf.GoPdf
	size float64
}

func (t *typesetter) face(run string) error {
	family := "cjk"
	if r := []rune(run); len(r) > 0 && latin(r[0]) {
		family = "latin"
	}
	return t.pdf.SetFont(family, "", t.size)
}

// width measures s.
func (t *typesetter) width(s string) (float64, error) {
	w := 0.0
	for _, run := range runs(s) {
		if err := t.face(run); err != nil {
			return 0, err
		}
		x, err := t.pdf.MeasureTextWidth(run)
		if err != nil {
			return 0, err
		}
		w += x
	}
	return w, nil
}

// write sets s at (x, y).
func (t *typesetter) write(x, y float64, s string) error {
	for _, run := range runs(s) {
		if err := t.face(run); err != nil {
			return err
		}
		t.pdf.SetXY(x, y)
		if err := t.pdf.Cell(nil, run); err != nil {
			return err
		}
		w, err := t.pdf.MeasureTextWidth(run)
		if err != nil {
			return err
		}
		x += w
	}
	return nil
}

// wrap breaks s into lines no wider than max, between any two characters.
func (t *typesetter) wrap(s string, max float64) ([]string, error) {
	var lines []string
	line := ""
	for _, r := range s {
		next := line + string(r)
		w, err := t.width(next)
		if err != nil {
			return nil, err
		}
		if w > max && line != "" {
			lines = append(lines, line)
			next = string(r)
		}
		line = next
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines, nil
}

// PDFText is the wording of a license's PDF, in the reader's language.
type PDFText struct {
	Holder, HolderKey, Validity, Indefinite, Issuer, IssuedOn, Number, Scan, Signed, StateNote string
	// IssuedDate is the day of issue in the platform's time zone; empty
	// means the UTC date.
	IssuedDate string
}

// PDF renders the license as a one-page A4 PDF with its printed fields and
// a QR code that opens verifyURL (the public verification page).
func (l *License) PDF(t *Type, verifyURL string, txt PDFText) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	pdf.SetInfo(gopdf.PdfInfo{Title: l.TypeName + " " + l.Number, Producer: "Tongban"})
	if err := pdf.AddTTFFontData("cjk", cjkFont); err != nil {
		return nil, fmt.Errorf("license: pdf font: %w", err)
	}
	if err := pdf.AddTTFFontData("latin", latinFont); err != nil {
		return nil, fmt.Errorf("license: pdf font: %w", err)
	}
	pdf.AddPage()
	const (
		left   = 70.0
		right  = 525.0
		width  = right - left
		labelW = 140.0
		qrSize = 130.0
	)
	pdf.SetStrokeColor(160, 30, 30)
	pdf.SetLineWidth(3)
	pdf.RectFromUpperLeftWithStyle(36, 36, 523, 770, "D")
	pdf.SetLineWidth(0.8)
	pdf.RectFromUpperLeftWithStyle(44, 44, 507, 754, "D")

	ts := &typesetter{pdf: pdf}
	center := func(y, size float64, s string) error {
		ts.size = size
		w, err := ts.width(s)
		if err != nil {
			return err
		}
		return ts.write(left+(width-w)/2, y, s)
	}
	pdf.SetTextColor(160, 30, 30)
	if err := center(80, 30, l.TypeName); err != nil {
		return nil, err
	}
	pdf.SetTextColor(40, 40, 40)
	if err := center(124, 11, txt.Number+"  "+l.Number); err != nil {
		return nil, err
	}
	y := 175.0
	rows := [][2]string{{txt.Holder, l.HolderName}, {txt.HolderKey, l.HolderKey}}
	if t != nil {
		for _, f := range t.Fields {
			if v := l.Fields[f.Name]; v != "" && f.Printed {
				rows = append(rows, [2]string{f.Label, v})
			}
		}
	}
	validity := l.ValidFrom.Format(dateLayout) + " — " + txt.Indefinite
	if l.ValidUntil != nil {
		validity = l.ValidFrom.Format(dateLayout) + " — " + l.Until()
	}
	issued := txt.IssuedDate
	if issued == "" {
		issued = l.IssuedAt.Format(dateLayout)
	}
	rows = append(rows, [2]string{txt.Validity, validity}, [2]string{txt.Issuer, l.DepartmentName}, [2]string{txt.IssuedOn, issued})
	for _, r := range rows {
		if y > 590 {
			break
		}
		ts.size = 11
		pdf.SetTextColor(110, 110, 110)
		if err := ts.write(left, y+1, r[0]); err != nil {
			return nil, err
		}
		ts.size = 13
		pdf.SetTextColor(20, 20, 20)
		lines, err := ts.wrap(r[1], width-labelW)
		if err != nil {
			return nil, err
		}
		for _, ln := range lines {
			if err := ts.write(left+labelW, y, ln); err != nil {
				return nil, err
			}
			y += 19
		}
		y += 9
	}
	if txt.StateNote != "" {
		pdf.SetTextColor(200, 0, 0)
		if err := center(y+6, 18, txt.StateNote); err != nil {
			return nil, err
		}
	}
	qr, err := qrcode.New(verifyURL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("license: qr code: %w", err)
	}
	if err := pdf.ImageFrom(qr.Image(512), right-qrSize, 625, &gopdf.Rect{W: qrSize, H: qrSize}); err != nil {
		return nil, fmt.Errorf("license: qr code: %w", err)
	}
	pdf.SetTextColor(90, 90, 90)
	ts.size = 10
	yy := 650.0
	for _, para := range []string{txt.Scan, txt.Signed} {
		lines, err := ts.wrap(para, width-qrSize-20)
		if err != nil {
			return nil, err
		}
		for _, ln := range lines {
			if err := ts.write(left, yy, ln); err != nil {
				return nil, err
			}
			yy += 14
		}
		yy += 6
	}
	var buf bytes.Buffer
	if _, err := pdf.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("license: pdf: %w", err)
	}
	return buf.Bytes(), nil
}
