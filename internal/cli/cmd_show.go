package cli

import (
	"bytes"
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/input"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/planfile"
	"github.com/ctxschema/ctxschema/internal/quote"
	"github.com/ctxschema/ctxschema/internal/render"
)

// showOptions are the flags and argument of show.
type showOptions struct {
	PlanFile string
	Format   render.Format
	Verbose  bool
	NoColor  bool
}

func showCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "show",
		Usage:     "print a plan saved by plan --out",
		ArgsUsage: "PLANFILE",
		Description: "Prints a saved plan with the views of plan (text, json, markdown or sql),\n" +
			"as plan printed it when it was saved, refusal included. Reads the file\n" +
			"alone: no database and no schema files. The database the plan was made\n" +
			"for and when are written to stderr.",
		Flags:              []ucli.Flag{planFormats().flag(), verboseFlag("show the SQL of every change (text format)"), noColorFlag()},
		CustomHelpTemplate: commandHelp(exitDocOK, exitDoc{1, "error: the file cannot be read or is not a plan saved by this version, usage"}),
		Action: func(c *ucli.Context) error {
			if err := flagsFirst(c, "ctxschema show [flags] PLANFILE"); err != nil {
				return err
			}
			if c.NArg() != 1 {
				return fmt.Errorf("show takes one argument, the plan file saved by `ctxschema plan --out`; got %d", c.NArg())
			}
			f, err := planFormats().choose("show", c.String("format"))
			if err != nil {
				return err
			}
			return runShow(c.Context, e, showOptions{PlanFile: c.Args().First(), Format: f, Verbose: c.Bool("verbose"), NoColor: c.Bool("no-color")})
		},
	}
}

func runShow(ctx context.Context, e *env, opts showOptions) error {
	saved, _, err := readPlanFile(ctx, opts.PlanFile)
	if err != nil {
		return err
	}
	p, ro, err := render.ViewOf(saved.Plan)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.PlanFile, err)
	}
	ro.Format, ro.Verbose = opts.Format, opts.Verbose
	ro.Color = opts.Format == render.Text && colorOn(e.stdout, opts.NoColor)
	fmt.Fprintf(e.stderr, "Plan saved at %s for %s.\n", quote.Line(saved.CreatedAt), quote.Line(saved.Database))
	return render.Plan(e.stdout, p, ro)
}

// readPlanFile reads and checks the plan file saved at path, and returns
// it with the desired schema it reaches.
func readPlanFile(ctx context.Context, path string) (*planfile.File, *model.Schema, error) {
	b, err := input.ReadFile(ctx, path, planfile.MaxSize)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the plan file: %w", err)
	}
	saved, desired, err := planfile.Read(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return saved, desired, nil
}
