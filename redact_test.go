package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxschema/ctxschema/internal/cli"
	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// TestNoPasswordInOutput feeds a password through every command, in every
// shape a user may give a database URL (malformed, truncated, a keyword
// string, percent-encoded, a mistyped parameter) and every place it may
// land (--db, --db=, CTXSCHEMA_DB, after a flag that lacks its value, as an
// argument), runs the real app, and requires the password on neither
// stdout nor stderr.
func TestNoPasswordInOutput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll(filepath.Join(dir, "s"), 0o755); err != nil {
		t.Fatal(err)
	}
	schema := "profile:\n  attributes:\n    - { name: FirstName, type: string }\n"
	if err := os.WriteFile(filepath.Join(dir, "s", "s.yaml"), []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	const pw = "S3cretPw"
	leaks := []string{pw, "S3cr%65tPw", "S3cr", "cretPw"}
	urls := [][]string{
		{"postgres://root:" + pw + "@127.0.0.1:1/x?sslmode=disable"},
		{"postgresql://root:S3cr%65tPw@127.0.0.1:1/x?sslmode=disable"},
		{"postgres://root@127.0.0.1:1/x?sslmode=disable&password=" + pw},
		{"postgres://root@127.0.0.1:1/x?sslmode=disable&PASSWORD=" + pw},
		{"postgres://root@127.0.0.1:1/x?sslmode=disable;sslpassword=" + pw},
		{"postgres:/root:" + pw + "@127.0.0.1:1/x"},
		{"postgres//root:" + pw + "@127.0.0.1:1/x"},
		{"postgres://root:" + pw},
		{"postgres://root:" + pw + "/x"},
		{"postgres://root:" + pw + "@127.0.0.1:port/x"},
		{"root:" + pw + "@127.0.0.1:1/x"},
		{"host=127.0.0.1 port=1 password=" + pw},
		{"host=127.0.0.1", "password=" + pw}, // unquoted in a shell script
		{"sqlite://" + filepath.Join(dir, "t.db") + "?_auth_user=a&_auth_pass=" + pw},
		{"sqlite://" + filepath.Join(dir, "no", "dir", "t.db") + "?_auth_pass=" + pw},
	}
	if os.Getenv("CTXSCHEMA_TEST_POSTGRES") != "" {
		db := pgtest.NewDatabase(t)
		urls = append(urls,
			[]string{db + "&PASSWORD=" + pw},
			[]string{db + "&password=" + pw}, // trust authentication: it connects
		)
	}
	commands := [][]string{
		{"validate", "--dir", "s"},
		{"plan", "--dir", "s"},
		{"plan", "--dir", "s", "--format", "sql", "-v"},
		{"plan", "--dir", "s", "--out", "plan.json"},
		{"apply", "--dir", "s", "--auto-approve"},
		{"apply", "--dir", "s"},
		{"apply", "plan.json"},
		{"mode"},
		{"mode", "production"},
		{"history"},
		{"history", "--format", "json", "-v"},
		{"inspect"},
		{"inspect", "--out", "out"},
		{"plan", "--dir", "s", "--drift-only"},
		{"show", "plan.json"},
		{"fmt", "--dir", "s", "--check"},
		{"diff", "s", "s"},
		{"version"},
		{"completion", "bash"},
		// An invalid port: serve opens the database, then fails to listen.
		{"serve", "--listen", "127.0.0.1:99999"},
	}
	// Every command of the app is in the table, so that a new one is too.
	covered := map[string]bool{}
	for _, c := range commands {
		covered[c[0]] = true
	}
	for _, c := range cli.NewApp(strings.NewReader(""), io.Discard, io.Discard).Commands {
		if !covered[c.Name] {
			t.Errorf("command %s is missing from the table of this test", c.Name)
		}
	}
	// How the URL reaches the command; the command's own arguments follow
	// the flags (mode production, diff A B) or are left out.
	type placing func(cmd []string, url []string) []string
	flags := func(cmd []string) (name string, fl, args []string) {
		name, rest := cmd[0], cmd[1:]
		for len(rest) > 0 && strings.HasPrefix(rest[0], "-") {
			n := 1
			if len(rest) > 1 && rest[0] != "-v" && rest[0] != "--auto-approve" {
				n = 2
			}
			fl, rest = append(fl, rest[:n]...), rest[n:]
		}
		return name, fl, rest
	}
	placings := map[string]placing{
		"--db": func(cmd, url []string) []string {
			n, fl, args := flags(cmd)
			return join([]string{n}, fl, []string{"--db"}, url, args)
		},
		"--db=": func(cmd, url []string) []string {
			n, fl, args := flags(cmd)
			return join([]string{n}, fl, []string{"--db=" + strings.Join(url, " ")}, args)
		},
		"env":          nil,
		"project file": nil,
		"missing value": func(cmd, url []string) []string {
			n, fl, args := flags(cmd)
			return join([]string{n}, fl, []string{"--dir", "--db"}, url, args)
		},
		"missing format": func(cmd, url []string) []string {
			n, fl, args := flags(cmd)
			return join([]string{n}, fl, []string{"--format", "--db"}, url, args)
		},
		"missing out": func(cmd, url []string) []string {
			n, fl, args := flags(cmd)
			return join([]string{n}, fl, []string{"--out", "--db"}, url, args)
		},
		"missing lock-timeout": func(cmd, url []string) []string {
			n, fl, args := flags(cmd)
			return join([]string{n}, fl, []string{"--lock-timeout", "--db"}, url, args)
		},
		"argument": func(cmd, url []string) []string { return join(cmd, url) },
		"after the arguments": func(cmd, url []string) []string {
			return join(cmd, []string{"--db"}, url)
		},
	}
	runs := 0
	for _, url := range urls {
		for _, cmd := range commands {
			for name, place := range placings {
				args := cmd
				t.Setenv("CTXSCHEMA_DB", "sqlite://"+filepath.Join(dir, "env.db"))
				switch {
				case name == "project file":
					t.Setenv("CTXSCHEMA_DB", "")
					q, _ := json.Marshal(strings.Join(url, " "))
					project := "environments:\n  p:\n    db: " + string(q) + "\n    dir: s\n"
					if err := os.WriteFile(filepath.Join(dir, ".ctxschema.yaml"), []byte(project), 0o644); err != nil {
						t.Fatal(err)
					}
					args = join(cmd, []string{"--env", "p"})
					if n, fl, rest := flags(cmd); len(rest) > 0 {
						args = join([]string{n}, fl, []string{"--env", "p"}, rest)
					}
				case place == nil:
					t.Setenv("CTXSCHEMA_DB", strings.Join(url, " "))
				default:
					args = place(cmd, url)
				}
				var stdout, stderr bytes.Buffer
				code := run(append([]string{"ctxschema"}, args...), strings.NewReader(""), &stdout, &stderr)
				runs++
				for _, leak := range leaks {
					if strings.Contains(stdout.String()+stderr.String(), leak) {
						t.Errorf("%s (%s) exit %d prints the password:\nstdout: %s\nstderr: %s", strings.Join(args, " "), name, code, stdout.String(), stderr.String())
						break
					}
				}
			}
		}
	}
	t.Logf("%d runs", runs)
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
