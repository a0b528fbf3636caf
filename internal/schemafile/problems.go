package schemafile

import (
	"fmt"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
)

// reporter collects problems.
type reporter struct {
	list []model.Problem
}

func (r *reporter) errorf(pos model.Pos, format string, args ...any) {
	r.list = append(r.list, model.Problem{Pos: pos, Severity: model.SeverityError, Message: fmt.Sprintf(format, quote.Args(args)...)})
}

func (r *reporter) warnf(pos model.Pos, format string, args ...any) {
	r.list = append(r.list, model.Problem{Pos: pos, Severity: model.SeverityWarning, Message: fmt.Sprintf(format, quote.Args(args)...)})
}

// failed reports whether an error (not a warning) was reported.
func (r *reporter) failed() bool {
	for _, p := range r.list {
		if p.Severity == model.SeverityError {
			return true
		}
	}
	return false
}
