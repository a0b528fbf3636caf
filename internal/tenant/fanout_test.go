package tenant

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func tenants(n int) []Tenant {
	out := make([]Tenant, n)
	for i := range out {
		out[i] = Tenant{ID: int64(i + 1), Name: fmt.Sprintf("t%d", i+1), DB: fmt.Sprintf("sqlite://t%d.db", i+1)}
	}
	return out
}

// At most Parallel tenants run at once, every tenant runs, results keep the
// file's order and Done is never called twice at once.
func TestRunBoundsParallel(t *testing.T) {
	var running, most, inDone int32
	gate := make(chan struct{})
	var once sync.Once
	work := func(ctx context.Context, tn Tenant, stdout, _ io.Writer) (int, error) {
		n := atomic.AddInt32(&running, 1)
		for {
			m := atomic.LoadInt32(&most)
			if n <= m || atomic.CompareAndSwapInt32(&most, m, n) {
				break
			}
		}
		if n == 3 {
			once.Do(func() { close(gate) })
		}
		<-gate // hold until three run together, so that the bound is reached
		atomic.AddInt32(&running, -1)
		fmt.Fprintf(stdout, "tenant %d\n", tn.ID)
		return int(tn.ID), nil
	}
	done := 0
	results := Run(context.Background(), tenants(12), work, Options{Parallel: 3, Done: func(Result) {
		if atomic.AddInt32(&inDone, 1) != 1 {
			t.Error("Done called while another call runs")
		}
		done++
		atomic.AddInt32(&inDone, -1)
	}})
	if most != 3 {
		t.Errorf("at most %d tenants ran at once, want 3", most)
	}
	if done != 12 {
		t.Errorf("Done called %d times, want 12", done)
	}
	for i, r := range results {
		if !r.Started || r.Tenant.ID != int64(i+1) || r.Changes != i+1 || string(r.Stdout) != fmt.Sprintf("tenant %d\n", i+1) {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	if err := Check(context.Background(), results); err != nil {
		t.Errorf("Check = %v, want nil", err)
	}
}

// After a failure no new tenant starts, unless ContinueOnError.
func TestRunStopsAfterFailure(t *testing.T) {
	boom := errors.New("boom")
	work := func(_ context.Context, tn Tenant, _, _ io.Writer) (int, error) {
		if tn.ID == 3 {
			return 0, boom
		}
		return 1, nil
	}
	results := Run(context.Background(), tenants(8), work, Options{Parallel: 1})
	for i, r := range results {
		if want := i < 3; r.Started != want {
			t.Errorf("tenant %d started = %v, want %v", i+1, r.Started, want)
		}
	}
	err := Check(context.Background(), results)
	var fe *Error
	if !errors.As(err, &fe) || len(fe.Failed) != 1 || fe.NotStarted != 5 || fe.Interrupted != nil {
		t.Fatalf("Check = %#v", err)
	}
	if errs := fe.Errs(); len(errs) != 1 || errs[0] != boom {
		t.Errorf("Errs = %v", errs)
	}

	results = Run(context.Background(), tenants(8), work, Options{Parallel: 2, ContinueOnError: true})
	for i, r := range results {
		if !r.Started {
			t.Errorf("tenant %d not started with ContinueOnError", i+1)
		}
	}
	if err := Check(context.Background(), results); !errors.As(err, &fe) || fe.NotStarted != 0 || len(fe.Failed) != 1 {
		t.Errorf("Check = %v", err)
	}
}

// Once ctx is done (Ctrl-C), no new tenant starts; running ones finish
// with ctx, and the error says the fan-out was interrupted.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	work := func(ctx context.Context, tn Tenant, _, _ io.Writer) (int, error) {
		if tn.ID == 2 {
			cancel()
			<-ctx.Done()
			return 0, ctx.Err()
		}
		return 0, nil
	}
	results := Run(ctx, tenants(6), work, Options{Parallel: 1, ContinueOnError: true})
	for i, r := range results {
		if want := i < 2; r.Started != want {
			t.Errorf("tenant %d started = %v, want %v", i+1, r.Started, want)
		}
	}
	var fe *Error
	if err := Check(ctx, results); !errors.As(err, &fe) || fe.Interrupted == nil || fe.NotStarted != 4 {
		t.Errorf("Check = %v, want interrupted with 4 not started", err)
	}
}

// A markdown comment over many tenants with changes stays under the size
// of a GitHub comment, and says which tenants it left out.
func TestMarkdownBudget(t *testing.T) {
	plan := "## ctxschema plan: 1 to create, 0 to update, 0 to delete\n\n" + strings.Repeat("| + create | key | `idX` | details |\n", 40)
	results := make([]Result, 1000)
	for i := range results {
		results[i] = Result{Tenant: Tenant{ID: int64(i + 1), Name: fmt.Sprintf("tenant%d", i+1), DB: "postgres://ctx:pw@db.internal:5432/tenant" + fmt.Sprint(i+1)},
			Started: true, Changes: 1, Stdout: []byte(plan)}
		if i%3 == 0 {
			results[i].Changes, results[i].Stdout = 0, []byte("No changes.")
		}
	}
	var b strings.Builder
	if err := (Report{Command: "plan"}).Markdown(&b, results); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if len(md) > 65536 {
		t.Errorf("the comment is %d bytes, over GitHub's 65,536", len(md))
	}
	for _, want := range []string{
		"## ctxschema plan over 1000 tenants: 666 with changes",
		"334 tenants without changes are not listed.",
		"### Tenant 2 (tenant2)",
		"#### ctxschema plan: 1 to create",
		"more tenants (",
		"are left out to keep this under the size of a comment",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the comment lacks %q", want)
		}
	}
	if strings.Contains(md, "| 1 | tenant1 |") || strings.Contains(md, ":pw@") {
		t.Errorf("the comment lists a tenant without changes, or a password")
	}
}
