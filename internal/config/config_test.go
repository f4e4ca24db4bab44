package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.args, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%q) = %v, want error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
