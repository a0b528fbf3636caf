package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// TestApplyOneSession pins the sessions (server backends, tens of
// milliseconds each) that an apply opens: the one Open made, and no
// other. The lock, the transaction, the online builds after it, their
// records and the convergence check all run on the lock's session
// (dialect.SessionLock); so does a mode switch.
func TestApplyOneSession(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	d := postgres.New()
	// The schema without the key, and rows, so that the key's unique index
	// is built online, after the transaction.
	setup, err := d.Open(ctx, url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if _, err := apply.Run(ctx, apply.Target{Dialect: d, DB: setup, URL: url}, emailSchema(false), apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	setup.MustExec(`INSERT INTO "profile" ("customer_id", "emailaddress") SELECT 'c' || g, 'u' || g FROM generate_series(1, 1000) g`)

	withPhone := emailSchema(true)
	withPhone.Extensions = []model.Extension{{Name: "Phone", Type: model.MultiValued,
		Attributes: []model.Attribute{{Name: "Number", Type: model.String, Length: 20}}}}
	for _, c := range []struct {
		name string
		run  func(apply.Target) error
	}{
		{"online build of a unique key", func(tg apply.Target) error {
			res, err := apply.Run(ctx, tg, emailSchema(true), apply.Options{LockTimeout: 10 * time.Second})
			if err == nil && res.Deferred != 1 {
				err = fmt.Errorf("%d online builds, want 1", res.Deferred)
			}
			return err
		}},
		{"a new extension in the transaction", func(tg apply.Target) error {
			_, err := apply.Run(ctx, tg, withPhone, apply.Options{LockTimeout: 10 * time.Second})
			return err
		}},
		{"nothing to change", func(tg apply.Target) error {
			_, err := apply.Run(ctx, tg, withPhone, apply.Options{LockTimeout: 10 * time.Second})
			return err
		}},
		{"a mode switch", func(tg apply.Target) error {
			_, err := apply.SetMode(ctx, tg, model.Production, apply.Options{LockTimeout: 10 * time.Second})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sessions := pgtest.CountSessions(t, url)
			db, err := d.Open(ctx, sessions.URL, dialect.WriteExisting)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := c.run(apply.Target{Dialect: d, DB: db, URL: sessions.URL}); err != nil {
				t.Fatal(err)
			}
			if n := sessions.Count(); n != 1 {
				t.Errorf("%d sessions, want 1: the one Open made", n)
			}
			t.Logf("%d round trips, Open's included", sessions.RoundTrips())
		})
	}
}

// TestLockRoundTrips: the apply lock, on a connection that Open made,
// takes two round trips: the lock, and the check for index builds left
// running. The schema, which keys the lock, is the one Open read.
func TestLockRoundTrips(t *testing.T) {
	ctx := context.Background()
	sessions := pgtest.CountSessions(t, pgtest.NewDatabase(t))
	d := postgres.New()
	db, err := d.Open(ctx, sessions.URL, dialect.WriteExisting)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := sessions.RoundTrips()
	l, err := d.Lock(ctx, db, sessions.URL, dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if n := sessions.RoundTrips() - before; n != 2 {
		t.Errorf("Lock took %d round trips, want 2", n)
	}
}

// TestBuildProgressOnlyWhenShown: the progress of an online build is read
// on a second session only when it is shown (apply.Options.Progress, as
// apply --progress or a terminal asks). Events alone (stderr to a file)
// read none: the apply keeps to the session Open made. A writer's open
// transaction holds the build, so that it runs for many ProgressEvery.
func TestBuildProgressOnlyWhenShown(t *testing.T) {
	for _, shown := range []bool{false, true} {
		t.Run(fmt.Sprintf("progress=%v", shown), func(t *testing.T) {
			ctx := context.Background()
			tg := seeded(t, 2000)
			writer, err := tg.DB.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer writer.Rollback() //nolint:errcheck
			if _, err := writer.ExecContext(ctx, `UPDATE "profile" SET "emailaddress" = 'w' || "emailaddress" WHERE "customer_id" = 'c1'`); err != nil {
				t.Fatal(err)
			}
			sessions := pgtest.CountSessions(t, tg.URL)
			db, err := tg.Dialect.Open(ctx, sessions.URL, dialect.WriteExisting)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var progress atomic.Int32
			errc := make(chan error, 1)
			go func() {
				_, err := apply.Run(ctx, apply.Target{Dialect: tg.Dialect, DB: db, URL: sessions.URL}, emailSchema(true), apply.Options{
					LockTimeout:   10 * time.Second,
					Progress:      shown,
					ProgressEvery: time.Millisecond,
					Events: func(e apply.Event) {
						if e.Type == apply.BuildProgress {
							progress.Add(1)
						}
					},
				})
				errc <- err
			}()
			// The build waits for the writer: let a hundred ticks go by
			// (or, when shown, until the progress is reported).
			deadline := time.Now().Add(20 * time.Second)
			for waited := 0; ; {
				var n int
				if err := tg.DB.Get(&n, `SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database() AND phase LIKE 'waiting%'`); err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					waited++
				}
				if waited >= 10 && (!shown || progress.Load() > 0) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the online build never waited for the writer, or no progress came (%d events)", progress.Load())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := writer.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if indexState(t, tg, "ik_idemail") != "valid" {
				t.Fatalf("the index is %s, want valid", indexState(t, tg, "ik_idemail"))
			}
			n := sessions.Count()
			switch {
			case !shown && (n != 1 || progress.Load() != 0):
				t.Errorf("progress not shown: %d sessions and %d progress events, want 1 session (Open's) and none", n, progress.Load())
			case shown && n < 2:
				// The control: the proxy sees the pool's progress reads.
				t.Errorf("progress shown: %d session, want more: the progress is read on the pool", n)
			}
		})
	}
}
