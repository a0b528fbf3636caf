package cli

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// The help of a command with --db shows the built-in default, never a URL
// from the environment, which may hold a password.
func TestDBFlagHelpHidesEnvironment(t *testing.T) {
	t.Setenv("CTXSCHEMA_DB", "postgres://admin:s3cret@db.example:5432/cs")
	var stdout, stderr bytes.Buffer
	app := NewApp(strings.NewReader(""), &stdout, &stderr)
	app.Commands = append(app.Commands, &ucli.Command{
		Name:   "probe",
		Flags:  []ucli.Flag{dbFlag(), dirFlag()},
		Action: func(*ucli.Context) error { return nil },
	})
	if err := app.Run([]string{"ctxschema", "probe", "--help"}); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if strings.Contains(out, "s3cret") {
		t.Errorf("help shows the password from CTXSCHEMA_DB:\n%s", out)
	}
	if !strings.Contains(out, `(default: sqlite://ctxschema.db) [$CTXSCHEMA_DB]`) {
		t.Errorf("help does not show the --db default and variable:\n%s", out)
	}
}

// The flags read their environment variables, and a flag on the command
// line wins.
func TestSharedFlags(t *testing.T) {
	t.Setenv("CTXSCHEMA_DB", "sqlite://env.db")
	var got struct{ db, dir string }
	var stdout, stderr bytes.Buffer
	app := NewApp(strings.NewReader(""), &stdout, &stderr)
	app.Commands = append(app.Commands, &ucli.Command{
		Name:  "probe",
		Flags: []ucli.Flag{dbFlag(), dirFlag()},
		Action: func(c *ucli.Context) error {
			got.db, got.dir = c.String("db"), c.String("dir")
			return nil
		},
	})
	if err := app.Run([]string{"ctxschema", "probe"}); err != nil {
		t.Fatal(err)
	}
	if got.db != "sqlite://env.db" || got.dir != "./schemas" {
		t.Errorf("got db %q dir %q", got.db, got.dir)
	}
	if err := app.Run([]string{"ctxschema", "probe", "--db", "sqlite://flag.db", "--dir", "s"}); err != nil {
		t.Fatal(err)
	}
	if got.db != "sqlite://flag.db" || got.dir != "s" {
		t.Errorf("got db %q dir %q", got.db, got.dir)
	}
}

// TestEveryCommandListsExitCodes: every command's --help ends with the
// exit codes it can return, 0 first; a new command needs its own list.
func TestEveryCommandListsExitCodes(t *testing.T) {
	for _, cmd := range NewApp(strings.NewReader(""), io.Discard, io.Discard).Commands {
		if cmd.Hidden {
			continue
		}
		if !strings.Contains(cmd.CustomHelpTemplate, "\nEXIT CODES:\n   0  ") {
			t.Errorf("ctxschema %s --help lists no exit codes; set CustomHelpTemplate: commandHelp(…)", cmd.Name)
		}
	}
}

// TestDevNullIsNotATerminal: /dev/null is a character device, yet nobody
// can answer a prompt there.
func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("isTerminal(%s) = true, want false", os.DevNull)
	}
}
