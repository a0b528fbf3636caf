package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/project"
)

// projectFlags are the flags an environment of the project file sets, by
// the key that sets them.
var projectFlags = []string{"db", "dir", "tenants"}

// envFlag is the --env flag of every command that takes --db or --dir.
func envFlag() *ucli.StringFlag {
	return &ucli.StringFlag{
		Name:    "env",
		Usage:   "environment `NAME` of the project file " + project.FileName + " (in the working directory or the nearest parent that has one); flags and environment variables override it",
		EnvVars: []string{"CTXSCHEMA_ENV"},
	}
}

// takesProjectEnv reports whether a command whose flags are named has
// takes a flag an environment sets.
func takesProjectEnv(has map[string]bool) bool {
	for _, p := range projectFlags {
		if has[p] {
			return true
		}
	}
	return false
}

// applyProjectEnv sets the flags of the environment chosen with --env
// (env CTXSCHEMA_ENV) that neither the command line nor an environment
// variable set. Without --env, no project file is read. An invalid
// project file is reported with every problem at its file:line:col.
func applyProjectEnv(e *env) ucli.BeforeFunc {
	return func(c *ucli.Context) error {
		name := c.String("env")
		if name == "" {
			return nil
		}
		cwd, err := os.Getwd()
		if err != nil {
			return err
		}
		path, err := project.Find(cwd)
		if errors.Is(err, project.ErrNotFound) {
			return fmt.Errorf("--env %s: no %s in %s or any parent directory; create one, or leave out --env (and CTXSCHEMA_ENV)", quoteArg(name), project.FileName, cwd)
		}
		if err != nil {
			return err
		}
		f, err := project.Read(c.Context, path, displayPath(cwd, path))
		if err != nil {
			// An invalid file's problems (a *project.InvalidError) get
			// the views of any schema-input problems; main prints them.
			return showProblems(e, err, problemsAsJSON(c), inActions())
		}
		environment, err := f.Env(name)
		if err != nil {
			return err
		}
		// A relative file path in the URL (sqlite://dev.db) is relative to
		// the project file's folder; the URL's dialect knows its form.
		db := registry().ResolveRelative(environment.DB, f.Dir)
		values := map[string]string{"db": db, "dir": environment.Dir, "tenants": environment.Tenants}
		for _, flag := range c.Command.Flags {
			for _, n := range flag.Names() {
				v, ok := values[n]
				// An empty environment variable (CTXSCHEMA_DB= in a CI
				// file) counts as unset.
				if !ok || v == "" || (c.IsSet(n) && c.String(n) != "") {
					continue
				}
				if n == "db" {
					e.protect(v)
				}
				if err := c.Set(n, v); err != nil {
					return fmt.Errorf("--env %s: setting --%s: %w", quoteArg(name), n, err)
				}
			}
		}
		return nil
	}
}

// problemsAsJSON reports whether the command writes schema-input problems
// as a JSON document on stdout: plan and validate with --format json.
// apply's JSON is a stream of events, which its run starts.
func problemsAsJSON(c *ucli.Context) bool {
	switch c.Command.Name {
	case "plan", "validate":
		return c.String("format") == "json"
	}
	return false
}

// displayPath writes path relative to cwd ("../.ctxschema.yaml"), or as
// given when it has no relative form.
func displayPath(cwd, path string) string {
	if rel, err := filepath.Rel(cwd, path); err == nil {
		return rel
	}
	return path
}
