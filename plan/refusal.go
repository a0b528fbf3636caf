package plan

import "fmt"

// RefusalReason says why apply refuses a plan.
type RefusalReason string

// The reasons apply refuses a plan. apply.Refuse decides which one holds
// when several do; main maps each to its exit code.
const (
	// RefusedDataCheck: a data check fails, so a change can never succeed
	// on the data in the database; no flag allows it (exit 5).
	RefusedDataCheck RefusalReason = "data-check"
	// RefusedProduction: the database is in production mode, which refuses
	// every schema change (exit 3).
	RefusedProduction RefusalReason = "production"
	// RefusedStalePlan: the database or the schema files changed since the
	// plan was saved or approved (exit 5).
	RefusedStalePlan RefusalReason = "stale-plan"
	// RefusedDestructive: a change loses data and --allow-destructive was
	// not given (exit 5).
	RefusedDestructive RefusalReason = "destructive"
	// RefusedInexpressible: the target cannot make a change at all (the
	// profile of a Context Services server); no flag allows it (exit 5).
	RefusedInexpressible RefusalReason = "inexpressible"
)

// Refusal is why apply refuses a plan: the one value that apply's refusal
// errors expose and every view renders, so that a refusal reads the same
// in a plan, in a saved plan and when apply itself refuses.
type Refusal struct {
	Reason RefusalReason
	// Steps are the refused changes with their hazards: each failing data
	// check with its counts and up to five customer ids, each destructive
	// change with what it loses. None when the refusal is about the whole
	// plan (production mode, a stale plan).
	Steps []Step
	// Moved names what changed since a stale plan was made (see
	// Fingerprint.Diff).
	Moved string
}

// Message says what is refused, and what to do next unless a flag allows
// it (see Flag), in one sentence without the list of changes.
func (r Refusal) Message() string {
	switch r.Reason {
	case RefusedProduction:
		return "the database is in production mode, which refuses every schema change; switch it with `ctxschema mode maintenance` first"
	case RefusedDataCheck:
		return changes(len(r.Steps), "cannot succeed", "cannot succeed") + " on the data in the database; fix the data or the schema files and plan again"
	case RefusedDestructive:
		return changes(len(r.Steps), "loses data", "lose data")
	case RefusedInexpressible:
		return changes(len(r.Steps), "cannot be made", "cannot be made") + " through this target; change the profile schema where the server configures it, or change the schema files to match the server's, and plan again"
	case RefusedStalePlan:
		moved := r.Moved
		if moved == "" {
			moved = "the database"
		}
		return "the plan is stale: " + moved + " changed since it was made; plan again"
	}
	return "refused: " + string(r.Reason)
}

// Flag is the flag that allows the refused changes ("--allow-destructive"),
// or "" when no flag does.
func (r Refusal) Flag() string {
	if r.Reason == RefusedDestructive {
		return "--allow-destructive"
	}
	return ""
}

// Hazards are the hazards of step s that the refusal is about: its failing
// data checks for a data-check refusal, what it loses for a destructive
// one.
func (r Refusal) Hazards(s Step) []Hazard {
	var out []Hazard
	for _, h := range s.Hazards {
		switch {
		case r.Reason == RefusedDataCheck && h.Kind == DataCheck,
			r.Reason == RefusedInexpressible && h.Kind == Inexpressible,
			r.Reason == RefusedDestructive && h.Kind == Destructive && !h.LosesNothing():
			out = append(out, h)
		}
	}
	return out
}

// changes phrases "1 change loses data" / "2 changes lose data".
func changes(n int, one, many string) string {
	if n == 1 {
		return "1 change " + one
	}
	return fmt.Sprintf("%d changes %s", n, many)
}
