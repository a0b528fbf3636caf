package dialect

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite://ctxschema.db":                                    "sqlite://ctxschema.db",
		"postgres://u:secret@h:5432/db?sslmode=disable":            "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db?password=secret":                        "postgres://u@h/db?password=xxxxx",
		"postgres://u@h/db?sslpassword=secret&sslmode=require":     "postgres://u@h/db?sslmode=require&sslpassword=xxxxx",
		"postgres://u:secret@h:port/db":                            "postgres://u:xxxxx@h:port/db",
		"postgres://u:secret@h:5432/db?sslmode=disable&schema=crm": "postgres://u:xxxxx@h:5432/db?sslmode=disable&schema=crm",
	} {
		got := Redact(in)
		if got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "secret") {
			t.Errorf("Redact(%q) leaks the password: %q", in, got)
		}
	}
}

func TestLookup(t *testing.T) {
	r := NewRegistry()
	for _, u := range []string{"nonsense", "mysql://root@h/db", "://x"} {
		if _, err := r.Lookup(u); err == nil {
			t.Errorf("Lookup(%q) succeeded", u)
		}
	}
}
