package cli

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/license"
)

// TestVerifyLicenseOffline builds a signed license the way docs/licenses.md
// describes it, as a third party could, and checks it with
// `tongban verify-license` against the keys in both published forms; then
// alters it.
func TestVerifyLicenseOffline(t *testing.T) {
	dir := t.TempDir()
	keys, _, err := ledger.GenerateKeys("gov.example/license/SCJG")
	if err != nil {
		t.Fatal(err)
	}
	doc := license.Document{Department: "SCJG", DepartmentName: "临江市市场监督管理局", Fields: map[string]string{"entity_name": "临江市味道餐饮有限公司"},
		Format: license.Format, HolderKey: "91339900MA2H7K3P1X", HolderKind: license.Organization, HolderName: "临江市味道餐饮有限公司",
		ID: "0123456789abcdef01234567", IssuedAt: "2026-11-29T02:00:00.000Z", Number: "SCJG-YYZZ-2026-000001", Type: "business_license",
		TypeName: "营业执照", ValidFrom: "2026-11-29"}
	canonical, err := doc.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(canonical), `{"department":"SCJG","department_name":"临江市市场监督管理局","fields":{"entity_name":`) ||
		!strings.HasSuffix(string(canonical), `"valid_from":"2026-11-29","valid_until":""}`) {
		t.Fatalf("canonical form changed: %s", canonical)
	}
	edSig, _ := keys.Ed25519.Sign(canonical)
	smSig, _ := keys.SM2.Sign(canonical)
	id := func(vkey string) string { p := strings.SplitN(vkey, "+", 3); return p[0] + "+" + p[1] }
	signed, _ := json.Marshal(license.Signed{Format: license.SignedFormat, License: canonical, Signatures: []license.Signature{
		{Alg: "ed25519", Key: id(keys.Ed25519Verifier), Sig: base64.StdEncoding.EncodeToString(edSig)},
		{Alg: "sm2-sm3", Key: id(keys.SM2Verifier), Sig: base64.StdEncoding.EncodeToString(smSig)}}})
	// The Ed25519 verifier key carries the raw public key after 0x01.
	vk, _ := base64.StdEncoding.DecodeString(strings.SplitN(keys.Ed25519Verifier, "+", 3)[2])
	if len(vk) != 1+ed25519.PublicKeySize || !ed25519.Verify(vk[1:], canonical, edSig) {
		t.Fatal("the Ed25519 signature does not verify with the plain ed25519 package")
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := write("license.json", signed)
	keysJSON, _ := json.Marshal(map[string]any{"keys": []license.PublicKey{{Department: "SCJG", Ed25519: keys.Ed25519Verifier, SM2: keys.SM2Verifier}}})
	lines := keys.Ed25519Verifier + "\n" + keys.SM2Verifier + "\n"
	for _, k := range []string{write("keys.json", keysJSON), write("keys.txt", []byte(lines))} {
		var out, errb bytes.Buffer
		if code := Main([]string{"verify-license", "-keys", k, file}, func(string) string { return "" }, &out, &errb); code != 0 ||
			!strings.Contains(out.String(), "genuine: 营业执照 SCJG-YYZZ-2026-000001") || !strings.Contains(out.String(), "ed25519 and sm2-sm3") {
			t.Errorf("verify-license with %s: %d %s %s", filepath.Base(k), code, out.String(), errb.String())
		}
	}
	altered := write("altered.json", bytes.Replace(signed, []byte("味道"), []byte("好味"), 1))
	var out, errb bytes.Buffer
	if code := Main([]string{"verify-license", "-keys", filepath.Join(dir, "keys.json"), altered}, func(string) string { return "" }, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "altered or forged") {
		t.Errorf("verify-license of an altered file: %d %s", code, errb.String())
	}
	other, _, _ := ledger.GenerateKeys("gov.example/license/SCJG")
	otherKeys, _ := json.Marshal(map[string]any{"keys": []license.PublicKey{{Department: "SCJG", Ed25519: other.Ed25519Verifier, SM2: other.SM2Verifier}}})
	errb.Reset()
	if code := Main([]string{"verify-license", "-keys", write("other.json", otherKeys), file}, func(string) string { return "" }, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "not signed by") {
		t.Errorf("verify-license with another department's keys: %d %s", code, errb.String())
	}
}

// TestRotateLicenseKey retires a department's keys from the command line:
// the key file is renamed and its public halves listed as retired.
func TestRotateLicenseKey(t *testing.T) {
	dir := t.TempDir()
	env := func(string) string { return "" }
	kr := license.NewKeyring(filepath.Join(dir, "license-keys"), "127.0.0.1:8080")
	old, err := kr.Keys("SCJG")
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"rotate-license-key", "-data", dir, "SCJG"}, env, &out, &errb); code != 0 {
		t.Fatalf("rotate: %d %s", code, errb.String())
	}
	fresh := license.NewKeyring(filepath.Join(dir, "license-keys"), "127.0.0.1:8080")
	retired, err := fresh.Retired("SCJG")
	if err != nil || len(retired) != 2 || retired[0] != old.Ed25519Verifier || retired[1] != old.SM2Verifier {
		t.Fatalf("retired = %v, %v", retired, err)
	}
	k, err := fresh.Keys("SCJG")
	if err != nil || k.Ed25519Verifier == old.Ed25519Verifier {
		t.Errorf("after rotation the department still signs with the old key (%v)", err)
	}
	if code := Main([]string{"rotate-license-key", "-data", dir, "../etc"}, env, &out, &errb); code == 0 {
		t.Error("rotate-license-key accepted a path as a department code")
	}
}
