package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/schemafile"
	"github.com/ctxschema/ctxschema/plan"
)

// inspectOptions are the flags of inspect.
type inspectOptions struct {
	Target targetOptions
	// Out is the directory to write the schema files to; "" writes one
	// file to stdout.
	Out string
}

func inspectCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "inspect",
		Usage: "write the live schema as YAML that plan accepts with no changes",
		Description: "Reads the schema recorded in the database's catalog (what the last apply\n" +
			"declared, with its names, case, types and key order) and writes it as\n" +
			"schema files: one file on stdout, or with --out DIR profile.yaml,\n" +
			"extensions/<name>.yaml and keys.yaml under DIR, ready for\n" +
			"ctxschema plan --dir DIR. --out refuses a directory that already holds\n" +
			"schema files, which would be merged with the new ones.",
		Flags: []ucli.Flag{
			dbFlag(), targetFlags()[0], targetFlags()[1],
			&ucli.StringFlag{Name: "out", Usage: "write one schema file per object into `DIR` instead of stdout"},
		},
		CustomHelpTemplate: commandHelp(exitDocOK, exitDoc{1, "error: database or server unreachable, no catalog in the database, --out holds schema files, I/O, usage"}),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runInspect(c.Context, e, inspectOptions{Target: targetOf(c), Out: c.String("out")})
		},
	}
}

func runInspect(ctx context.Context, e *env, opts inspectOptions) error {
	if opts.Out != "" {
		// Checked before the database is read, so that a mistake costs
		// nothing.
		if err := checkOutDir(opts.Out); err != nil {
			return err
		}
	}
	t, closeDB, err := openTarget(ctx, opts.Target.access(dialect.ReadOnly))
	if err != nil {
		return err
	}
	defer closeDB()
	st, err := t.State(ctx)
	if err != nil {
		return err
	}
	if st.New {
		return fmt.Errorf("database %q has no ctxschema catalog, so no declared schema to write; apply schema files to it first (ctxschema apply)", t.Describe().Database)
	}
	// The files describe the catalog; a database that drifted from it
	// (an index dropped by hand) plans repairs against them.
	if p, err := plan.Build(ctx, st, st.Catalog, nil); err == nil && !p.Empty() {
		fmt.Fprintf(e.stderr, "warning: the database has drifted from its catalog in %s; the schema files describe the catalog, and plan will show the repairs\n", plural(len(p.Steps), "table"))
	}
	if opts.Out == "" {
		_, err := e.stdout.Write(schemafile.Write(st.Catalog))
		return err
	}
	files := schemafile.WriteFiles(st.Catalog)
	if err := writeFiles(opts.Out, files); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Wrote %s to %s; compare them with the database: ctxschema plan --dir %s\n", plural(len(files), "schema file"), opts.Out, opts.Out)
	return nil
}

// checkOutDir refuses an output directory that holds schema files: the new
// files would be merged with them, and a name declared in both is an error.
func checkOutDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("inspect --out: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("inspect --out %s: not a directory; name a new or empty directory", quoteArg(dir))
	}
	var found []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(path)); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("inspect --out: %w", err)
	}
	if len(found) > 0 {
		return fmt.Errorf("inspect --out %s: the directory already holds %s (%s), which plan would merge with the new ones; name a new or empty directory, or remove them", quoteArg(dir), plural(len(found), "schema file"), found[0])
	}
	return nil
}

// writeFiles writes files (slash-separated paths relative to dir) under
// dir, creating directories as needed, in path order.
func writeFiles(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("writing schema files: %w", err)
		}
		if err := os.WriteFile(path, files[n], 0o644); err != nil {
			return fmt.Errorf("writing schema files: %w", err)
		}
	}
	return nil
}
