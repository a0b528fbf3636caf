package apply

import (
	"fmt"
	"strings"

	"github.com/ctxschema/ctxschema/plan"
)

// ModeError is returned when the database is in production mode, where
// every schema change is refused (the Context Services 403 rule).
type ModeError struct{}

func (*ModeError) Error() string {
	return "the database is in production mode, which refuses every schema change; switch it with `ctxschema mode maintenance` first"
}

// UnsafeReason says why a plan was refused as unsafe.
type UnsafeReason string

// The reasons for an UnsafeError.
const (
	DataCheckFailed       UnsafeReason = "data-check"
	NeedsAllowDestructive UnsafeReason = "destructive"
)

// UnsafeError is returned when a plan holds changes that fail a data check
// (never applied) or lose data without --allow-destructive.
type UnsafeError struct {
	Reason UnsafeReason
	Steps  []plan.Step
}

func (e *UnsafeError) Error() string {
	names := make([]string, len(e.Steps))
	for i, s := range e.Steps {
		o := s.Change.Object()
		names[i] = fmt.Sprintf("%s %s %s", s.Change.Action().Symbol(), o.Kind, o.Name)
	}
	if e.Reason == DataCheckFailed {
		return fmt.Sprintf("refused: %d change(s) cannot succeed on the data in the database (%s); fix the data or the schema files and plan again", len(e.Steps), strings.Join(names, "; "))
	}
	return fmt.Sprintf("refused: %d change(s) lose data (%s); review the plan and rerun with --allow-destructive to apply them", len(e.Steps), strings.Join(names, "; "))
}

// Flag is the flag that would allow the refused changes, or "".
func (e *UnsafeError) Flag() string {
	if e.Reason == NeedsAllowDestructive {
		return "--allow-destructive"
	}
	return ""
}

// StaleError is returned when the plan made under the lock differs from
// the plan that was approved or saved.
type StaleError struct {
	// What names what moved: the catalog, the physical layout, the mode or
	// the schema files.
	What string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("refused: the plan is stale, %s changed since it was made; plan again", e.What)
}

// StepError is returned when a statement failed inside the apply's
// transaction; the transaction was rolled back, nothing changed.
type StepError struct {
	Step      plan.Step
	Statement string
	Err       error
}

func (e *StepError) Error() string {
	o := e.Step.Change.Object()
	return fmt.Sprintf("apply failed and was rolled back, nothing changed: %s %s %q: %v (statement: %s)", e.Step.Change.Action(), o.Kind, o.Name, e.Err, e.Statement)
}

func (e *StepError) Unwrap() error { return e.Err }

// DeferredError is returned when an online index build failed after the
// transaction committed; the index was removed and its key left out of the
// catalog, so rerunning apply tries again.
type DeferredError struct {
	Statement string
	Err       error
}

func (e *DeferredError) Error() string {
	return fmt.Sprintf("the online index build failed after the other changes committed: %v (statement: %s); fix the cause and rerun apply to build it", e.Err, e.Statement)
}

func (e *DeferredError) Unwrap() error { return e.Err }

// NotConvergedError is returned when the plan after an apply is not empty.
type NotConvergedError struct {
	Plan *plan.Plan
}

func (e *NotConvergedError) Error() string {
	var names []string
	for _, s := range e.Plan.Steps {
		o := s.Change.Object()
		names = append(names, fmt.Sprintf("%s %s %s (%s)", s.Change.Action().Symbol(), o.Kind, o.Name, s.Change.Describe()))
	}
	return "the database did not converge: planning again after apply still finds " + strings.Join(names, "; ") + "; this is a bug in ctxschema, please report it"
}
