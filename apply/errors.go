package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ctxschema/ctxschema/plan"
)

// Refused is implemented by every error with which apply refuses a plan
// (*ModeError, *UnsafeError, *StaleError): each exposes the one
// plan.Refusal value that the views render.
type Refused interface {
	error
	Refusal() plan.Refusal
}

// RefusalOf returns the refusal that err (or an error it wraps) stands
// for, and false when err is not a refusal.
func RefusalOf(err error) (plan.Refusal, bool) {
	var r Refused
	if errors.As(err, &r) {
		return r.Refusal(), true
	}
	return plan.Refusal{}, false
}

// refusalError is the message of a refusal error: the refusal's message
// and the changes it is about.
func refusalError(r plan.Refusal) string {
	msg := "refused: " + r.Message()
	if flag := r.Flag(); flag != "" {
		msg += "; review the plan and rerun with " + flag + " to apply them"
	}
	if len(r.Steps) == 0 {
		return msg
	}
	names := make([]string, len(r.Steps))
	for i, s := range r.Steps {
		o := s.Change.Object()
		names[i] = fmt.Sprintf("%s %s %s", s.Change.Action().Symbol(), o.Kind, o.Name)
	}
	return msg + " (" + strings.Join(names, "; ") + ")"
}

// ModeError is returned when the database is in production mode, where
// every schema change is refused (the Context Services 403 rule).
type ModeError struct{}

func (e *ModeError) Error() string { return refusalError(e.Refusal()) }

// Refusal is the refusal the error stands for.
func (*ModeError) Refusal() plan.Refusal { return plan.Refusal{Reason: plan.RefusedProduction} }

// UnsafeReason says why a plan was refused as unsafe.
type UnsafeReason string

// The reasons for an UnsafeError.
const (
	DataCheckFailed       = UnsafeReason(plan.RefusedDataCheck)
	NeedsAllowDestructive = UnsafeReason(plan.RefusedDestructive)
	Inexpressible         = UnsafeReason(plan.RefusedInexpressible)
)

// UnsafeError is returned when a plan holds changes that fail a data check
// (never applied) or lose data without --allow-destructive. Steps carry
// their hazards: a data check found by apply itself (a unique index build
// over duplicates) carries the same counts and customer ids as a plan's.
type UnsafeError struct {
	Reason UnsafeReason
	Steps  []plan.Step
}

func (e *UnsafeError) Error() string { return refusalError(e.Refusal()) }

// Refusal is the refusal the error stands for.
func (e *UnsafeError) Refusal() plan.Refusal {
	return plan.Refusal{Reason: plan.RefusalReason(e.Reason), Steps: e.Steps}
}

// Flag is the flag that would allow the refused changes, or "".
func (e *UnsafeError) Flag() string { return e.Refusal().Flag() }

// StaleError is returned when the plan made under the lock differs from
// the plan that was approved or saved.
type StaleError struct {
	// What names what moved: the catalog, the physical layout, the mode or
	// the schema files.
	What string
}

func (e *StaleError) Error() string { return refusalError(e.Refusal()) }

// Refusal is the refusal the error stands for.
func (e *StaleError) Refusal() plan.Refusal {
	return plan.Refusal{Reason: plan.RefusedStalePlan, Moved: e.What}
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
	if errors.Is(e.Err, context.Canceled) {
		if lo := (*leftoverError)(nil); errors.As(e.Err, &lo) {
			return fmt.Sprintf("the online index build was interrupted after the other changes committed (statement: %s), and %v; rerun apply to build it", e.Statement, lo)
		}
		return fmt.Sprintf("the online index build was interrupted after the other changes committed (statement: %s); rerun apply to build it", e.Statement)
	}
	return fmt.Sprintf("the online index build failed after the other changes committed: %v (statement: %s); fix the cause and rerun apply to build it", e.Err, e.Statement)
}

func (e *DeferredError) Unwrap() error { return e.Err }

// PartialError is returned by a backend without a transaction (the Context
// Services API) when an apply stopped part way: the calls in Done ran and
// stay, Failed failed, NotDone did not run. Rerunning apply plans from what
// is there and converges. It unwraps to Err: a *ModeError when the server
// refused a call in production mode (a 403 in the middle), else the cause.
type PartialError struct {
	Done    []string
	Failed  string
	NotDone []string
	Err     error
	// Cause is the server's answer when Err stands for it (the 403 behind
	// a *ModeError); nil otherwise.
	Cause error
}

func (e *PartialError) Error() string {
	cause := e.Err.Error()
	if e.Cause != nil {
		cause = e.Cause.Error() + " (" + cause + ")"
	}
	return fmt.Sprintf("apply stopped at %s: %s; done, and not undone: %s; not done: %s; fix the cause and rerun apply, which plans from what the target holds now",
		e.Failed, cause, callList(e.Done), callList(e.NotDone))
}

func (e *PartialError) Unwrap() error { return e.Err }

func callList(calls []string) string {
	if len(calls) == 0 {
		return "nothing"
	}
	return strings.Join(calls, ", ")
}

// NotConvergedError is returned when the plan after an apply is not empty.
type NotConvergedError struct {
	Plan *plan.Plan
	// RolledBack is true when the check ran inside the apply's
	// transaction, before the commit, and the apply was rolled back.
	RolledBack bool
}

func (e *NotConvergedError) Error() string {
	var names []string
	for _, s := range e.Plan.Steps {
		o := s.Change.Object()
		names = append(names, fmt.Sprintf("%s %s %s (%s)", s.Change.Action().Symbol(), o.Kind, o.Name, s.Change.Describe()))
	}
	msg := "the database did not converge: planning again after apply still finds " + strings.Join(names, "; ")
	if e.RolledBack {
		msg += "; the apply was rolled back, nothing changed"
	}
	return msg + "; this is a bug in ctxschema, please report it"
}
