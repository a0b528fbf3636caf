package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// fmtOptions are the flags of fmt.
type fmtOptions struct {
	Dir   string
	Check bool
}

func fmtCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "fmt",
		Usage: "rewrite schema files in the canonical layout",
		Description: "Rewrites every schema file below --dir in the layout inspect writes: fields\n" +
			"in documentation order (name, type, length, default, mandatory, encrypt,\n" +
			"unique, renamed_from), short attributes as aligned flow mappings, key\n" +
			"attributes and unique items as flow lists. Comments are kept, and what the\n" +
			"files declare never changes. Prints the files it rewrote. With --check it\n" +
			"rewrites nothing, lists the files that are not formatted and exits 1 when\n" +
			"there are any (for CI and pre-commit hooks). Invalid YAML exits 4, and\n" +
			"then no file is rewritten.",
		Flags: []ucli.Flag{
			dirFlag(),
			&ucli.BoolFlag{Name: "check", Usage: "rewrite nothing; list the files that are not formatted and exit 1 when there are any"},
		},
		CustomHelpTemplate: commandHelp(
			exitDoc{0, "success: every file is formatted (rewritten if needed)"},
			exitDoc{1, "--check: some files are not formatted; or an error: I/O, usage"},
			exitDoc{4, "invalid YAML, or a --dir that is missing or holds no schema file"},
		),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runFmt(c.Context, e, fmtOptions{Dir: c.String("dir"), Check: c.Bool("check")})
		},
	}
}

// ErrUnformatted is returned by fmt --check when a schema file is not in
// the canonical layout, after the files are listed on stdout; it exits 1,
// like any error that main does not map to another code.
var ErrUnformatted = errors.New("schema files are not formatted")

func runFmt(ctx context.Context, e *env, opts fmtOptions) error {
	paths, err := schemafile.Discover(opts.Dir)
	if err != nil {
		return err
	}
	cwd, _ := os.Getwd()
	type change struct {
		path, name string
		out        []byte
	}
	var changes []change
	var problems []model.Problem
	for _, p := range paths {
		name := displayPath(cwd, p)
		data, err := schemafile.ReadFile(ctx, p, name)
		var large *model.Problems
		switch {
		case errors.As(err, &large):
			problems = append(problems, large.List...)
			continue
		case err != nil:
			return err
		}
		out, err := schemafile.Format(name, data)
		var ps *model.Problems
		switch {
		case errors.As(err, &ps):
			problems = append(problems, ps.List...)
			continue
		case err != nil:
			return err
		}
		if !bytes.Equal(out, data) {
			changes = append(changes, change{p, name, out})
		}
	}
	if len(problems) > 0 {
		return &model.Problems{List: problems}
	}
	for _, c := range changes {
		if !opts.Check {
			if err := writeFileAtomic(c.path, c.out); err != nil {
				return err
			}
		}
		fmt.Fprintln(e.stdout, c.name)
	}
	if opts.Check && len(changes) > 0 {
		return fmt.Errorf("%w: %s; run 'ctxschema fmt' to rewrite them", ErrUnformatted, plural(len(changes), "file"))
	}
	return nil
}

// writeFileAtomic replaces the file at path with data, keeping its mode: a
// crash leaves the old file or the new one, never half of one. A symbolic
// link stays one: the file it points to is replaced.
func writeFileAtomic(path string, data []byte) error {
	link := path
	path, err := filepath.EvalSymlinks(link)
	if err != nil {
		return fmt.Errorf("rewriting %s: %w", link, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ctxschema-fmt-*")
	if err != nil {
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	return nil
}
