package blob

import (
	"archive/zip"
	"bytes"
	"slices"
	"testing"
)

func detectBytes(b []byte) (string, bool) {
	return Detect(bytes.NewReader(b), int64(len(b)))
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string // "" for not detected
	}{
		{"pdf", samplePDF(), PDF},
		{"jpeg", sampleJPEG(t), JPEG},
		{"png", samplePNG(t), PNG},
		{"ofd", sampleOFD(t), OFD},
		{"ofd with OFD.xml last", sampleZip(t, "Doc_0/Document.xml", "OFD.xml"), OFD},
		{"empty", nil, ""},
		{"docx renamed .ofd", sampleDOCX(t), ""},
		{"zip without OFD.xml", sampleZip(t, "readme.txt"), ""},
		{"OFD.xml not at the root", sampleZip(t, "sub/OFD.xml", "Doc_0/Document.xml"), ""},
		{"OFD.xml with other case", sampleZip(t, "ofd.xml"), ""},
		{"zip with an escaping path", sampleZip(t, "OFD.xml", "../etc/cron.d/x"), ""},
		{"zip with an absolute path", sampleZip(t, "OFD.xml", "/etc/passwd"), ""},
		{"truncated ofd", sampleOFD(t)[:40], ""},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), ""},
		{"html starting with a PDF comment later", []byte("<html>%PDF-1.7</html>"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ""},
		{"windows executable", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 64)...), ""},
		{"elf executable", []byte("\x7fELF\x02\x01\x01\x00"), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ""},
		{"plain text", []byte("申请书"), ""},
		{"pdf magic cut short", []byte("%PDF"), ""},
		{"png signature cut short", samplePNG(t)[:7], ""},
		{"jpeg marker cut short", []byte{0xFF, 0xD8}, ""},
		{"pdf after a BOM", append([]byte("\xEF\xBB\xBF"), samplePDF()...), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := detectBytes(tc.data)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("Detect(%.12q) = %q, %v; want %q", tc.data, got, ok, tc.want)
			}
		})
	}
}

// FuzzDetect checks that Detect never panics and never names a type that
// the content does not carry: whatever it accepts is one of MaterialTypes
// and starts with that type's signature (and, for OFD, is a ZIP with
// OFD.xml at its root).
func FuzzDetect(f *testing.F) {
	for _, b := range [][]byte{
		samplePDF(), sampleJPEG(f), samplePNG(f), sampleOFD(f), sampleDOCX(f),
		sampleZip(f, "ofd.xml"), []byte("<html></html>"), []byte("MZ"), {}, {0xFF, 0xD8, 0xFF},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, ok := detectBytes(data)
		if !ok {
			if typ != "" {
				t.Fatalf("Detect = %q, false; want an empty type when not detected", typ)
			}
			return
		}
		if !slices.Contains(MaterialTypes, typ) {
			t.Fatalf("Detect = %q, not a material type", typ)
		}
		var magic []byte
		switch typ {
		case PDF:
			magic = pdfMagic
		case JPEG:
			magic = jpegMagic
		case PNG:
			magic = pngMagic
		case OFD:
			magic = zipMagic
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("Detect = OFD for an unreadable ZIP: %v", err)
			}
			if !slices.ContainsFunc(zr.File, func(f *zip.File) bool { return f.Name == "OFD.xml" }) {
				t.Fatal("Detect = OFD for a ZIP without OFD.xml")
			}
		}
		if !bytes.HasPrefix(data, magic) {
			t.Fatalf("Detect = %q for content starting %q", typ, data[:min(len(data), 8)])
		}
	})
}
