package blob

import (
	"archive/zip"
	"bytes"
	"io"
	"path/filepath"
	"strings"
)

var (
	pdfMagic  = []byte("%PDF-")
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
	pngMagic  = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}
	zipMagic  = []byte("PK\x03\x04")
)

// Detect returns the type of the size bytes readable from r, judged by
// content alone: a PDF starts with "%PDF-", a JPEG with FF D8 FF, a PNG with
// its 8-byte signature, and an OFD is a ZIP archive whose central directory
// has an OFD.xml entry at the root (GB/T 33190 §7.1). Anything else,
// including an empty file, a ZIP without OFD.xml (a renamed .docx), HTML,
// SVG or an executable, is not detected: Detect returns "", false.
//
// Detect reads the first bytes and, for a ZIP, the central directory; it
// does not decompress anything.
func Detect(r io.ReaderAt, size int64) (string, bool) {
	if size <= 0 {
		return "", false
	}
	head := make([]byte, min(size, 8))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return "", false
	}
	switch {
	case bytes.HasPrefix(head, pdfMagic):
		return PDF, true
	case bytes.HasPrefix(head, jpegMagic):
		return JPEG, true
	case bytes.HasPrefix(head, pngMagic):
		return PNG, true
	case bytes.HasPrefix(head, zipMagic) && isOFD(r, size):
		return OFD, true
	}
	return "", false
}

// isOFD reports whether the ZIP archive in r has OFD.xml at its root. An
// archive Go's reader finds malformed or unsafe (entries with absolute or
// ".." paths) is refused.
func isOFD(r io.ReaderAt, size int64) bool {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return false
	}
	found := false
	for _, f := range zr.File {
		if !filepath.IsLocal(f.Name) || strings.Contains(f.Name, `\`) {
			return false
		}
		if f.Name == "OFD.xml" {
			found = true
		}
	}
	return found
}
