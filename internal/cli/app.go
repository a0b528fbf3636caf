// Package cli is the command-line interface of ctxschema: the urfave/cli
// application, its shared flags, and one file per command (cmd_*.go). It
// parses flags into options and calls the library packages; it never exits
// the process: errors are returned to main, which prints them once and maps
// them to the exit codes.
package cli

import (
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/schemafile"
	"github.com/ctxschema/ctxschema/plan"
)

// env is what every command writes to and reads from; commands never touch
// os.Stdout or os.Stderr directly, so that tests run them in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// schema, when set, is the schema files already loaded and validated
	// (once for every tenant of a fan-out); loadSchemas returns it.
	schema *schemafile.Result
	// planned, when set, is told each plan a command makes of its
	// database (for a fan-out's count of changes).
	planned func(*plan.Plan)
}

// exitCodes is the exit-code table of SPEC section 4, shown by --help. Keep
// it in step with exitCode in main.go and the README.
const exitCodes = `EXIT CODES:
   0  success; for plan, no changes unless --detailed-exitcode says otherwise
   1  error: database or server unreachable, I/O, a failed apply (rolled back;
      through the API, stopped part way), lock timeout, usage, interrupted
   2  plan or diff --detailed-exitcode: there are changes
   3  refused: the database is in production mode (the 403 rule)
   4  invalid schema files (the 400 rule)
   5  refused as unsafe: a destructive change without --allow-destructive,
      a failing data check, or a stale saved plan
   When several hold, the code is the one to fix first: 4, then 5 for a
   failing data check (even in production mode), then 3, then the other 5s.
   An invalid tenants file or an unknown --tenant exits 4. With --all-tenants,
   the code is the most serious over the tenants: 1, 5, 3, 2, then 0.
`

// exitDoc is one line of the EXIT CODES section of a command's --help:
// an exit code the command can return and what it means there.
type exitDoc struct {
	code    int
	meaning string
}

// Exit codes as most commands describe them.
var (
	exitDocOK    = exitDoc{0, "success"}
	exitDocError = exitDoc{1, "error: database or server unreachable, I/O, usage, lock timeout, interrupted"}
)

// commandHelp is the help template of a command that can exit with the
// codes exits: urfave/cli's, followed by an EXIT CODES section. The
// command that runs builds its own at every start, in one allocation.
func commandHelp(exits ...exitDoc) string {
	const head, indent, gap = "\nEXIT CODES:\n", "   ", "  "
	n := len(ucli.CommandHelpTemplate) + len(head)
	for _, e := range exits {
		n += len(indent) + 1 + len(gap) + len(e.meaning) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(ucli.CommandHelpTemplate)
	b.WriteString(head)
	for _, e := range exits {
		b.WriteString(indent)
		b.WriteString(strconv.Itoa(e.code))
		b.WriteString(gap)
		b.WriteString(e.meaning)
		b.WriteByte('\n')
	}
	return b.String()
}

// NewApp builds the ctxschema application with every command. It reads
// from stdin and writes results to stdout and errors and progress to
// stderr. Running it returns the command's error without printing it and
// without exiting: the caller prints it and maps it to an exit code. A
// command that does work ends its context at SIGINT or SIGTERM (see
// interruptible).
func NewApp(stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	return newApp(nil, stdin, stdout, stderr)
}

// NewAppFor is NewApp for running args (os.Args): only the commands that
// some argument names are built in full, the others only as far as the
// list of commands in --help and shell completion show them (name and
// usage): building all twelve with their flags and hooks was a tenth of
// what a start costs beyond a Go binary that does nothing (BENCHMARKS.md,
// issue 15: start-up (session 4)). Rather than repeat urfave/cli's parsing
// to find the argument that names the command, every command that some
// argument names is built: at worst one more than runs.
func NewAppFor(args []string, stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	return newApp(func(name string) bool { return len(args) > 1 && slices.Contains(args[1:], name) }, stdin, stdout, stderr)
}

// listing is a command as the list of commands in --help shows it, its
// name and usage (the command's own: TestListings checks), and the
// function that builds it.
type listing struct {
	name, usage string
	build       func(*env) *ucli.Command
}

// listings are ctxschema's commands in the order --help lists them.
func listings() []listing {
	return []listing{
		{"validate", "load and check the schema files; no database needed", validateCommand},
		{"plan", "show what apply would change in the database", planCommand},
		{"apply", "make the database match the schema files", applyCommand},
		{"mode", "show or switch the server mode (production refuses every schema change)", modeCommand},
		{"serve", "answer the Context Services metadata API over the database", serveCommand},
		{"history", "list past applies and mode switches", historyCommand},
		{"inspect", "write the live schema as YAML that plan accepts with no changes", inspectCommand},
		{"diff", "compare two schema directories offline, for code review", diffCommand},
		{"show", "print a plan saved by plan --out", showCommand},
		{"fmt", "rewrite schema files in the canonical layout", fmtCommand},
		{"version", "print the version and the source revision the binary was built from", versionCommand},
		{"completion", "print the shell completion script for bash or zsh", completionCommand},
	}
}

// newApp builds the application, each command in full when build is nil
// or true for its name, otherwise as its listing (listedCommand).
func newApp(build func(name string) bool, stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	app := &ucli.App{
		Name:  "ctxschema",
		Usage: "schema-as-code for Genesys Context Services customer profiles",
		Description: "YAML files declare the profile schema, the profile extensions and the\n" +
			"identification keys; plan shows what apply would change in the database;\n" +
			"apply makes the database match, safely.",
		Version: version(),
		// Nothing shows the build time; left zero, urfave/cli would find
		// the executable and stat it at every start to fill it in.
		Compiled:              time.Unix(0, 0).UTC(),
		Reader:                stdin,
		Writer:                stdout,
		ErrWriter:             stderr,
		HideHelpCommand:       true,
		EnableBashCompletion:  true,
		CustomAppHelpTemplate: ucli.AppHelpTemplate + "\n" + exitCodes,
		// urfave/cli would call os.Exit for errors that carry an exit code;
		// main maps errors to exit codes itself.
		ExitErrHandler: func(*ucli.Context, error) {},
		OnUsageError:   usageError,
		// An argument that names no command is an error, not a help topic
		// (urfave/cli's default answers it with its own exit code 3).
		Action: func(c *ucli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("unknown command %s; run 'ctxschema --help' for the list of commands", quoteArg(c.Args().First()))
			}
			return ucli.ShowAppHelp(c)
		},
	}
	app.BashComplete = completeApp(app)
	for _, c := range listings() {
		if build != nil && !build(c.name) {
			app.Commands = append(app.Commands, listedCommand(c.name, c.usage))
			continue
		}
		app.Commands = append(app.Commands, finish(e, c.build(e)))
	}
	return app
}

// finish gives cmd what every command has: the usage error, the tenant
// and project environment flags of a command that takes a database, shell
// completion, and the end of its context at SIGINT or SIGTERM.
func finish(e *env, cmd *ucli.Command) *ucli.Command {
	cmd.OnUsageError = usageError
	has := flagNames(cmd)
	if takesDB(has) {
		cmd.Flags = append(cmd.Flags, tenantFlags(has)...)
	}
	if takesProjectEnv(has) {
		cmd.Flags = append(cmd.Flags, envFlag())
		cmd.Before = selectTenant(e, applyProjectEnv(e))
	}
	if cmd.BashComplete == nil {
		cmd.BashComplete = completeCommand(nil)
	}
	if !printsOnly(cmd) {
		interruptible(cmd)
	}
	return cmd
}

// listedCommand is a command that NewAppFor did not build because no
// argument names it: its listing, and an action that fails, which cannot
// run (urfave/cli runs only a command that an argument names).
func listedCommand(name, usage string) *ucli.Command {
	return &ucli.Command{
		Name:  name,
		Usage: usage,
		Action: func(*ucli.Context) error {
			return fmt.Errorf("internal error: command %s was not built", name)
		},
	}
}

// flagNames is the set of the names of cmd's flags. Flag.Names runs a
// regular expression over each name, and finish asks for several: once
// each is enough.
func flagNames(cmd *ucli.Command) map[string]bool {
	has := map[string]bool{}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			has[n] = true
		}
	}
	return has
}

// usageError replaces urfave/cli's "Incorrect Usage" printout (help text on
// stdout) with one error line, which main prints on stderr.
func usageError(c *ucli.Context, err error, isSubcommand bool) error {
	name := "ctxschema"
	if isSubcommand && c.Command != nil && c.Command.Name != "" {
		name += " " + c.Command.Name
	}
	return fmt.Errorf("%w; run '%s --help' for usage", err, name)
}

// version is the module version the binary was built from, or "devel".
func version() string {
	if bi, ok := buildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// buildInfo is debug.ReadBuildInfo, which parses the build information
// anew at each call, read once: every start reads it for the version.
var buildInfo = sync.OnceValues(debug.ReadBuildInfo)

// dirFlag is the --dir flag of every command that reads schema files.
func dirFlag() *ucli.StringFlag {
	return &ucli.StringFlag{
		Name:    "dir",
		Usage:   "directory of schema files (every *.yaml and *.yml below it, recursively)",
		EnvVars: []string{"CTXSCHEMA_DIR"},
		Value:   "./schemas",
	}
}

// dbFlag is the --db flag of every command that uses a database.
func dbFlag() *ucli.StringFlag {
	const def = "sqlite://ctxschema.db"
	return &ucli.StringFlag{
		Name:    "db",
		Usage:   "database URL: sqlite://path.db, sqlite:///abs/path.db or postgres://user:pass@host:port/db?sslmode=disable",
		EnvVars: []string{"CTXSCHEMA_DB"},
		Value:   def,
		// Help shows the built-in default, never the URL from the
		// environment, which may hold a password.
		DefaultText: def,
	}
}

// noArgs refuses positional arguments for commands that take none.
func noArgs(c *ucli.Context) error {
	if err := flagValues(c); err != nil {
		return err
	}
	if c.Args().Present() {
		return fmt.Errorf("%s takes no arguments, got %s; run 'ctxschema %s --help' for usage", c.Command.Name, quoteArg(c.Args().First()), c.Command.Name)
	}
	return nil
}

// flagsFirst refuses a flag that follows the command's arguments:
// urfave/cli stops reading flags at the first argument, so in
// "mode production --db X" the flag would be taken for an argument.
func flagsFirst(c *ucli.Context, usage string) error {
	if err := flagValues(c); err != nil {
		return err
	}
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") && a != "-" {
			return fmt.Errorf("flag %s comes after the arguments; put flags first: %s", quoteArg(a), usage)
		}
	}
	return nil
}

// flagValues refuses a flag whose value is the name of another flag of the
// command: in "plan --dir --db URL" --dir has no value of its own, so it
// took "--db", and the URL became an argument.
func flagValues(c *ucli.Context) error {
	if c.Command == nil {
		return nil
	}
	names := map[string]bool{}
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			names[n] = true
		}
	}
	for _, f := range c.Command.Flags {
		sf, ok := f.(*ucli.StringFlag)
		if !ok || !c.IsSet(sf.Name) {
			continue
		}
		v := c.String(sf.Name)
		if name, _, _ := strings.Cut(strings.TrimLeft(v, "-"), "="); strings.HasPrefix(v, "-") && names[name] {
			return fmt.Errorf("flag --%s has no value: it took %s, the next flag, for one; give --%s a value", sf.Name, quoteArg(v), sf.Name)
		}
	}
	return nil
}
