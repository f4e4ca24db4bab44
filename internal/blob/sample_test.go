package blob

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// Sample files, built the way real tools build them, so detection is tested
// on the real formats rather than on bare magic numbers.

func samplePDF() []byte {
	return []byte("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func sampleImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	return img
}

func sampleJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, sampleImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func samplePNG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, sampleImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sampleZip builds a ZIP archive holding the named entries.
func sampleZip(t testing.TB, names ...string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><x/>`))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sampleOFD is the skeleton of an OFD package (GB/T 33190): OFD.xml at the
// root pointing to a document in Doc_0.
func sampleOFD(t testing.TB) []byte {
	return sampleZip(t, "OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml")
}

// sampleDOCX is a Word document: a ZIP, but not an OFD.
func sampleDOCX(t testing.TB) []byte {
	return sampleZip(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml")
}
