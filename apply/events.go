package apply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/plan"
)

// EventType names what an Event reports.
type EventType string

// The events Run reports, in the order they happen.
const (
	// LockWaiting: another process holds the apply lock and Run waits for
	// it (Holder names it).
	LockWaiting EventType = "lock_waiting"
	// ChangeStart and ChangeDone bracket the statements of one change
	// inside the transaction (Step; Elapsed on ChangeDone).
	ChangeStart EventType = "change_start"
	ChangeDone  EventType = "change_done"
	// Committed: the transaction committed (Elapsed since it began).
	Committed EventType = "commit"
	// BuildStart and BuildDone bracket one online index build after the
	// commit (Step and Statement; Elapsed on BuildDone); BuildProgress
	// reports how far it has come (Phase, Done, Total), when the dialect
	// can tell.
	BuildStart    EventType = "build_start"
	BuildProgress EventType = "build_progress"
	BuildDone     EventType = "build_done"
)

// Event is something Run reports while it works, for a person watching or
// a tool reading a stream.
type Event struct {
	Type EventType
	// Time is when it happened.
	Time time.Time
	// Step is the change the event is about; nil for the lock and the
	// commit.
	Step *plan.Step
	// Holder names the holder of the lock (LockWaiting).
	Holder string
	// Statement is the online build's statement (BuildStart).
	Statement string
	// Phase, Done and Total are a build's progress: Done out of Total
	// units of Phase (BuildProgress).
	Phase       string
	Done, Total int64
	// Elapsed is how long the change, the build or the transaction took
	// (ChangeDone, BuildDone, Committed).
	Elapsed time.Duration
}

// Emit reports e when o asks for events, timed now unless e.Time is set;
// for backends outside this package.
func (o Options) Emit(e Event) { o.emit(e) }

// emit reports an event of type typ when opts asks for events.
func (o Options) emit(e Event) {
	if o.Events == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	o.Events(e)
}

// lockOptions are the dialect's lock options for Run and SetMode: the
// timeout, and a LockWaiting event when the lock is held.
func (o Options) lockOptions() dialect.LockOptions {
	lo := dialect.LockOptions{Timeout: o.LockTimeout}
	if o.Events != nil {
		lo.Waiting = func(holder string) { o.emit(Event{Type: LockWaiting, Holder: holder}) }
	}
	return lo
}

// InterruptedError is returned by Run and SetMode when their context was
// cancelled (Ctrl-C): it says what was done, instead of "context canceled".
// It unwraps to the context's error and to the error it caused.
type InterruptedError struct {
	// Began is true when the transaction had begun (and was rolled back
	// unless Committed).
	Began bool
	// Committed is true when the transaction had committed: the changes
	// inside it are applied, and Built online index builds of Pending ran.
	Committed bool
	// Built and Pending count the online index builds done and planned.
	Built, Pending int
	// Applied is true when every change was applied and only the check
	// that the backend converged was interrupted.
	Applied bool
	// Err is the context's error, Cause the error the interruption
	// caused (a *DeferredError, a *StepError…); both unwrap from it.
	Err, Cause error
}

func (e *InterruptedError) Error() string {
	switch {
	case !e.Began:
		return "interrupted; nothing changed"
	case !e.Committed:
		return "interrupted; rolled back, nothing changed"
	case e.Applied:
		return "interrupted after every change was applied, while checking that the database converged; run 'ctxschema plan' to confirm"
	}
	if lo := (*leftoverError)(nil); errors.As(e.Cause, &lo) {
		return fmt.Sprintf("interrupted after the transaction committed: its changes are applied, and %d of %d online index builds ran; %v; rerun apply to build the rest", e.Built, e.Pending, lo)
	}
	return fmt.Sprintf("interrupted after the transaction committed: its changes are applied, and %d of %d online index builds ran; the interrupted build was removed: rerun apply to build the rest", e.Built, e.Pending)
}

func (e *InterruptedError) Unwrap() []error { return []error{e.Err, e.Cause} }

// interrupted replaces *err with an *InterruptedError when ctx was
// cancelled: whatever failed then failed because of the cancellation.
func interrupted(ctx context.Context, err *error, ie InterruptedError) {
	if *err == nil || ctx.Err() == nil {
		return
	}
	// A partial apply (through an API) says itself what was done.
	var already *InterruptedError
	var partial *PartialError
	if errors.As(*err, &already) || errors.As(*err, &partial) {
		return
	}
	ie.Err, ie.Cause = ctx.Err(), *err
	*err = &ie
}

// release releases lock, reporting its error in *err unless an error is
// already there: a lock that cannot be released says something went wrong
// with the database or the lock file, even after a successful apply.
func release(lock dialect.Lock, err *error) {
	if rerr := lock.Release(); rerr != nil && *err == nil {
		*err = fmt.Errorf("releasing the apply lock: %w", rerr)
	}
}

// rollback rolls tx back unless it committed, adding a failed rollback to
// *err: the transaction then ends with the connection instead.
func rollback(tx interface{ Rollback() error }, err *error) {
	rerr := tx.Rollback()
	if rerr == nil || errors.Is(rerr, sql.ErrTxDone) {
		return
	}
	*err = errors.Join(*err, fmt.Errorf("rolling back: %w", rerr))
}
