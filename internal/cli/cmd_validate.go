package cli

import (
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v2"
)

// validateOptions are the flags of validate.
type validateOptions struct {
	Dir string
}

func validateCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "validate",
		Usage: "load and check the schema files; no database needed",
		Description: "Reads every *.yaml and *.yml file below --dir, merges them and checks every\n" +
			"rule of the schema file format. Prints a summary on success; otherwise\n" +
			"every problem as file:line:col: message, and exits with code 4.",
		Flags: []ucli.Flag{dirFlag()},
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runValidate(c.Context, e, validateOptions{Dir: c.String("dir")})
		},
	}
}

func runValidate(_ context.Context, e *env, opts validateOptions) error {
	res, err := loadSchemas(e, opts.Dir)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, summary(res))
	return nil
}
