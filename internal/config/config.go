// Package config holds Tongban's run-time configuration: one typed struct
// filled from command-line flags and TONGBAN_* environment variables, with
// TONGBAN_*_FILE variants for secrets, validated once at start-up and passed
// explicitly to whatever needs it.
//
// Precedence: a flag given on the command line wins over the environment,
// which wins over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/ratelimit"
)

// Config is the configuration of one tongban process. Each field names its
// flag and environment variable.
type Config struct {
	// Listen is the TCP address the HTTP server listens on.
	// Flag -listen, env TONGBAN_LISTEN. Default 127.0.0.1:8080.
	Listen string
	// MetricsListen is the TCP address /metrics is served on, apart from
	// the platform (for the monitoring network only); empty: not served.
	// Flag -metrics-listen, env TONGBAN_METRICS_LISTEN.
	MetricsListen string
	// Database is "sqlite:PATH" or a "postgres://" URL. Empty means an
	// SQLite file tongban.db inside DataDir.
	// Flag -db, env TONGBAN_DATABASE (or TONGBAN_DATABASE_FILE, a file
	// holding the URL, since it may carry a password).
	Database string
	// DataDir holds the SQLite file (by default) and uploaded files.
	// Flag -data, env TONGBAN_DATA_DIR. Default ./tongban-data.
	DataDir string
	// BaseURL is the public URL people reach the platform at, used in
	// links and to check the origin of form posts behind a proxy.
	// Flag -base-url, env TONGBAN_BASE_URL. Default http://<Listen>.
	BaseURL string
	// Lang is the default UI language: zh-CN or en.
	// Flag -lang, env TONGBAN_LANG. Default zh-CN.
	Lang string
	// TimeZone is the platform's time zone, used for working days and
	// displayed times. Flag -tz, env TONGBAN_TIMEZONE. Default Asia/Shanghai.
	TimeZone string
	// Location is TimeZone loaded; set by Validate.
	Location *time.Location `json:"-"`
	// Demo loads the demo city (idempotently) at start-up and prints the
	// demo logins. It implies Migrate. Flag -demo, env TONGBAN_DEMO.
	Demo bool
	// Migrate applies pending migrations at start-up instead of refusing
	// to run on an old schema. Flag -migrate, env TONGBAN_MIGRATE.
	Migrate bool
	// SessionIdle ends a session after this long without a request.
	// Flag -session-idle, env TONGBAN_SESSION_IDLE. Default 30m.
	SessionIdle time.Duration
	// SessionMax ends a session this long after sign-in, however active.
	// Flag -session-max, env TONGBAN_SESSION_MAX. Default 12h.
	SessionMax time.Duration
	// WarningScanEvery is how often the node holding the warning lease
	// scans open tasks for deadlines that are near (yellow) or past (red),
	// between 1s and 24h. Flag -warning-scan-every, env
	// TONGBAN_WARNING_SCAN_EVERY. Default 1m (also when 0 in a Config built
	// in code).
	WarningScanEvery time.Duration
	// RatingAmendWindow is how long after rating a citizen may amend the
	// rating (好差评), between 1h and 30 days. Flag -rating-amend-window,
	// env TONGBAN_RATING_AMEND_WINDOW. Default 168h (7 days; also when 0
	// in a Config built in code).
	RatingAmendWindow time.Duration
	// RectifyDays is the deadline of the rectification a bad rating
	// opens, in working days of the official calendar, between 1 and 60.
	// Flag -rectify-days, env TONGBAN_RECTIFY_DAYS. Default 15 (also when
	// 0 in a Config built in code).
	RectifyDays int
	// SecureCookies marks cookies Secure. Default: true when BaseURL is
	// https. Env TONGBAN_SECURE_COOKIES overrides.
	SecureCookies bool
	// BlobStore is where uploaded materials and result documents are
	// kept: "file:DIR" for a directory on this node, or
	// "s3://BUCKET/PREFIX?endpoint=HOST:PORT&region=R&secure=false&lookup=path"
	// for S3-compatible object storage (see blob.ParseURL). Empty means
	// file:<DataDir>/blobs. Flag -blob-store, env TONGBAN_BLOB_STORE.
	BlobStore string
	// BlobAccessKey and BlobSecretKey authenticate to an S3 store; both
	// are required for one. Env only (TONGBAN_BLOB_ACCESS_KEY,
	// TONGBAN_BLOB_SECRET_KEY, or their _FILE variants), never flags,
	// which other users of the machine can see in the process list.
	BlobAccessKey string `json:"-"`
	BlobSecretKey string `json:"-"`
	// CommitBatch is how many concurrent submissions or decisions may
	// share one transaction and one durable commit (group commit, see
	// db.Batch), between 1 and 64; 1 gives each its own commit, and 0
	// picks the database's default: 64 on SQLite, 1 on PostgreSQL, which
	// groups the flushes of concurrent commits itself. Flag
	// -commit-batch, env TONGBAN_COMMIT_BATCH.
	CommitBatch int
	// UploadMax is the largest file an applicant may upload, in bytes,
	// between 1 KiB and 1 GiB. Flag -upload-max, env TONGBAN_UPLOAD_MAX,
	// written as bytes or with a KiB/MiB/GiB suffix. Default 20MiB (also
	// when 0 in a Config built in code).
	UploadMax int64

	// SMTPHost is the mail server notices are emailed through; empty
	// turns email off. Flag -smtp-host, env TONGBAN_SMTP_HOST.
	SMTPHost string
	// SMTPPort is the mail server's port. STARTTLS is used whenever the
	// server offers it. Flag -smtp-port, env TONGBAN_SMTP_PORT.
	// Default 587 (submission).
	SMTPPort int
	// SMTPUsername signs in to the mail server; empty: no sign-in.
	// Flag -smtp-username, env TONGBAN_SMTP_USERNAME.
	SMTPUsername string
	// SMTPPassword goes with SMTPUsername. Env TONGBAN_SMTP_PASSWORD or
	// TONGBAN_SMTP_PASSWORD_FILE only: no flag, so it never shows in a
	// process list.
	SMTPPassword string `json:"-"`
	// SMTPFrom is the sender of notice emails, e.g.
	// "通办 <noreply@zwfw.example.gov.cn>"; required with SMTPHost.
	// Flag -smtp-from, env TONGBAN_SMTP_FROM.
	SMTPFrom string
	// SMSURL is the HTTP gateway notices are texted through: each message
	// is POSTed as JSON {"to", "text"}. Empty turns SMS off.
	// Flag -sms-url, env TONGBAN_SMS_URL.
	SMSURL string
	// SMSToken is the gateway's bearer token; required with SMSURL.
	// Env TONGBAN_SMS_TOKEN or TONGBAN_SMS_TOKEN_FILE only.
	SMSToken string `json:"-"`

	// LedgerKey is the ledger's signing keys, the text of a key file (an
	// Ed25519 and an SM2 private note key, one a line; see docs/ledger.md).
	// Env TONGBAN_LEDGER_KEY or TONGBAN_LEDGER_KEY_FILE only. Empty means
	// the key file <DataDir>/ledger.key, created with new keys at first
	// start. Every node of one log needs the same keys.
	LedgerKey string `json:"-"`
	// LedgerOrigin names the log: the checkpoints' origin line and the
	// keys' name, used only when new keys are created. Flag
	// -ledger-origin, env TONGBAN_LEDGER_ORIGIN. Default: BaseURL's host
	// and path followed by /ledger.
	LedgerOrigin string
	// LedgerEvery is how often the sequencer integrates pending ledger
	// entries and signs a checkpoint. Flag -ledger-every, env
	// TONGBAN_LEDGER_EVERY. Default 1s.
	LedgerEvery time.Duration
	// LedgerWitnesses are the witnesses (c2sp.org/tlog-witness) each new
	// checkpoint is submitted to, each "URL VKEY": the witness's
	// submission prefix and its cosignature verifier key. Their
	// cosignatures are appended to the checkpoint /ledger/checkpoint
	// serves. Flag -ledger-witness (repeatable), env
	// TONGBAN_LEDGER_WITNESSES (entries separated by newlines or ";").
	// Default none.
	LedgerWitnesses []string
	// LedgerVerifyEvery is how often serve checks the whole store against
	// the ledger, as `tongban verify` does, and records the outcome for the
	// supervisors' dashboard; one node at a time. Flag
	// -ledger-verify-every, env TONGBAN_LEDGER_VERIFY_EVERY. Default 1h;
	// "off" (or 0) turns it off.
	LedgerVerifyEvery time.Duration

	// LicenseKeys is the directory of the issuing departments' license
	// signing keys: one key file <DEPARTMENT>.key each (an Ed25519 and an
	// SM2 private note key, as the ledger's; see docs/licenses.md),
	// created with new keys when a department first signs. Put a key
	// file there to use keys made elsewhere; every node needs the same
	// files. Flag -license-keys, env TONGBAN_LICENSE_KEYS. Default
	// <DataDir>/license-keys.
	LicenseKeys string

	// RateLimits are the token-bucket limits per class (see
	// ratelimit.Defaults for the classes and their defaults and
	// docs/operations.md#rate-limits): each "CLASS=N/DURATION" or
	// "CLASS=off". Flag -rate-limit (repeatable), env TONGBAN_RATE_LIMITS
	// (entries separated by ";", "," or newlines). Classes not named keep
	// their defaults. Limits are kept per node.
	RateLimits ratelimit.Policy
	// TrustedProxies are the reverse proxies (addresses or CIDR prefixes)
	// whose X-Forwarded-For names the client; from any other peer the
	// header is ignored. Flag -trusted-proxies, env
	// TONGBAN_TRUSTED_PROXIES (separated by commas or spaces). Default
	// none: every client is its TCP peer.
	TrustedProxies ratelimit.Proxies
}

// LicenseKeyDir is where the license signing keys are kept.
func (c *Config) LicenseKeyDir() string {
	if c.LicenseKeys != "" {
		return c.LicenseKeys
	}
	return filepath.Join(c.DataDir, "license-keys")
}

// LedgerKeyFile is where the ledger keys are kept when LedgerKey is empty.
func (c *Config) LedgerKeyFile() string { return filepath.Join(c.DataDir, "ledger.key") }

// BlobOptions returns what blob.Open needs to open the configured store.
// An S3 store spools uploads in <DataDir>/tmp while it checks them.
func (c *Config) BlobOptions() blob.Options {
	return blob.Options{
		URL:       c.BlobStore,
		AccessKey: c.BlobAccessKey,
		SecretKey: c.BlobSecretKey,
		TempDir:   filepath.Join(c.DataDir, "tmp"),
	}
}

// Load parses args (without the program and subcommand names) and the
// environment into a validated Config. fs may carry extra flags of the
// subcommand; they are parsed with the rest.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (*Config, error) {
	c := &Config{}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if p := getenv(name + "_FILE"); p != "" {
			b, err := os.ReadFile(p)
			if err == nil {
				return strings.TrimSpace(string(b))
			}
		}
		return def
	}
	envBool := func(name string) bool {
		v := strings.ToLower(getenv(name))
		return v == "1" || v == "true" || v == "yes"
	}
	// A duration in the environment that does not parse is an error, as
	// it is on the command line, not a silent default.
	var durErr error
	envDur := func(name string, def time.Duration) time.Duration {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				if durErr == nil {
					durErr = fmt.Errorf("config: %s %q is not a duration such as 90s, 30m or 12h", name, v)
				}
				return def
			}
			return d
		}
		return def
	}
	// A secret file that cannot be read is an error, not a silent
	// default.
	for _, name := range []string{"TONGBAN_DATABASE", "TONGBAN_BLOB_ACCESS_KEY", "TONGBAN_BLOB_SECRET_KEY", "TONGBAN_SMTP_PASSWORD", "TONGBAN_SMS_TOKEN", "TONGBAN_LEDGER_KEY"} {
		if p := getenv(name + "_FILE"); p != "" && getenv(name) == "" {
			if _, err := os.ReadFile(p); err != nil {
				return nil, fmt.Errorf("config: %s_FILE: %w", name, err)
			}
		}
	}
	c.UploadMax = defaultUploadMax
	if v := getenv("TONGBAN_UPLOAD_MAX"); v != "" {
		n, err := parseSize(v)
		if err != nil {
			return nil, fmt.Errorf("config: TONGBAN_UPLOAD_MAX: %w", err)
		}
		c.UploadMax = n
	}
	commitBatch := 0
	if v := getenv("TONGBAN_COMMIT_BATCH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("config: TONGBAN_COMMIT_BATCH %q is not a number", v)
		}
		commitBatch = n
	}
	smtpPort := 587
	rectifyDays := 15
	if v := getenv("TONGBAN_RECTIFY_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("config: TONGBAN_RECTIFY_DAYS %q is not a number", v)
		}
		rectifyDays = n
	}
	if v := getenv("TONGBAN_SMTP_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("config: TONGBAN_SMTP_PORT %q is not a number", v)
		}
		smtpPort = p
	}
	fs.StringVar(&c.Listen, "listen", env("TONGBAN_LISTEN", "127.0.0.1:8080"), "address to listen on (TONGBAN_LISTEN)")
	fs.StringVar(&c.MetricsListen, "metrics-listen", env("TONGBAN_METRICS_LISTEN", ""), "address to serve Prometheus /metrics on, apart from the platform; empty: off (TONGBAN_METRICS_LISTEN)")
	fs.StringVar(&c.Database, "db", env("TONGBAN_DATABASE", ""), "database: sqlite:PATH or postgres://URL; default sqlite in the data directory (TONGBAN_DATABASE, TONGBAN_DATABASE_FILE)")
	fs.StringVar(&c.DataDir, "data", env("TONGBAN_DATA_DIR", "tongban-data"), "data directory for the SQLite file and uploads (TONGBAN_DATA_DIR)")
	fs.StringVar(&c.BaseURL, "base-url", env("TONGBAN_BASE_URL", ""), "public base URL (TONGBAN_BASE_URL)")
	fs.StringVar(&c.Lang, "lang", env("TONGBAN_LANG", "zh-CN"), "default language: zh-CN or en (TONGBAN_LANG)")
	fs.StringVar(&c.TimeZone, "tz", env("TONGBAN_TIMEZONE", "Asia/Shanghai"), "time zone (TONGBAN_TIMEZONE)")
	fs.BoolVar(&c.Demo, "demo", envBool("TONGBAN_DEMO"), "load the demo city and print demo logins; implies -migrate (TONGBAN_DEMO)")
	fs.BoolVar(&c.Migrate, "migrate", envBool("TONGBAN_MIGRATE"), "apply pending migrations at start-up (TONGBAN_MIGRATE)")
	fs.DurationVar(&c.SessionIdle, "session-idle", envDur("TONGBAN_SESSION_IDLE", 30*time.Minute), "idle session expiry (TONGBAN_SESSION_IDLE)")
	fs.DurationVar(&c.SessionMax, "session-max", envDur("TONGBAN_SESSION_MAX", 12*time.Hour), "absolute session expiry (TONGBAN_SESSION_MAX)")
	fs.DurationVar(&c.WarningScanEvery, "warning-scan-every", envDur("TONGBAN_WARNING_SCAN_EVERY", time.Minute), "time between two scans for late tasks (TONGBAN_WARNING_SCAN_EVERY)")
	fs.DurationVar(&c.RatingAmendWindow, "rating-amend-window", envDur("TONGBAN_RATING_AMEND_WINDOW", 7*24*time.Hour), "how long a service rating may be amended (TONGBAN_RATING_AMEND_WINDOW)")
	fs.IntVar(&c.RectifyDays, "rectify-days", rectifyDays, "working days a department has to answer a bad rating (TONGBAN_RECTIFY_DAYS)")
	fs.StringVar(&c.BlobStore, "blob-store", env("TONGBAN_BLOB_STORE", ""), "uploaded files: file:DIR or s3://BUCKET/PREFIX?endpoint=HOST:PORT; default file:<data>/blobs (TONGBAN_BLOB_STORE; keys in TONGBAN_BLOB_ACCESS_KEY, TONGBAN_BLOB_SECRET_KEY)")
	fs.IntVar(&c.CommitBatch, "commit-batch", commitBatch, "most concurrent submissions or decisions sharing one commit; 1: group commit off; 0: 64 on SQLite, 1 on PostgreSQL (TONGBAN_COMMIT_BATCH)")
	fs.Var((*byteSize)(&c.UploadMax), "upload-max", "largest upload `size`, e.g. 20MiB (TONGBAN_UPLOAD_MAX)")
	c.BlobAccessKey = env("TONGBAN_BLOB_ACCESS_KEY", "")
	c.BlobSecretKey = env("TONGBAN_BLOB_SECRET_KEY", "")
	fs.StringVar(&c.SMTPHost, "smtp-host", env("TONGBAN_SMTP_HOST", ""), "mail server for notice emails; empty: email off (TONGBAN_SMTP_HOST)")
	fs.IntVar(&c.SMTPPort, "smtp-port", smtpPort, "mail server port (TONGBAN_SMTP_PORT)")
	fs.StringVar(&c.SMTPUsername, "smtp-username", env("TONGBAN_SMTP_USERNAME", ""), "mail server user; the password comes from TONGBAN_SMTP_PASSWORD(_FILE) (TONGBAN_SMTP_USERNAME)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", env("TONGBAN_SMTP_FROM", ""), "sender of notice emails, e.g. \"通办 <noreply@example.gov.cn>\" (TONGBAN_SMTP_FROM)")
	fs.StringVar(&c.SMSURL, "sms-url", env("TONGBAN_SMS_URL", ""), "SMS gateway URL; empty: SMS off; the token comes from TONGBAN_SMS_TOKEN(_FILE) (TONGBAN_SMS_URL)")
	fs.StringVar(&c.LedgerOrigin, "ledger-origin", env("TONGBAN_LEDGER_ORIGIN", ""), "ledger origin for new keys; default <base-url host>/ledger (TONGBAN_LEDGER_ORIGIN)")
	fs.DurationVar(&c.LedgerEvery, "ledger-every", envDur("TONGBAN_LEDGER_EVERY", time.Second), "how often pending ledger entries are integrated (TONGBAN_LEDGER_EVERY)")
	c.LedgerKey = env("TONGBAN_LEDGER_KEY", "")
	fs.StringVar(&c.LicenseKeys, "license-keys", env("TONGBAN_LICENSE_KEYS", ""), "directory of the departments' license signing keys; default <data>/license-keys (TONGBAN_LICENSE_KEYS)")
	for _, w := range strings.FieldsFunc(env("TONGBAN_LEDGER_WITNESSES", ""), func(r rune) bool { return r == '\n' || r == ';' }) {
		if w = strings.TrimSpace(w); w != "" {
			c.LedgerWitnesses = append(c.LedgerWitnesses, w)
		}
	}
	c.LedgerVerifyEvery = time.Hour
	if v := getenv("TONGBAN_LEDGER_VERIFY_EVERY"); v != "" {
		if err := (offDuration{&c.LedgerVerifyEvery}).Set(v); err != nil {
			return nil, fmt.Errorf("config: TONGBAN_LEDGER_VERIFY_EVERY: %w", err)
		}
	}
	fs.Var(offDuration{&c.LedgerVerifyEvery}, "ledger-verify-every", "how often serve verifies the store against the ledger, or off (TONGBAN_LEDGER_VERIFY_EVERY)")
	witnessFlag := false
	fs.Func("ledger-witness", "a witness to submit ledger checkpoints to, \"URL VKEY\"; repeatable, replaces the environment's list (TONGBAN_LEDGER_WITNESSES, separated by newlines or ;)", func(s string) error {
		if !witnessFlag {
			c.LedgerWitnesses, witnessFlag = nil, true
		}
		c.LedgerWitnesses = append(c.LedgerWitnesses, strings.TrimSpace(s))
		return nil
	})
	c.RateLimits = ratelimit.Policy{}
	for _, r := range strings.FieldsFunc(env("TONGBAN_RATE_LIMITS", ""), func(r rune) bool { return r == '\n' || r == ';' || r == ',' }) {
		if r = strings.TrimSpace(r); r != "" {
			if err := c.RateLimits.Set(r); err != nil {
				return nil, fmt.Errorf("config: TONGBAN_RATE_LIMITS: %w", err)
			}
		}
	}
	fs.Var(c.RateLimits, "rate-limit", "a rate limit, CLASS=N/DURATION or CLASS=off; repeatable; classes: "+strings.Join(ratelimit.Classes(), ", ")+" (TONGBAN_RATE_LIMITS, separated by ;)")
	proxies, err := ratelimit.ParseProxies(env("TONGBAN_TRUSTED_PROXIES", ""))
	if err != nil {
		return nil, fmt.Errorf("config: TONGBAN_TRUSTED_PROXIES: %w", err)
	}
	c.TrustedProxies = proxies
	fs.Func("trusted-proxies", "reverse proxies whose X-Forwarded-For is believed: addresses or CIDR prefixes, comma-separated; default none (TONGBAN_TRUSTED_PROXIES)", func(s string) error {
		p, err := ratelimit.ParseProxies(s)
		c.TrustedProxies = p
		return err
	})
	c.SMTPPassword = env("TONGBAN_SMTP_PASSWORD", "")
	c.SMSToken = env("TONGBAN_SMS_TOKEN", "")
	if durErr != nil {
		return nil, durErr
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	secure := getenv("TONGBAN_SECURE_COOKIES")
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.SecureCookies = strings.HasPrefix(c.BaseURL, "https://")
	if secure != "" {
		c.SecureCookies = secure == "1" || strings.EqualFold(secure, "true")
	}
	return c, nil
}

// Validate checks the configuration, fills derived fields and defaults that
// depend on other fields, and returns every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen address %q: %v", c.Listen, err))
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			errs = append(errs, fmt.Errorf("metrics listen address %q: %v", c.MetricsListen, err))
		} else if c.MetricsListen == c.Listen {
			errs = append(errs, fmt.Errorf("metrics listen address %q is the platform's own: give the metrics an address of their own", c.MetricsListen))
		}
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data directory must not be empty"))
	}
	if c.Database == "" {
		c.Database = "sqlite:" + filepath.Join(c.DataDir, "tongban.db")
	}
	if !strings.HasPrefix(c.Database, "sqlite:") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		errs = append(errs, errors.New("database must start with sqlite: or postgres://"))
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base URL %q must be an absolute http(s) URL", c.BaseURL))
	}
	switch c.Lang {
	case "zh-CN", "en":
	default:
		errs = append(errs, fmt.Errorf("language %q: want zh-CN or en", c.Lang))
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		errs = append(errs, fmt.Errorf("time zone %q: %v", c.TimeZone, err))
	}
	c.Location = loc
	if c.SessionIdle <= 0 || c.SessionMax <= 0 || c.SessionIdle > c.SessionMax {
		errs = append(errs, errors.New("session expiry: want 0 < idle <= max"))
	}
	if c.WarningScanEvery == 0 {
		c.WarningScanEvery = time.Minute
	}
	if c.WarningScanEvery < time.Second || c.WarningScanEvery > 24*time.Hour {
		errs = append(errs, fmt.Errorf("warning scan interval %s: want between 1s and 24h", c.WarningScanEvery))
	}
	if c.RatingAmendWindow == 0 {
		c.RatingAmendWindow = 7 * 24 * time.Hour
	}
	if c.RatingAmendWindow < time.Hour || c.RatingAmendWindow > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("rating amendment window %s: want between 1h and 720h", c.RatingAmendWindow))
	}
	if c.RectifyDays == 0 {
		c.RectifyDays = 15
	}
	if c.RectifyDays < 1 || c.RectifyDays > 60 {
		errs = append(errs, fmt.Errorf("rectification deadline %d working days: want between 1 and 60", c.RectifyDays))
	}
	if c.BlobStore == "" {
		c.BlobStore = "file:" + filepath.Join(c.DataDir, "blobs")
	}
	if loc, err := blob.ParseURL(c.BlobStore); err != nil {
		errs = append(errs, err)
	} else if loc.S3 != nil && (c.BlobAccessKey == "" || c.BlobSecretKey == "") {
		errs = append(errs, errors.New("blob store: s3 needs TONGBAN_BLOB_ACCESS_KEY and TONGBAN_BLOB_SECRET_KEY (or their _FILE variants)"))
	}
	if c.UploadMax == 0 {
		c.UploadMax = defaultUploadMax
	}
	if c.UploadMax < minUpload || c.UploadMax > maxUpload {
		errs = append(errs, fmt.Errorf("upload size limit %s: want between %s and %s", byteSize(c.UploadMax), byteSize(minUpload), byteSize(maxUpload)))
	}
	if c.CommitBatch < 0 || c.CommitBatch > 64 {
		errs = append(errs, fmt.Errorf("commit batch %d: want between 1 and 64, or 0 for the database's default", c.CommitBatch))
	}
	if c.Demo {
		c.Migrate = true
	}
	if c.LedgerOrigin == "" {
		if u, err := url.Parse(c.BaseURL); err == nil {
			c.LedgerOrigin = u.Host + strings.TrimRight(u.Path, "/") + "/ledger"
		}
	}
	if c.LedgerOrigin == "" || strings.ContainsAny(c.LedgerOrigin, " +\t\n") {
		errs = append(errs, fmt.Errorf("ledger origin %q: want a schema-less URL without spaces or +, such as zwfw.example.gov.cn/ledger", c.LedgerOrigin))
	}
	if c.LedgerEvery <= 0 {
		c.LedgerEvery = time.Second
	}
	if c.LedgerVerifyEvery < 0 || c.LedgerVerifyEvery > 0 && c.LedgerVerifyEvery < time.Minute {
		errs = append(errs, fmt.Errorf("ledger verification interval %s: want off or at least 1m", c.LedgerVerifyEvery))
	}
	for _, w := range c.LedgerWitnesses {
		f := strings.Fields(w)
		if len(f) != 2 {
			errs = append(errs, fmt.Errorf("ledger witness %q: want \"URL VKEY\"", w))
			continue
		}
		if u, err := url.Parse(f[0]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("ledger witness %q: the URL must be an absolute http(s) URL", w))
		}
	}
	errs = append(errs, c.validateNotify()...)
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// The range of UploadMax: below 1 KiB no scan is small enough, and above
// 1 GiB the value is more likely a typing error than a decision.
const (
	defaultUploadMax = 20 << 20
	minUpload        = 1 << 10
	maxUpload        = 1 << 30
)

// byteSize is a size in bytes as a flag: "20971520", "512KiB", "20MiB" or
// "1GiB". K, M and G, with or without B, are read as the binary units too.
type byteSize int64

// String writes the size in the largest unit that divides it.
func (b byteSize) String() string {
	n := int64(b)
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// sizeUnits are checked in order, so every suffix comes before the shorter
// ones it ends with.
var sizeUnits = []struct {
	suffix string
	shift  int
}{
	{"GiB", 30}, {"GB", 30}, {"G", 30},
	{"MiB", 20}, {"MB", 20}, {"M", 20},
	{"KiB", 10}, {"KB", 10}, {"K", 10},
	{"B", 0},
}

func parseSize(s string) (int64, error) {
	num, shift := strings.TrimSpace(s), 0
	for _, u := range sizeUnits {
		if len(num) > len(u.suffix) && strings.EqualFold(num[len(num)-len(u.suffix):], u.suffix) {
			num, shift = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, or of KiB, MiB or GiB", s)
	}
	return n << shift, nil
}

// validateNotify checks the email and SMS settings: each channel is off
// unless its server is named, and a half-configured channel is an error
// rather than a channel that silently never sends.
func (c *Config) validateNotify() []error {
	var errs []error
	if c.SMTPHost == "" {
		if c.SMTPUsername != "" || c.SMTPPassword != "" || c.SMTPFrom != "" {
			errs = append(errs, errors.New("smtp: username, password or from is set but smtp-host is empty"))
		}
	} else {
		if strings.ContainsAny(c.SMTPHost, ":/ ") {
			errs = append(errs, fmt.Errorf("smtp host %q: give the host name alone, and the port with -smtp-port", c.SMTPHost))
		}
		if c.SMTPPort < 1 || c.SMTPPort > 65535 {
			errs = append(errs, fmt.Errorf("smtp port %d: want 1-65535", c.SMTPPort))
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			errs = append(errs, fmt.Errorf("smtp from %q: want an address such as \"通办 <noreply@example.gov.cn>\"", c.SMTPFrom))
		}
		if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
			errs = append(errs, errors.New("smtp: set both the username and TONGBAN_SMTP_PASSWORD(_FILE), or neither"))
		}
	}
	if c.SMSURL == "" {
		if c.SMSToken != "" {
			errs = append(errs, errors.New("sms: a token is set but sms-url is empty"))
		}
	} else {
		if u, err := url.Parse(c.SMSURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			errs = append(errs, errors.New("sms url: want an absolute http(s) URL without credentials (the token goes in TONGBAN_SMS_TOKEN)"))
		}
		if c.SMSToken == "" {
			errs = append(errs, errors.New("sms: set TONGBAN_SMS_TOKEN or TONGBAN_SMS_TOKEN_FILE"))
		}
	}
	return errs
}

// offDuration is a duration flag that also takes "off" for zero.
type offDuration struct{ d *time.Duration }

func (o offDuration) String() string {
	if o.d == nil || *o.d == 0 {
		return "off"
	}
	return o.d.String()
}

func (o offDuration) Set(s string) error {
	if s == "off" {
		*o.d = 0
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*o.d = d
	return nil
}
