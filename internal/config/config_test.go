package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/ratelimit"
)

func load(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	return Load(flag.NewFlagSet("test", flag.ContinueOnError), args, func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Lang != "zh-CN" || c.TimeZone != "Asia/Shanghai" {
		t.Errorf("defaults = %q %q %q", c.Listen, c.Lang, c.TimeZone)
	}
	if c.Database != "sqlite:"+filepath.Join("tongban-data", "tongban.db") {
		t.Errorf("default database = %q", c.Database)
	}
	if c.BaseURL != "http://127.0.0.1:8080" {
		t.Errorf("default base URL = %q", c.BaseURL)
	}
	if c.SecureCookies {
		t.Error("secure cookies on for an http base URL")
	}
	if c.WarningScanEvery != time.Minute {
		t.Errorf("default warning scan interval = %s, want 1m", c.WarningScanEvery)
	}
}

func TestMetricsListen(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || c.MetricsListen != "" {
		t.Fatalf("default metrics address = %q (%v), want off", c.MetricsListen, err)
	}
	c, err = load(t, nil, map[string]string{"TONGBAN_METRICS_LISTEN": "10.0.0.5:9464"})
	if err != nil || c.MetricsListen != "10.0.0.5:9464" {
		t.Fatalf("metrics address from env = %q (%v)", c.MetricsListen, err)
	}
	for _, bad := range []string{"9464", "127.0.0.1:8080"} {
		if _, err := load(t, []string{"-metrics-listen", bad}, nil); err == nil {
			t.Errorf("metrics address %q accepted", bad)
		}
	}
}

func TestWarningScanEvery(t *testing.T) {
	c, err := load(t, nil, map[string]string{"TONGBAN_WARNING_SCAN_EVERY": "5s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.WarningScanEvery != 5*time.Second {
		t.Errorf("WarningScanEvery from env = %s, want 5s", c.WarningScanEvery)
	}
	c, err = load(t, []string{"-warning-scan-every", "2m"}, map[string]string{"TONGBAN_WARNING_SCAN_EVERY": "5s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.WarningScanEvery != 2*time.Minute {
		t.Errorf("WarningScanEvery = %s, want the flag's 2m", c.WarningScanEvery)
	}
}

func TestPrecedenceFlagOverEnv(t *testing.T) {
	c, err := load(t, []string{"-listen", "0.0.0.0:9000"}, map[string]string{"TONGBAN_LISTEN": "127.0.0.1:7000", "TONGBAN_LANG": "en", "TONGBAN_BASE_URL": "https://gov.example.cn/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:9000" {
		t.Errorf("Listen = %q, want the flag's value", c.Listen)
	}
	if c.Lang != "en" {
		t.Errorf("Lang = %q, want env value en", c.Lang)
	}
	if c.BaseURL != "https://gov.example.cn" || !c.SecureCookies {
		t.Errorf("BaseURL = %q secure=%v", c.BaseURL, c.SecureCookies)
	}
}

func TestDatabaseFromFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "db-url")
	if err := os.WriteFile(p, []byte("postgres://u:secret@db:5432/tongban\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, nil, map[string]string{"TONGBAN_DATABASE_FILE": p})
	if err != nil {
		t.Fatal(err)
	}
	if c.Database != "postgres://u:secret@db:5432/tongban" {
		t.Errorf("Database = %q", c.Database)
	}
}

func TestDemoImpliesMigrate(t *testing.T) {
	c, err := load(t, []string{"-demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Migrate {
		t.Error("-demo did not imply -migrate")
	}
}

func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad listen", []string{"-listen", "nohost"}, "listen address"},
		{"bad db", []string{"-db", "mysql://x"}, "database must start"},
		{"bad lang", []string{"-lang", "fr"}, "language"},
		{"bad tz", []string{"-tz", "Mars/Olympus"}, "time zone"},
		{"bad base", []string{"-base-url", "ftp://x"}, "base URL"},
		{"bad session", []string{"-session-idle", "24h", "-session-max", "1h"}, "session expiry"},
		{"scan too often", []string{"-warning-scan-every", "100ms"}, "warning scan interval"},
		{"scan too rarely", []string{"-warning-scan-every", "48h"}, "warning scan interval"},
		{"scan negative", []string{"-warning-scan-every", "-1m"}, "warning scan interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.args, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%q) = %v, want error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestBlobDefaults(t *testing.T) {
	c, err := load(t, []string{"-data", "/srv/tongban"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.BlobStore != "file:/srv/tongban/blobs" {
		t.Errorf("default blob store = %q, want file:/srv/tongban/blobs", c.BlobStore)
	}
	if c.UploadMax != 20<<20 {
		t.Errorf("default upload limit = %d, want 20 MiB", c.UploadMax)
	}
	if o := c.BlobOptions(); o.URL != c.BlobStore || o.TempDir != "/srv/tongban/tmp" {
		t.Errorf("BlobOptions() = %+v", o)
	}
}

func TestBlobS3WithKeysFromFiles(t *testing.T) {
	dir := t.TempDir()
	ak, sk := filepath.Join(dir, "ak"), filepath.Join(dir, "sk")
	os.WriteFile(ak, []byte("tongban-prod\n"), 0o600)
	os.WriteFile(sk, []byte("s3cr3t/Value+x\n"), 0o600)
	c, err := load(t, nil, map[string]string{
		"TONGBAN_BLOB_STORE":           "s3://materials/tongban?endpoint=oss.example.gov.cn:9000&region=cn-east-1",
		"TONGBAN_BLOB_ACCESS_KEY_FILE": ak,
		"TONGBAN_BLOB_SECRET_KEY_FILE": sk,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := c.BlobOptions()
	if o.URL != "s3://materials/tongban?endpoint=oss.example.gov.cn:9000&region=cn-east-1" || o.AccessKey != "tongban-prod" || o.SecretKey != "s3cr3t/Value+x" {
		t.Errorf("BlobOptions() = %+v", o)
	}
}

func TestUploadMax(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want int64
	}{
		{nil, "5MiB", 5 << 20},
		{nil, "1048576", 1 << 20},
		{[]string{"-upload-max", "512KiB"}, "5MiB", 512 << 10},
		{[]string{"-upload-max", "1G"}, "", 1 << 30},
		{[]string{"-upload-max", "30 mb"}, "", 30 << 20},
	} {
		c, err := load(t, tc.args, map[string]string{"TONGBAN_UPLOAD_MAX": tc.env})
		if err != nil {
			t.Errorf("Load(%q, TONGBAN_UPLOAD_MAX=%q) error = %v", tc.args, tc.env, err)
			continue
		}
		if c.UploadMax != tc.want {
			t.Errorf("Load(%q, TONGBAN_UPLOAD_MAX=%q).UploadMax = %d, want %d", tc.args, tc.env, c.UploadMax, tc.want)
		}
	}
}

func TestInvalidBlob(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown scheme", []string{"-blob-store", "ftp://files"}, nil, "blob store must be file:DIR or s3://"},
		{"s3 without endpoint", []string{"-blob-store", "s3://materials"}, nil, "needs endpoint="},
		{"s3 without keys", []string{"-blob-store", "s3://materials?endpoint=minio:9000"}, nil, "TONGBAN_BLOB_SECRET_KEY"},
		{"s3 keys in the URL", []string{"-blob-store", "s3://ak:sk@materials?endpoint=minio:9000"}, nil, "not in the URL"},
		{"s3 without secret key", []string{"-blob-store", "s3://materials?endpoint=minio:9000"}, map[string]string{"TONGBAN_BLOB_ACCESS_KEY": "ak"}, "TONGBAN_BLOB_SECRET_KEY"},
		{"missing key file", nil, map[string]string{"TONGBAN_BLOB_SECRET_KEY_FILE": "/nonexistent/sk"}, "TONGBAN_BLOB_SECRET_KEY_FILE"},
		{"upload max zero", []string{"-upload-max", "0"}, nil, `size "0": want a positive`},
		{"upload max too small", []string{"-upload-max", "100"}, nil, "upload size limit 100: want between 1KiB and 1GiB"},
		{"upload max too big", []string{"-upload-max", "2GiB"}, nil, "upload size limit 2GiB"},
		{"upload max not a size", []string{"-upload-max", "lots"}, nil, `size "lots"`},
		{"upload max negative", []string{"-upload-max", "-5MiB"}, nil, "size"},
		{"upload max env not a size", nil, map[string]string{"TONGBAN_UPLOAD_MAX": "20 megs"}, "TONGBAN_UPLOAD_MAX"},
		{"session env not a duration", nil, map[string]string{"TONGBAN_SESSION_IDLE": "30 minutes"}, `TONGBAN_SESSION_IDLE "30 minutes" is not a duration`},
		{"ledger env not a duration", nil, map[string]string{"TONGBAN_LEDGER_EVERY": "1"}, "TONGBAN_LEDGER_EVERY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			_, err := Load(fs, tc.args, func(k string) string { return tc.env[k] })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%q, %v) = %v, want error containing %q", tc.args, tc.env, err, tc.want)
			}
			if strings.Contains(err.Error(), ":sk@") {
				t.Errorf("error repeats the secret key: %v", err)
			}
		})
	}
}

func TestNotifyChannelsOffByDefault(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPHost != "" || c.SMSURL != "" || c.SMTPPort != 587 {
		t.Errorf("defaults: smtp host %q port %d, sms url %q; want both off, port 587", c.SMTPHost, c.SMTPPort, c.SMSURL)
	}
}

func TestNotifyChannelsFromEnvAndFiles(t *testing.T) {
	dir := t.TempDir()
	pw, tok := filepath.Join(dir, "smtp-pw"), filepath.Join(dir, "sms-token")
	os.WriteFile(pw, []byte("mail-secret\n"), 0o600)
	os.WriteFile(tok, []byte("sms-secret\n"), 0o600)
	c, err := load(t, []string{"-smtp-port", "2525"}, map[string]string{
		"TONGBAN_SMTP_HOST": "mail.example.gov.cn", "TONGBAN_SMTP_PORT": "465", "TONGBAN_SMTP_USERNAME": "tongban",
		"TONGBAN_SMTP_PASSWORD_FILE": pw, "TONGBAN_SMTP_FROM": "通办 <noreply@example.gov.cn>",
		"TONGBAN_SMS_URL": "https://sms.example.gov.cn/send", "TONGBAN_SMS_TOKEN_FILE": tok,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPHost != "mail.example.gov.cn" || c.SMTPPort != 2525 || c.SMTPUsername != "tongban" || c.SMTPPassword != "mail-secret" ||
		c.SMTPFrom != "通办 <noreply@example.gov.cn>" || c.SMSURL != "https://sms.example.gov.cn/send" || c.SMSToken != "sms-secret" {
		t.Errorf("config = %+v", c)
	}
}

func TestNotifyChannelsInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"from without host", []string{"-smtp-from", "a@b.cn"}, nil, "smtp-host is empty"},
		{"host without from", []string{"-smtp-host", "mail.example.cn"}, nil, "smtp from"},
		{"host with port", []string{"-smtp-host", "mail.example.cn:25", "-smtp-from", "a@b.cn"}, nil, "host name alone"},
		{"bad port", []string{"-smtp-host", "mail.example.cn", "-smtp-from", "a@b.cn", "-smtp-port", "0"}, nil, "smtp port"},
		{"port not a number", nil, map[string]string{"TONGBAN_SMTP_PORT": "x"}, "TONGBAN_SMTP_PORT"},
		{"user without password", []string{"-smtp-host", "mail.example.cn", "-smtp-from", "a@b.cn", "-smtp-username", "u"}, nil, "both the username"},
		{"unreadable password file", nil, map[string]string{"TONGBAN_SMTP_PASSWORD_FILE": "/nonexistent/pw"}, "TONGBAN_SMTP_PASSWORD_FILE"},
		{"sms url without token", []string{"-sms-url", "https://sms.example.cn/send"}, nil, "TONGBAN_SMS_TOKEN"},
		{"sms token without url", nil, map[string]string{"TONGBAN_SMS_TOKEN": "t"}, "sms-url is empty"},
		{"sms url not http", []string{"-sms-url", "ftp://sms.example.cn"}, map[string]string{"TONGBAN_SMS_TOKEN": "t"}, "sms url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.args, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%q, %v) = %v, want error containing %q", tc.args, tc.env, err, tc.want)
			}
		})
	}
}

func TestLedgerWitnesses(t *testing.T) {
	env := map[string]string{"TONGBAN_LEDGER_WITNESSES": "https://w1.example/ a+1+x; https://w2.example/x b+2+y\n"}
	c, err := load(t, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.LedgerWitnesses) != 2 || c.LedgerWitnesses[1] != "https://w2.example/x b+2+y" {
		t.Errorf("LedgerWitnesses from env = %q", c.LedgerWitnesses)
	}
	c, err = load(t, []string{"-ledger-witness", "http://w3.example c+3+z"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.LedgerWitnesses) != 1 || c.LedgerWitnesses[0] != "http://w3.example c+3+z" {
		t.Errorf("LedgerWitnesses with a flag = %q, want the flag's one", c.LedgerWitnesses)
	}
	if c, err := load(t, nil, nil); err != nil || len(c.LedgerWitnesses) != 0 {
		t.Errorf("default LedgerWitnesses = %q, %v; want none", c.LedgerWitnesses, err)
	}
	for _, bad := range []string{"https://w1.example/", "w1.example a+1+x", "ftp://w1.example a+1+x"} {
		if _, err := load(t, []string{"-ledger-witness", bad}, nil); err == nil {
			t.Errorf("-ledger-witness %q accepted", bad)
		}
	}
}

func TestLedgerVerifyEvery(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || c.LedgerVerifyEvery != time.Hour {
		t.Fatalf("default LedgerVerifyEvery = %s, %v; want 1h", c.LedgerVerifyEvery, err)
	}
	c, err = load(t, []string{"-ledger-verify-every", "off"}, map[string]string{"TONGBAN_LEDGER_VERIFY_EVERY": "10m"})
	if err != nil || c.LedgerVerifyEvery != 0 {
		t.Fatalf("-ledger-verify-every off = %s, %v; want 0", c.LedgerVerifyEvery, err)
	}
	c, err = load(t, nil, map[string]string{"TONGBAN_LEDGER_VERIFY_EVERY": "10m"})
	if err != nil || c.LedgerVerifyEvery != 10*time.Minute {
		t.Fatalf("TONGBAN_LEDGER_VERIFY_EVERY=10m = %s, %v", c.LedgerVerifyEvery, err)
	}
	if _, err := load(t, []string{"-ledger-verify-every", "5s"}, nil); err == nil {
		t.Error("-ledger-verify-every 5s accepted; verification reads the whole store")
	}
}

func TestRateLimits(t *testing.T) {
	c, err := load(t, []string{"-rate-limit", "login-account=3/1m", "-trusted-proxies", "10.0.0.0/8"},
		map[string]string{"TONGBAN_RATE_LIMITS": "login-account=5/1m; write-account=off", "TONGBAN_TRUSTED_PROXIES": "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RateLimits.Rate(ratelimit.LoginAccount); got != (ratelimit.Rate{N: 3, Per: time.Minute}) {
		t.Errorf("login-account = %v, want the flag's 3/1m", got)
	}
	if !c.RateLimits.Rate(ratelimit.WriteAccount).Off() {
		t.Errorf("write-account = %v, want off from the environment", c.RateLimits.Rate(ratelimit.WriteAccount))
	}
	if got := c.RateLimits.Rate(ratelimit.Open311Key); got != ratelimit.Defaults[ratelimit.Open311Key] {
		t.Errorf("open311-key = %v, want the default", got)
	}
	if len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Errorf("trusted proxies = %v, want the flag's 10.0.0.0/8", c.TrustedProxies)
	}
	d, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.TrustedProxies) != 0 {
		t.Errorf("trusted proxies by default = %v, want none", d.TrustedProxies)
	}
	for _, bad := range []map[string]string{{"TONGBAN_RATE_LIMITS": "login=5/1m"}, {"TONGBAN_RATE_LIMITS": "login-account=5"}, {"TONGBAN_TRUSTED_PROXIES": "proxy.example"}} {
		if _, err := load(t, nil, bad); err == nil {
			t.Errorf("Load with %v: no error", bad)
		}
	}
	if _, err := load(t, []string{"-rate-limit", "write-account=lots"}, nil); err == nil {
		t.Error("-rate-limit write-account=lots: no error")
	}
}

func TestRatingSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.RatingAmendWindow != 7*24*time.Hour || c.RectifyDays != 15 {
		t.Errorf("defaults: amend window %s, rectify days %d; want 168h and 15", c.RatingAmendWindow, c.RectifyDays)
	}
	c, err = load(t, []string{"-rectify-days", "10"}, map[string]string{"TONGBAN_RATING_AMEND_WINDOW": "72h", "TONGBAN_RECTIFY_DAYS": "20"})
	if err != nil {
		t.Fatal(err)
	}
	if c.RatingAmendWindow != 72*time.Hour || c.RectifyDays != 10 {
		t.Errorf("amend window %s, rectify days %d; want 72h and the flag's 10", c.RatingAmendWindow, c.RectifyDays)
	}
	for _, args := range [][]string{{"-rectify-days", "61"}, {"-rating-amend-window", "30m"}, {"-rating-amend-window", "721h"}} {
		if _, err := load(t, args, nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
