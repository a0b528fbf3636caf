package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// The tests below run the real binary against the PostgreSQL server named
// by CTXSCHEMA_TEST_POSTGRES, each in a database of its own; they are
// skipped without it.

// pgV1 is the starting point of the fault-injection runs; pgV2 adds an
// attribute (in the apply's transaction) and three indexes on tables with
// rows, built online after it.
const pgV1 = `
profile:
  attributes:
    - { name: FirstName, type: string, length: 64 }
    - { name: EmailAddress, type: string, length: 64 }
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: PhoneNumber, type: string, length: 20, mandatory: true }
`

const pgV2 = `
profile:
  attributes:
    - { name: FirstName, type: string, length: 64 }
    - { name: EmailAddress, type: string, length: 64 }
    - { name: Title, type: string, length: 16 }
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: PhoneNumber, type: string, length: 20, mandatory: true }
    unique: [PhoneNumber]
identification_keys:
  - { name: idEmail, attributes: [EmailAddress], unique: true }
  - { name: idName, attributes: [FirstName, EmailAddress] }
`

// pgDB makes a database of its own and returns its URL and a connection.
func pgDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return url, db
}

// pgFrom is a database of its own with schema v1 applied, and the
// directories of schemas v1 and v2, for a test that moves between them.
func pgFrom(t *testing.T, v1, v2 string) (url string, db *sql.DB, v1dir, v2dir string) {
	t.Helper()
	url, db = pgDB(t)
	dir := t.TempDir()
	v1dir = writeSchema(t, filepath.Join(dir, "v1"), v1)
	v2dir = writeSchema(t, filepath.Join(dir, "v2"), v2)
	if code, out := pgApply(t, url, v1dir); code != 0 {
		t.Fatalf("apply v1: exit %d\n%s", code, out)
	}
	return url, db, v1dir, v2dir
}

func pgExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func pgApply(t *testing.T, url, dir string, extra ...string) (int, string) {
	t.Helper()
	return ctx(t, append([]string{"apply", "--db", url, "--dir", dir, "--auto-approve", "--lock-timeout", "120s"}, extra...)...)
}

// managedIndexes lists the ik_ and ux_ indexes of the database, with
// "(invalid)" after an invalid one.
func managedIndexes(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT i.relname, x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE i.relname LIKE 'ik\_%' OR i.relname LIKE 'ux\_%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		var valid bool
		if err := rows.Scan(&name, &valid); err != nil {
			t.Fatal(err)
		}
		if !valid {
			name += " (invalid)"
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// appName is the application_name ctxschema gives its connections.
func appName(pid int) string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	name := fmt.Sprintf("ctxschema %s pid %d", host, pid)
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// phaseOf says what the apply of process pid is doing, from its sessions.
func phaseOf(db *sql.DB, pid int) string {
	var online, inTx, sessions int
	err := db.QueryRow(`SELECT count(*) FILTER (WHERE state = 'active' AND query ILIKE '%CONCURRENTLY%'),
		       count(*) FILTER (WHERE xact_start IS NOT NULL AND state <> 'idle' AND query NOT ILIKE '%CONCURRENTLY%'),
		       count(*)
		FROM pg_stat_activity WHERE application_name = $1`, appName(pid)).Scan(&online, &inTx, &sessions)
	switch {
	case err != nil:
		return "unknown"
	case online > 0:
		return "online index build"
	case inTx > 0:
		return "transaction"
	case sessions > 0:
		return "connected, between statements"
	}
	return "start-up (not connected yet) or exit"
}

// waitSessions waits until the server has no session of process pid
// left, and reports whether it had one.
func waitSessions(t *testing.T, db *sql.DB, pid int) bool {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for first := true; ; first = false {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, appName(pid)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return !first
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sessions of the killed apply (pid %d) never ended", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPostgresKilledApplies kills applies with SIGKILL or SIGTERM at random
// points, the online index builds included, and requires every rerun to
// converge: the apply succeeds, the next plan is empty and no invalid or
// unmanaged ik_/ux_ index is left.
func TestPostgresKilledApplies(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 26 applies; skipped with -short")
	}
	url, db, v1dir, v2dir := pgFrom(t, pgV1, pgV2)
	const customers = 60000
	pgExec(t, db,
		fmt.Sprintf(`INSERT INTO "profile" ("customer_id", "firstname", "emailaddress") SELECT 'c' || g, 'F' || (g %% 1000), 'u' || g || '@example.com' FROM generate_series(1, %d) g`, customers),
		fmt.Sprintf(`INSERT INTO "ext_phone" ("customer_id", "phonenumber") SELECT 'c' || g, '555' || g FROM generate_series(1, %d) g`, customers),
		`VACUUM ANALYZE`)
	var want []string // the indexes of v2, from the reference run

	converge := func(i int, what string) {
		t.Helper()
		if code, out := pgApply(t, url, v2dir); code != 0 {
			t.Fatalf("run %d (%s): the rerun failed: exit %d\n%s", i, what, code, out)
		}
		if code, out := ctx(t, "plan", "--db", url, "--dir", v2dir, "--detailed-exitcode"); code != 0 || strings.Contains(out, "unmanaged") {
			t.Fatalf("run %d (%s): the plan after the rerun is not empty: exit %d\n%s", i, what, code, out)
		}
		got := managedIndexes(t, db)
		if want == nil {
			want = got
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || len(want) != 3 {
			t.Fatalf("run %d (%s): indexes after the rerun %v, want %v", i, what, got, want)
		}
	}
	reset := func() {
		t.Helper()
		if code, out := pgApply(t, url, v1dir, "--allow-destructive"); code != 0 {
			t.Fatalf("back to v1: exit %d\n%s", code, out)
		}
	}

	start := time.Now()
	if code, out := pgApply(t, url, v2dir); code != 0 {
		t.Fatalf("reference apply: exit %d\n%s", code, out)
	}
	took := time.Since(start)
	converge(-1, "reference")
	reset()

	const runs = 26
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	phases := map[string]int{}
	orphans := 0
	for i := 0; i < runs; i++ {
		sig, signame := syscall.SIGKILL, "SIGKILL"
		if i%2 == 1 {
			sig, signame = syscall.SIGTERM, "SIGTERM"
		}
		// Kill points spread over the apply, start-up included (an apply
		// may run faster than the reference: keep most kills inside it).
		delay := time.Duration(rng.Int63n(int64(took) * 9 / 10))
		cmd := exec.Command(bin, "apply", "--db", url, "--dir", v2dir, "--auto-approve")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		phase := phaseOf(db, cmd.Process.Pid)
		_ = cmd.Process.Signal(sig)
		if err := cmd.Wait(); err == nil {
			phase = "none: the apply had finished" // it exited 0 first
		}
		phases[signame+" during "+phase]++
		// The server ends a killed client's sessions only once their
		// statement ends (an index build runs on to its end): the rerun
		// starts when they are gone, or its first plan would be stale.
		// (The apply itself waits for such a build before it touches
		// the index: TestLockWaitsForRunningBuild.)
		if waitSessions(t, db, cmd.Process.Pid) {
			orphans++
		}
		converge(i, fmt.Sprintf("%s after %v, during %s", signame, delay.Round(time.Millisecond), phase))
		reset()
	}
	var report []string
	for p, n := range phases {
		report = append(report, fmt.Sprintf("%d %s", n, p))
	}
	sort.Strings(report)
	t.Logf("%d kills over an apply of %v (%d customers), %d leaving server sessions that outlived the process; every rerun converged with no leftover index:\n  %s", runs, took.Round(time.Millisecond), customers, orphans, strings.Join(report, "\n  "))
	online := 0
	for p, n := range phases {
		if strings.HasSuffix(p, "online index build") {
			online += n
		}
	}
	if online == 0 {
		t.Error("no kill landed during an online index build")
	}
}

// pgLossV1 has an attribute and an extension that pgLossV2 deletes.
const pgLossV1 = `
profile:
  attributes:
    - { name: EmailAddress, type: string, length: 64 }
    - { name: Nickname, type: string, length: 32 }
extensions:
  - name: Fax
    type: single-valued
    attributes:
      - { name: FaxNumber, type: string, length: 20 }
`

const pgLossV2 = `
profile:
  attributes:
    - { name: EmailAddress, type: string, length: 64 }
`

// TestPostgresDestructiveCheckUnderWrites: while an apply without
// --allow-destructive deletes an all-NULL attribute and an empty extension,
// another connection commits values into both, from a random moment on.
// No committed value may be lost: either the apply refuses (exit 5) and
// every committed value is still there, or it applies and no write had
// committed (the writes that came after the drop failed).
func TestPostgresDestructiveCheckUnderWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("races 24 applies with a writer; skipped with -short")
	}
	url, db, v1dir, v2dir := pgFrom(t, pgLossV1, pgLossV2)
	const customers = 60000
	pgExec(t, db, fmt.Sprintf(`INSERT INTO "profile" ("customer_id", "emailaddress") SELECT 'c' || g, 'u' || g FROM generate_series(1, %d) g`, customers))

	start := time.Now()
	code, out := pgApply(t, url, v2dir)
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("reference apply: exit %d\n%s", code, out)
	}

	const runs = 24
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var refused, applied int
	for i := 0; i < runs; i++ {
		if code, out := pgApply(t, url, v1dir); code != 0 {
			t.Fatalf("run %d: back to v1: exit %d\n%s", i, code, out)
		}
		pgExec(t, db, `UPDATE "profile" SET "nickname" = NULL WHERE "nickname" IS NOT NULL`, `DELETE FROM "ext_fax"`)

		delay := time.Duration(rng.Int63n(int64(took)))
		done := make(chan struct{})
		var committed int
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(delay)
			for k := 1; ; k++ {
				stop := false
				select {
				case <-done:
					stop = true // one more write after the apply ended
				default:
				}
				c, cancel := context.WithTimeout(context.Background(), time.Minute)
				var err error
				if k%2 == 0 {
					_, err = db.ExecContext(c, `UPDATE "profile" SET "nickname" = $1 WHERE "customer_id" = $2`, fmt.Sprintf("n%d", k), fmt.Sprintf("c%d", k))
				} else {
					_, err = db.ExecContext(c, `INSERT INTO "ext_fax" ("customer_id", "faxnumber") VALUES ($1, '555')`, fmt.Sprintf("c%d", k))
				}
				cancel()
				if err == nil {
					committed++
				} else if !strings.Contains(err.Error(), "does not exist") {
					t.Errorf("run %d: write %d: %v", i, k, err)
					return
				}
				if stop {
					return
				}
			}
		}()
		code, out := pgApply(t, url, v2dir)
		close(done)
		wg.Wait()

		var kept int
		exists := func(q string) bool {
			var ok bool
			if err := db.QueryRow(q).Scan(&ok); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		nickname := exists(`SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'profile' AND column_name = 'nickname')`)
		fax := exists(`SELECT to_regclass('ext_fax') IS NOT NULL`)
		switch {
		case code == 5 && strings.Contains(out, "--allow-destructive"):
			refused++
			if !nickname || !fax {
				t.Fatalf("run %d: the apply refused, yet dropped the column (%v) or the table (%v)", i, !nickname, !fax)
			}
			if err := db.QueryRow(`SELECT (SELECT count("nickname") FROM "profile") + (SELECT count(*) FROM "ext_fax")`).Scan(&kept); err != nil {
				t.Fatal(err)
			}
			if kept != committed {
				t.Fatalf("run %d: %d values committed, %d kept", i, committed, kept)
			}
		case code == 0:
			applied++
			if nickname || fax {
				t.Fatalf("run %d: the apply succeeded but left the column (%v) or the table (%v)", i, nickname, fax)
			}
			if committed > 0 {
				t.Fatalf("run %d: %d values were committed and then dropped without --allow-destructive:\n%s", i, committed, out)
			}
		default:
			t.Fatalf("run %d: exit %d\n%s", i, code, out)
		}
	}
	t.Logf("%d applies raced with a writer starting at a random moment of an apply of %v: %d refused with the values kept, %d applied before any write committed", runs, took.Round(time.Millisecond), refused, applied)
}
