package dialect

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite://ctxschema.db":                                    "sqlite://ctxschema.db",
		"sqlite:///abs/ctxschema.db?mode=ro":                       "sqlite:///abs/ctxschema.db?mode=ro",
		"postgres://u@h:5432/db?sslmode=disable":                   "postgres://u@h:5432/db?sslmode=disable",
		"postgres://u:secret@h:5432/db?sslmode=disable":            "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db?password=secret":                        "postgres://u@h/db?password=xxxxx",
		"postgres://u@h/db?sslpassword=secret&sslmode=require":     "postgres://u@h/db?sslpassword=xxxxx&sslmode=require",
		"postgres://u:secret@h:port/db":                            "postgres://u:xxxxx@h:port/db",
		"postgres://u:secret@h:5432/db?sslmode=disable&schema=crm": "postgres://u:xxxxx@h:5432/db?sslmode=disable&schema=crm",
		"postgres://u:p@secret@h:bad/db?sslpassword=secret":        "postgres://u:xxxxx@h:bad/db?sslpassword=xxxxx",
		// Parameter names in any case, encoded keys, ; separators.
		"postgres://u@h/db?PASSWORD=secret&sslmode=disable": "postgres://u@h/db?PASSWORD=xxxxx&sslmode=disable",
		"postgres://u@h/db?p%61ssword=secret":               "postgres://u@h/db?password=xxxxx",
		"postgres://u@h/db?sslmode=disable;password=secret": "postgres://u@h/db?sslmode=disable;password=xxxxx",
		"sqlite://x.db?_auth_user=a&_auth_pass=secret":      "sqlite://x.db?_auth_user=a&_auth_pass=xxxxx",
		// Malformed and truncated URLs.
		"postgres:/root:secret@127.0.0.1/x":  "postgres:/root:xxxxx@127.0.0.1/x",
		"postgres//root:secret@127.0.0.1/x":  "postgres//root:xxxxx@127.0.0.1/x",
		"postgres://root:secret":             "postgres://root:xxxxx",
		"postgres://root:secret/db":          "postgres://root:xxxxx/db",
		"postgres:root:secret@h":             "postgres:xxxxx@h",
		"root:secret@h/db":                   "root:xxxxx@h/db",
		"postgres://root:se cret@h/db":       "postgres://root:xxxxx@h/db",
		"postgres://root:se/cret@h/db":       "postgres://root:xxxxx@h/db",
		"postgres://root:secret@h/db?x=a@b":  "postgres://root:xxxxx@h/db?x=a@b",
		"--db=postgres://root:secret@h/db":   "--db=postgres:xxxxx@h/db",
		"postgres://h:5432":                  "postgres://h:5432",
		"postgres://h:5432/db":               "postgres://h:5432/db",
		"nonsense":                           "nonsense",
		"host=127.0.0.1 password=secret":     "host=127.0.0.1 password=xxxxx",
		"host=h PassWord = 'se cret' user=u": "host=h PassWord = xxxxx user=u",
		"password=secret":                    "password=xxxxx",
	} {
		got := Redact(in)
		if got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "secret") || strings.Contains(got, "cret") {
			t.Errorf("Redact(%q) leaks the password: %q", in, got)
		}
	}
}

// TestRedactShortCut checks redact's short cut: text without a colon or an
// equals sign holds no password that the full redaction would find, here
// every input of TestRedact with them removed or replaced.
func TestRedactShortCut(t *testing.T) {
	inputs := []string{"nonsense", "version", "--dir", "./schemas", "pass word", "password secret",
		"u@h", "root secret@h/db", "postgres//root@h/db", "PASSWORD secret", "p%61ssword%3Dsecret", "p%3Aw@h"}
	for _, in := range []string{
		"postgres://u:secret@h:5432/db?sslmode=disable", "postgres://u@h/db?password=secret",
		"postgres://u:p@secret@h:bad/db?sslpassword=secret", "postgres//root:secret@127.0.0.1/x",
		"root:secret@h/db", "host=h PassWord = 'se cret' user=u", "sqlite://x.db?_auth_user=a&_auth_pass=secret",
	} {
		inputs = append(inputs, strings.NewReplacer(":", "", "=", "").Replace(in),
			strings.NewReplacer(":", " ", "=", " ").Replace(in), strings.NewReplacer(":", "/", "=", "/").Replace(in))
	}
	for _, in := range inputs {
		got, found := redactText(in)
		if got != in || len(found) > 0 {
			t.Errorf("redactText(%q) = %q, %q: the short cut of redact would miss it", in, got, found)
		}
		if got, found := redact(in); got != in || found != nil {
			t.Errorf("redact(%q) = %q, %q, want it unchanged", in, got, found)
		}
	}
}

func TestSecrets(t *testing.T) {
	got := Secrets("postgres://u:p%40ss%2Fw0rd@h/db")
	for _, want := range []string{"p%40ss%2Fw0rd", "p@ss/w0rd", "p%40ss%2Fw0rd"} {
		if !contains(got, want) {
			t.Errorf("Secrets misses %q: %q", want, got)
		}
	}
	if got := Secrets("sqlite://x.db"); got != nil {
		t.Errorf("Secrets of a URL without password = %q", got)
	}
}

func TestScrubber(t *testing.T) {
	s := NewScrubber("--dir", "postgres://root:S3cr%65tPw@h/db", "text", "pw=a", "postgres://u:pw@h/db")
	in := `plan takes no arguments, got "postgres://root:S3cr%65tPw@h/db"; FATAL: password "S3cretPw" for root; --dir text`
	want := `plan takes no arguments, got "postgres://root:xxxxx@h/db"; FATAL: password "xxxxx" for root; --dir text`
	if got := s.Scrub(in); got != want {
		t.Errorf("Scrub = %q, want %q", got, want)
	}
	// A password of fewer than four bytes is scrubbed only as part of its URL.
	if got := s.Scrub("pw postgres://u:pw@h/db"); got != "pw postgres://u:xxxxx@h/db" {
		t.Errorf("short password: %q", got)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestLookup(t *testing.T) {
	r := NewRegistry()
	for _, u := range []string{"nonsense", "mysql://root@h/db", "://x"} {
		if _, err := r.Lookup(u); err == nil {
			t.Errorf("Lookup(%q) succeeded", u)
		}
	}
}
