package plan

import (
	"context"
	"sort"

	"github.com/ctxschema/ctxschema/internal/model"
)

// HazardKind classifies the risk of a change.
type HazardKind string

// The hazard kinds.
const (
	// Destructive: data is lost. Refused without --allow-destructive unless
	// the change loses nothing.
	Destructive HazardKind = "destructive"
	// DataCheck: the change cannot succeed on the data that is there.
	// Always refused.
	DataCheck HazardKind = "data-check"
	// Blocking: the change locks or rewrites a table. Shown, not refused.
	Blocking HazardKind = "blocking"
	// Inexpressible: the target cannot make the change at all (the profile
	// schema of a Context Services server, which its API cannot change).
	// Always refused.
	Inexpressible HazardKind = "inexpressible"
	// Narrowing: the change narrows what a live table accepts (a shorter
	// length, a new mandatory attribute, a new unique key or item, single
	// from multi-valued), so it fails on data that does not fit. Only an
	// offline plan (diff, no data) carries it: with a database the data
	// check runs instead and either passes or becomes a DataCheck.
	Narrowing HazardKind = "narrowing"
)

// Hazard is one risk of one change, measured on the live data where it can
// be. Message says what is at risk without numbers (renderers add the
// counts). Counts are -1 when unknown (no database, as in an offline diff)
// or when they do not apply to the hazard.
type Hazard struct {
	Kind    HazardKind
	Message string
	// Rows is how many rows (records, profiles) are affected or lost.
	Rows int64
	// Values is how many non-null values are lost or offending.
	Values int64
	// Groups is how many duplicate groups a uniqueness check found.
	Groups int64
	// Customers is how many customers hold offending data.
	Customers int64
	// CustomerIDs are up to five offending customer ids, never values.
	CustomerIDs []string
	// Table is the live table whose data the hazard measures, or would
	// measure with a database ("" when none): apply locks it before
	// measuring, so that what it counts is what the change loses.
	Table string
}

// LosesNothing reports whether a destructive hazard was measured and loses
// no data, so that it needs no --allow-destructive. Rows is -1 where no rows
// are lost (an attribute deletion keeps its rows).
func (h Hazard) LosesNothing() bool {
	return h.Kind == Destructive && h.Rows <= 0 && h.Values == 0
}

// Step is one change of a plan with its hazards and, once a dialect rendered
// it, its SQL.
type Step struct {
	Change  Change
	Hazards []Hazard
	// SQL runs inside the apply's transaction.
	SQL []string
	// After runs after the transaction commits (online index builds).
	After []string
	// Existing is set on a step that builds an index (a new key or unique
	// item) whose name an index the catalog does not record already takes:
	// most often one that an interrupted online build left behind, valid
	// or not. Whoever renders the step adopts it when it is valid and
	// matches, and drops it before building when it is invalid (see
	// apply.Render).
	Existing *PhysicalIndex
}

// HasHazard reports whether the step carries a hazard of kind k.
func (s Step) HasHazard(k HazardKind) bool {
	for _, h := range s.Hazards {
		if h.Kind == k {
			return true
		}
	}
	return false
}

// NeedsAllowDestructive reports whether the step loses data and so needs
// --allow-destructive.
func (s Step) NeedsAllowDestructive() bool {
	for _, h := range s.Hazards {
		if h.Kind == Destructive && !h.LosesNothing() {
			return true
		}
	}
	return false
}

// Plan is the ordered list of changes that makes a database match a desired
// schema.
type Plan struct {
	Steps []Step
	// Current is the catalog the plan starts from; Desired the schema it
	// reaches (positions and rename instructions stripped).
	Current, Desired *model.Schema
	// Mode is the server mode of the database when planned.
	Mode model.Mode
	// Unmanaged lists objects in the database that ctxschema did not create
	// and will never touch.
	Unmanaged []Drift
	// Rows holds the row counts of the tables the plan touches, by physical
	// name, as measured when planning; absent when unknown (offline diff).
	Rows map[string]int64
	// Fingerprint identifies the live state and desired schema the plan
	// was made from.
	Fingerprint Fingerprint
	// Asked is true when Build asked its Data anything (a count, a data
	// check). A plan that asked nothing depends on its state and desired
	// schema alone: Build makes it again the same from the same two.
	Asked bool
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// Summary counts the steps by action: replaces count once as a create and
// once as a delete, renames and repairs as updates, like Terraform does.
type Summary struct {
	Create, Update, Delete int
}

// Summary counts the plan's steps.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, st := range p.Steps {
		switch st.Change.Action() {
		case Create:
			s.Create++
		case Delete:
			s.Delete++
		case Replace:
			s.Create++
			s.Delete++
		default:
			s.Update++
		}
	}
	return s
}

// Blocked returns the steps whose data checks fail: they cannot be applied.
func (p *Plan) Blocked() []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.HasHazard(DataCheck) {
			out = append(out, s)
		}
	}
	return out
}

// Inexpressible returns the steps the target cannot make.
func (p *Plan) Inexpressible() []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.HasHazard(Inexpressible) {
			out = append(out, s)
		}
	}
	return out
}

// Destructive returns the steps that lose data and need --allow-destructive.
func (p *Plan) Destructive() []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.NeedsAllowDestructive() {
			out = append(out, s)
		}
	}
	return out
}

// LossTables lists, sorted, the live tables whose data a destructive
// change of p loses or may lose, or whose values a type change converts.
// Planned without a database (nil Data), a plan still names them: apply
// locks them before it measures the losses and runs the conversion checks.
func (p *Plan) LossTables() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range p.Steps {
		for _, h := range s.Hazards {
			if (h.Kind == Destructive || h.Kind == Narrowing) && h.Table != "" && !seen[h.Table] {
				seen[h.Table] = true
				out = append(out, h.Table)
			}
		}
	}
	sort.Strings(out)
	return out
}

// State is the live state of a database as a dialect inspected it.
type State struct {
	// Catalog is the schema recorded by the last apply; empty on a new
	// database.
	Catalog *model.Schema
	// Mode is the recorded server mode.
	Mode model.Mode
	// Physical is what the database holds; Expected is what it should hold
	// for Catalog (the dialect derives it). Their difference is drift.
	Physical, Expected Physical
	// New is true when the database has no ctxschema catalog yet.
	New bool
	// Limits says what the target cannot do; the zero value (a SQL
	// database) can do everything the planner plans.
	Limits Limits
	// Stamp identifies the state read, for a dialect that can tell
	// cheaply whether the database changed since (dialect.Stamper); ""
	// when unknown. The planner does not read it.
	Stamp string
}

// Limits are what a target cannot do, which the planner plans around. A
// target reports them with its State, so that the planner stays pure.
type Limits struct {
	// NoUpdate: extensions and keys cannot be changed in place, only
	// deleted and created again (the Context Services API has no update):
	// a changed extension is replaced with its records lost, a changed key
	// is replaced.
	NoUpdate bool
	// FixedProfile: the profile schema cannot be changed; a difference is
	// planned with an Inexpressible hazard, which apply refuses. (Only the
	// NoUpdate planner reads it: no SQL target has a fixed profile.)
	FixedProfile bool
}

// NewState is the state of a database where ctxschema recorded nothing yet
// and that holds no table: an empty catalog in maintenance mode.
func NewState() *State {
	return &State{Catalog: &model.Schema{}, Mode: model.Maintenance, New: true}
}

// Physical describes tables, columns and indexes as a dialect sees them.
// Dialects normalise types and defaults so that Expected and Physical compare
// equal when nothing drifted.
type Physical struct {
	Tables []PhysicalTable
	// Others are the objects that are neither tables nor their indexes
	// but whose names a table or an index cannot take (views, sequences
	// and the like share the tables' namespace). Inspect fills it; drift
	// ignores it.
	Others []PhysicalObject
}

// PhysicalObject names a database object that is not a table, by kind
// ("view", "sequence").
type PhysicalObject struct {
	Name, Kind string
}

// Table finds a table by physical name.
func (p Physical) Table(name string) (PhysicalTable, bool) {
	for _, t := range p.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return PhysicalTable{}, false
}

// PhysicalTable is one table with its columns and indexes.
type PhysicalTable struct {
	Name    string
	Columns []PhysicalColumn
	Indexes []PhysicalIndex
}

// PhysicalColumn is one column. Definition is the dialect's normalised
// rendering of everything checked for drift (type, nullability, default,
// length check), compared as text.
type PhysicalColumn struct {
	Name       string
	Definition string
}

// PhysicalIndex is one index. Definition is the dialect's normalised
// rendering (unique, columns in order); Valid is false for an index an
// interrupted online build left behind.
type PhysicalIndex struct {
	Name       string
	Definition string
	Valid      bool
}

// Finding is what a data check found: counts, and up to five customer ids.
type Finding struct {
	Rows        int64
	Groups      int64
	Customers   int64
	CustomerIDs []string
}

// Data answers the planner's questions about live rows. Each method runs
// one query; none returns stored values, only counts and customer ids.
// Errors are database errors and abort planning.
type Data interface {
	// Rows counts the rows of a table.
	Rows(ctx context.Context, table string) (int64, error)
	// NonNull counts the non-null values of the columns, summed, in one
	// scan of the table.
	NonNull(ctx context.Context, table string, columns []string) (int64, error)
	// Nulls finds rows where column is NULL.
	Nulls(ctx context.Context, table, column string) (Finding, error)
	// Duplicates finds groups of rows that share non-null values of columns;
	// with perCustomer, customer_id is part of the group.
	Duplicates(ctx context.Context, table string, columns []string, perCustomer bool) (Finding, error)
	// TooLong finds string values longer than max characters.
	TooLong(ctx context.Context, table, column string, max int) (Finding, error)
	// Unconvertible finds non-null values of column, stored as from, that
	// do not convert to the type to without loss.
	Unconvertible(ctx context.Context, table, column string, from, to model.Attribute) (Finding, error)
	// Unrepairable finds non-null values of a column whose definition
	// drifted (live is its inspected Definition) that repairing it back to
	// the attribute to would reject or alter: Unconvertible's check for a
	// repair.
	Unrepairable(ctx context.Context, table, column, live string, to model.Attribute) (Finding, error)
	// MultiRecord finds customers holding more than one record.
	MultiRecord(ctx context.Context, table string) (Finding, error)
}
