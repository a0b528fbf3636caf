package cli

import (
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// validateOptions are the flags of validate.
type validateOptions struct {
	Dir string
	// JSON writes the problems as a JSON document on stdout instead of a
	// summary (problems then go nowhere else).
	JSON bool
	// Annotations also writes the problems as GitHub Actions workflow
	// commands on stdout; set when GITHUB_ACTIONS is "true".
	Annotations bool
}

// validateFormats are the views of validate; the value says whether the
// view is the JSON document.
var validateFormats = formats[bool]{{"text", false}, {"json", true}}

func validateCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "validate",
		Usage: "load and check the schema files; no database needed",
		Description: "Reads every *.yaml and *.yml file below --dir, merges them and checks every\n" +
			"rule of the schema file format. Prints a summary on success; otherwise\n" +
			"every problem as file:line:col: message, and exits with code 4.\n\n" +
			"--format json prints {format_version, problems}, every problem, warnings\n" +
			"included, as {file, line, column, severity, message}, on stdout.\n" +
			"When GITHUB_ACTIONS is true (in a GitHub Actions job), the text format also\n" +
			"prints the problems as workflow commands, which GitHub shows as annotations.",
		Flags: []ucli.Flag{dirFlag(), validateFormats.flag()},
		CustomHelpTemplate: commandHelp(
			exitDoc{0, "the schema files are valid (warnings allowed)"},
			exitDoc{1, "error: a schema file cannot be read, usage"},
			exitDoc{4, "invalid schema files, or a --dir that is missing or holds none"},
		),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			json, err := validateFormats.choose("validate", c.String("format"))
			if err != nil {
				return err
			}
			opts := validateOptions{Dir: c.String("dir"), JSON: json, Annotations: inActions()}
			return runValidate(c.Context, e, opts)
		},
	}
}

func runValidate(_ context.Context, e *env, opts validateOptions) error {
	if opts.JSON {
		return validateJSON(e, opts)
	}
	res, err := loadSchemas(e, opts.Dir)
	if err != nil {
		return showProblems(e, err, false, opts.Annotations)
	}
	if opts.Annotations {
		if err := writeAnnotations(e.stdout, res.Warnings); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout, summary(res))
	return nil
}

// validateJSON writes the problems as JSON: the warnings on success, every
// problem when the files are invalid. Workflow annotations are left out, so
// that stdout stays one JSON document.
func validateJSON(e *env, opts validateOptions) error {
	res, err := schemafile.Load(opts.Dir)
	if err != nil {
		return showProblems(e, err, true, false)
	}
	return writeProblemsJSON(e.stdout, res.Warnings)
}
