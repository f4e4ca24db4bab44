package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/license"
)

// keyPrefix names the license keys after the platform's host, so keys of
// two platforms never share a name.
func keyPrefix(cfg *config.Config) string {
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "tongban"
}

// rotateLicenseKey retires a department's license signing keys.
func rotateLicenseKey(cfg *config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: tongban rotate-license-key [flags] DEPARTMENT")
	}
	kr := license.NewKeyring(cfg.LicenseKeyDir(), keyPrefix(cfg))
	old, err := kr.Keys(args[0])
	if err != nil {
		return err
	}
	if err := kr.Rotate(args[0], time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "retired %s and %s\nlicenses they signed stay genuine; the department's next license creates new keys.\ncopy %s to every node and restart them\n",
		old.Ed25519Verifier, old.SM2Verifier, cfg.LicenseKeyDir())
	return nil
}

// verifyLicense checks a downloaded signed license (the holder's
// "signed JSON") offline: its signatures against the departments' public
// keys as served at /licenses/keys (that JSON document, or verifier keys
// one a line). It cannot know a revocation made after the download; it
// says where to check the state.
func verifyLicense(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tongban verify-license", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("keys", "", "the published keys: the JSON of /licenses/keys, or verifier keys (name+hash+base64) one a line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *keyFile == "" {
		return errors.New("usage: tongban verify-license -keys FILE LICENSE.json")
	}
	kb, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	keys, err := parseLicenseKeys(kb)
	if err != nil {
		return err
	}
	known, err := license.Verifiers(keys)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	d, algs, err := license.VerifySigned(raw, known)
	if err != nil {
		var es *license.ErrSigned
		if errors.As(err, &es) {
			return fmt.Errorf("verify-license: NOT genuine: %s", map[string]string{
				license.ProblemMalformed:  "the file is not a signed license",
				license.ProblemUnknownKey: "it is not signed by the issuing department's key given",
				license.ProblemSignature:  "a signature does not match the content: the license was altered or forged",
				license.ProblemUnsigned:   "it carries no Ed25519 signature",
			}[es.Problem])
		}
		return err
	}
	until := d.ValidUntil
	if until == "" {
		until = "no limit"
	}
	fmt.Fprintf(stdout, "genuine: %s %s, signed by %s (%s) with %s\n", d.TypeName, d.Number, d.DepartmentName, d.Department, strings.Join(algs, " and "))
	fmt.Fprintf(stdout, "holder: %s; valid from %s until %s; issued %s\n", d.HolderName, d.ValidFrom, until, d.IssuedAt)
	fmt.Fprintln(stdout, "the signature cannot tell a later revocation or suspension: check the license's state on the issuing platform (its QR code)")
	return nil
}

// parseLicenseKeys reads the /licenses/keys JSON, or verifier keys one a
// line (each Ed25519 or SM2; the department is taken from the key name).
func parseLicenseKeys(b []byte) ([]license.PublicKey, error) {
	var doc struct {
		Keys []license.PublicKey `json:"keys"`
	}
	if json.Unmarshal(b, &doc) == nil && len(doc.Keys) > 0 {
		return doc.Keys, nil
	}
	var out []license.PublicKey
	for _, f := range strings.Fields(string(b)) {
		name, _, _ := strings.Cut(f, "+")
		_, dept, _ := strings.Cut(name, "/license/")
		if strings.Contains(f, "+") && len(f) > 0 {
			if _, err := license.Verifiers([]license.PublicKey{{Department: dept, Ed25519: f}}); err == nil {
				out = append(out, license.PublicKey{Department: dept, Ed25519: f})
				continue
			}
			if _, err := license.Verifiers([]license.PublicKey{{Department: dept, Ed25519: "", SM2: f}}); err == nil {
				out = append(out, license.PublicKey{Department: dept, SM2: f})
				continue
			}
		}
		return nil, fmt.Errorf("verify-license: %q is not a verifier key", f)
	}
	if len(out) == 0 {
		return nil, errors.New("verify-license: no keys in the key file")
	}
	return out, nil
}
