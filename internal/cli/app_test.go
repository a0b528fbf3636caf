package cli

import (
	"bytes"
	"fmt"
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

// TestListings: each command's listing, which --help and completion show
// for a command NewAppFor does not build, is the command's own name and
// usage.
func TestListings(t *testing.T) {
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	for _, l := range listings() {
		cmd := l.build(e)
		if cmd.Name != l.name || cmd.Usage != l.usage || cmd.Hidden || cmd.Category != "" || len(cmd.Aliases) > 0 {
			t.Errorf("the listing of ctxschema %s is %q %q, the command %q %q (hidden %v, category %q, aliases %q): make them agree",
				l.name, l.name, l.usage, cmd.Name, cmd.Usage, cmd.Hidden, cmd.Category, cmd.Aliases)
		}
	}
}

// TestNewAppFor: NewAppFor builds only the commands its arguments name,
// and the application it builds answers as NewApp's does: help, the
// commands' help, completion, an unknown command, version.
func TestNewAppFor(t *testing.T) {
	app := NewAppFor([]string{"ctxschema", "version"}, strings.NewReader(""), io.Discard, io.Discard)
	for _, cmd := range app.Commands {
		if built := cmd.Flags != nil || cmd.CustomHelpTemplate != ""; built != (cmd.Name == "version") {
			t.Errorf("NewAppFor(ctxschema version): command %s built %v", cmd.Name, built)
		}
	}
	runs := [][]string{
		{"--help"}, {"-h"}, {"help"}, {"--version"}, {"version"}, {"nosuch"}, {},
		{"--generate-bash-completion"}, {"plan", "--generate-bash-completion"},
		{"plan", "--dir", "version", "--help"},
		// A command named otherwise than first.
		{"help", "plan"}, {"plan", "help"}, {"h"}, {"help", "help"}, {"help", "nosuch"},
		{"completion", "bash"}, {"completion", "zsh"}, {"-v"}, {"--version", "plan"}, {"plan", "-h"},
		{"--"}, {"--", "plan", "--help"}, {"nosuch", "--help"}, {"--generate-bash-completion", "plan"},
		{"mode", "--help"}, {"mode", "help"}, {"help", "mode"}, {"-h", "apply"}, {"--help", "--help"},
		{"pla"}, {"help", "--generate-bash-completion"}, {"history", "-h"}, {"fmt", "-h"}, {"diff", "help"},
	}
	for _, l := range listings() {
		runs = append(runs, []string{l.name, "--help"}, []string{"--help", l.name}, []string{l.name, "-", "--generate-bash-completion"})
	}
	for _, r := range runs {
		args := append([]string{"ctxschema"}, r...)
		var want, got [2]bytes.Buffer
		wantErr := NewApp(strings.NewReader(""), &want[0], &want[1]).Run(args)
		gotErr := NewAppFor(args, strings.NewReader(""), &got[0], &got[1]).Run(args)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || got[0].String() != want[0].String() || got[1].String() != want[1].String() {
			t.Errorf("%q: NewAppFor answers\n%s%s%v\nNewApp\n%s%s%v", r, &got[0], &got[1], gotErr, &want[0], &want[1], wantErr)
		}
		if want[0].Len()+want[1].Len() == 0 && wantErr == nil && len(r) > 0 && r[len(r)-1] != "--generate-bash-completion" {
			t.Errorf("%q: NewApp answers nothing; the comparison shows nothing", r)
		}
	}
}
