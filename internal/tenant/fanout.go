package tenant

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Work runs a command on one tenant. It writes what it shows to stdout and
// what it says to stderr, both this tenant's own buffers, and returns how
// many changes the tenant's plan holds and the command's error.
type Work func(ctx context.Context, t Tenant, stdout, stderr io.Writer) (changes int, err error)

// Result is what a command did on one tenant.
type Result struct {
	Tenant Tenant
	// Started is false for a tenant the fan-out never started: after a
	// failure (without ContinueOnError) or once ctx was done.
	Started bool
	// Changes is how many changes the tenant's plan held.
	Changes int
	// Err is the command's error on this tenant, or nil.
	Err error
	// Stdout and Stderr are what the command wrote, whole.
	Stdout, Stderr []byte
	// Elapsed is how long the tenant took.
	Elapsed time.Duration
}

// Options say how to fan out.
type Options struct {
	// Parallel is how many tenants run at a time; below 1 means 1.
	Parallel int
	// ContinueOnError starts the next tenants after one failed or was
	// refused; without it, no new tenant starts (those running finish).
	ContinueOnError bool
	// Done, when set, is called with each tenant's result as the tenant
	// finishes, one call at a time, in the order they finish.
	Done func(Result)
}

// Run runs work on every tenant, opts.Parallel at a time, starting them in
// the order given. It starts no new tenant once ctx is done (Ctrl-C), or
// after an error unless opts.ContinueOnError; running tenants get ctx, so
// that an interrupted apply finishes or rolls back as it would alone. It
// returns one result per tenant, in the order given, the ones not started
// included.
func Run(ctx context.Context, tenants []Tenant, work Work, opts Options) []Result {
	n := opts.Parallel
	if n < 1 {
		n = 1
	}
	results := make([]Result, len(tenants))
	for i, t := range tenants {
		results[i].Tenant = t
	}
	var (
		mu      sync.Mutex // guards failed and serializes Done
		failed  bool
		wg      sync.WaitGroup
		slots   = make(chan struct{}, n)
		stopped = func() bool {
			mu.Lock()
			defer mu.Unlock()
			return failed && !opts.ContinueOnError
		}
	)
	for i := range tenants {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil || stopped() {
			break
		}
		results[i].Started = true
		wg.Add(1)
		go func(r *Result) {
			defer wg.Done()
			defer func() { <-slots }()
			var stdout, stderr bytes.Buffer
			start := time.Now()
			r.Changes, r.Err = work(ctx, r.Tenant, &stdout, &stderr)
			r.Elapsed = time.Since(start)
			r.Stdout, r.Stderr = stdout.Bytes(), stderr.Bytes()
			mu.Lock()
			defer mu.Unlock()
			failed = failed || r.Err != nil
			if opts.Done != nil {
				opts.Done(*r)
			}
		}(&results[i])
	}
	wg.Wait()
	return results
}

// Error is the error of a fan-out in which a tenant failed or was refused,
// or that left tenants not started (after a failure, or interrupted). main
// maps the most serious of Errs to the exit code.
type Error struct {
	// Failed are the tenants that failed or were refused, in file order.
	Failed []Result
	// NotStarted counts the tenants never started.
	NotStarted int
	// Interrupted is ctx's error when the fan-out was interrupted, or nil.
	Interrupted error
	// Total is how many tenants there were.
	Total int
}

// Check returns the *Error of results, or nil when every tenant ran
// without an error. ctx tells an interrupted fan-out.
func Check(ctx context.Context, results []Result) error {
	e := &Error{Total: len(results)}
	for _, r := range results {
		switch {
		case !r.Started:
			e.NotStarted++
		case r.Err != nil:
			e.Failed = append(e.Failed, r)
		}
	}
	if len(e.Failed) == 0 && e.NotStarted == 0 {
		return nil
	}
	e.Interrupted = ctx.Err()
	return e
}

// Errs returns each failed tenant's error, and the interruption's.
func (e *Error) Errs() []error {
	var out []error
	for _, r := range e.Failed {
		out = append(out, r.Err)
	}
	if e.Interrupted != nil {
		out = append(out, e.Interrupted)
	}
	return out
}

func (e *Error) Error() string {
	var parts []string
	if n := len(e.Failed); n > 0 {
		names := make([]string, 0, 3)
		for i, r := range e.Failed {
			if i == 3 {
				names = append(names, "…")
				break
			}
			names = append(names, r.Tenant.String())
		}
		parts = append(parts, fmt.Sprintf("%d of %d tenants failed or were refused: %s", n, e.Total, strings.Join(names, ", ")))
	}
	if e.NotStarted > 0 {
		why := "after the first failure (--continue-on-error goes on with the others)"
		if e.Interrupted != nil {
			why = "interrupted"
		}
		parts = append(parts, fmt.Sprintf("%d of %d tenants not started: %s", e.NotStarted, e.Total, why))
	}
	msg := strings.Join(parts, "; ") + "; the summary above says what each tenant did"
	if e.Interrupted != nil {
		msg = "interrupted: " + msg
	}
	return msg
}
