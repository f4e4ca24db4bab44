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
// fonts ship as).
//
//go:embed font/DroidSansFallbackFull.ttf
var cjkFont []byte

// PDFText is the wording of a license's PDF, in the reader's language.
type PDFText struct {
	Holder, HolderKey, Validity, Indefinite, Issuer, IssuedOn, Number, Scan, Signed, StateNote string
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
	pdf.AddPage()
	const (
		left  = 70.0
		right = 525.0
		width = right - left
	)
	pdf.SetStrokeColor(160, 30, 30)
	pdf.SetLineWidth(3)
	pdf.RectFromUpperLeftWithStyle(36, 36, 523, 770, "D")
	pdf.SetLineWidth(0.8)
	pdf.RectFromUpperLeftWithStyle(44, 44, 507, 754, "D")

	font := func(size float64) error { return pdf.SetFont("cjk", "", size) }
	center := func(y float64, size float64, s string) error {
		if err := font(size); err != nil {
			return err
		}
		pdf.SetXY(left, y)
		return pdf.CellWithOption(&gopdf.Rect{W: width, H: size + 4}, s, gopdf.CellOption{Align: gopdf.Center})
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
	row := func(label, value string) error {
		if err := font(12); err != nil {
			return err
		}
		pdf.SetTextColor(110, 110, 110)
		pdf.SetXY(left, y)
		if err := pdf.Cell(&gopdf.Rect{W: 130, H: 18}, label); err != nil {
			return err
		}
		pdf.SetTextColor(20, 20, 20)
		if err := font(13); err != nil {
			return err
		}
		lines, err := pdf.SplitText(value, width-140)
		if err != nil || len(lines) == 0 {
			lines = []string{value}
		}
		for _, ln := range lines {
			pdf.SetXY(left+140, y)
			if err := pdf.Cell(&gopdf.Rect{W: width - 140, H: 18}, ln); err != nil {
				return err
			}
			y += 20
		}
		y += 8
		return nil
	}
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
	rows = append(rows, [2]string{txt.Validity, validity}, [2]string{txt.Issuer, l.DepartmentName},
		[2]string{txt.IssuedOn, l.IssuedAt.Format(dateLayout)})
	for _, r := range rows {
		if y > 600 {
			break
		}
		if err := row(r[0], r[1]); err != nil {
			return nil, err
		}
	}
	if txt.StateNote != "" {
		pdf.SetTextColor(200, 0, 0)
		if err := center(y+6, 16, txt.StateNote); err != nil {
			return nil, err
		}
	}
	qr, err := qrcode.New(verifyURL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("license: qr code: %w", err)
	}
	qr.DisableBorder = false
	const qrSize = 130.0
	if err := pdf.ImageFrom(qr.Image(512), right-qrSize, 630, &gopdf.Rect{W: qrSize, H: qrSize}); err != nil {
		return nil, fmt.Errorf("license: qr code: %w", err)
	}
	pdf.SetTextColor(90, 90, 90)
	if err := font(10); err != nil {
		return nil, err
	}
	pdf.SetXY(left, 650)
	if err := pdf.Cell(&gopdf.Rect{W: width - qrSize - 10, H: 14}, txt.Scan); err != nil {
		return nil, err
	}
	lines, err := pdf.SplitText(txt.Signed, width-qrSize-20)
	if err != nil {
		lines = []string{txt.Signed}
	}
	yy := 672.0
	for _, ln := range lines {
		pdf.SetXY(left, yy)
		if err := pdf.Cell(&gopdf.Rect{W: width - qrSize - 10, H: 14}, ln); err != nil {
			return nil, err
		}
		yy += 14
	}
	var buf bytes.Buffer
	if _, err := pdf.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("license: pdf: %w", err)
	}
	return buf.Bytes(), nil
}
