package cli

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// TestApplyOneSessionPostgres pins the sessions (server backends) that
// `apply` opens on PostgreSQL: one, whatever the plan. The read of the
// database while the schema files load is made on the connection the
// apply then runs on (dialect.QuietOpener), and the lock, the
// transaction, the online builds and the convergence check share it
// (dialect.SessionLock). It was three: a read-only read-ahead, the lock's
// and the transaction's.
func TestApplyOneSessionPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const withFax = `
profile:
  attributes:
    - { name: EmailAddress, type: string, length: 64 }
extensions:
  - name: Fax
    type: single-valued
    attributes:
      - { name: FaxNumber, type: string, length: 20 }
`
	for _, c := range []struct {
		name, schema string
		// rows, when set, fills the profile first.
		rows string
	}{
		{"first apply", withFax, ""},
		{"nothing to change", withFax, ""},
		{"online build of a unique key", withFax + `
identification_keys:
  - { name: idEmail, attributes: [EmailAddress], unique: true }
`, `INSERT INTO "profile" ("customer_id", "emailaddress") SELECT 'c' || g, 'u' || g FROM generate_series(1, 1000) g`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.rows != "" {
				pgtest.Exec(t, url, c.rows)
			}
			dir := writeSchemaDir(t, c.schema)
			sessions := pgtest.CountSessions(t, url)
			if _, stderr, err := runApp(t, "apply", "--dir", dir, "--db", sessions.URL, "--auto-approve"); err != nil {
				t.Fatalf("apply: %v\n%s", err, stderr)
			}
			if n := sessions.Count(); n != 1 {
				t.Errorf("apply opened %d sessions, want 1", n)
			}
		})
	}
}

// TestApplyProgressOnlyWhenShownPostgres: apply reads the progress of an
// online build on a second session only when it shows it (--progress, or
// stderr a terminal). With stderr to a file and no --progress, a build
// that runs for seconds reads none: the apply keeps to its one session.
// A writer's open transaction holds the build until the test lets it go.
func TestApplyProgressOnlyWhenShownPostgres(t *testing.T) {
	const schema = `
profile:
  attributes:
    - { name: EmailAddress, type: string, length: 64 }
`
	for _, shown := range []bool{false, true} {
		t.Run(fmt.Sprintf("progress=%v", shown), func(t *testing.T) {
			ctx := context.Background()
			url := pgtest.NewDatabase(t)
			if _, stderr, err := runApp(t, "apply", "--dir", writeSchemaDir(t, schema), "--db", url, "--auto-approve"); err != nil {
				t.Fatalf("apply: %v\n%s", err, stderr)
			}
			pgtest.Exec(t, url, `INSERT INTO "profile" ("customer_id", "emailaddress") SELECT 'c' || g, 'u' || g FROM generate_series(1, 1000) g`)
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			writer, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer writer.Rollback() //nolint:errcheck
			if _, err := writer.ExecContext(ctx, `UPDATE "profile" SET "emailaddress" = 'w' WHERE "customer_id" = 'c1'`); err != nil {
				t.Fatal(err)
			}
			args := []string{"apply", "--dir", writeSchemaDir(t, schema+`
identification_keys:
  - { name: idEmail, attributes: [EmailAddress] }
`), "--auto-approve"}
			if shown {
				args = append(args, "--progress")
			}
			sessions := pgtest.CountSessions(t, url)
			type result struct {
				stderr string
				err    error
			}
			done := make(chan result, 1)
			var stderr syncBuffer
			go func() {
				err := NewApp(strings.NewReader(""), io.Discard, &stderr).Run(append([]string{"ctxschema"}, append(args, "--db", sessions.URL)...))
				done <- result{text(&stderr), err}
			}()
			deadline := time.Now().Add(30 * time.Second)
			for {
				var n int
				if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database() AND phase LIKE 'waiting%'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the online build never waited for the writer")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if shown {
				// Until a progress line, read every second, is shown:
				// the writer holds the build until then.
				for !progressLine.MatchString(text(&stderr)) && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
			} else {
				// Long enough for two reads of the progress, were it read.
				time.Sleep(2500 * time.Millisecond)
			}
			if err := writer.Commit(); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.err != nil {
				t.Fatalf("apply: %v\n%s", r.err, r.stderr)
			}
			n := sessions.Count()
			progress := progressLine.MatchString(r.stderr)
			switch {
			case !shown && (n != 1 || progress):
				t.Errorf("without --progress, apply opened %d sessions, want 1; stderr:\n%s", n, r.stderr)
			case shown && (n < 2 || !progress):
				t.Errorf("with --progress, apply opened %d sessions, want 2, and shows the progress; stderr:\n%s", n, r.stderr)
			}
		})
	}
}

// progressLine matches a line of an online build's progress in apply's
// text view (apply.BuildProgress): the key, the server's phase, how far
// ("…: waiting for writers before build: 0%", "…: building index:
// loading tuples in tree: 100%").
var progressLine = regexp.MustCompile(`(?m)^\+ identification key idEmail: (waiting for|building index)[^\n]*: \d+%?$`)

// text is what was written to s so far.
func text(s *syncBuffer) string {
	t, _ := s.get()
	return t
}
