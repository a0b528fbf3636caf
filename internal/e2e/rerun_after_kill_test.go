package e2e

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPostgresRerunAfterKillDuringBuild (hostile tester, session 4): an
// apply killed (SIGKILL) during an online index build leaves the build
// running on the server, holding the apply lock until it ends (README,
// PostgreSQL: "so that the next apply finds the index finished or invalid,
// never half-way"; SPEC §6: "the concurrent index step aside, which a rerun
// completes"). A rerun started at once waits for that build, as it should,
// but then refuses its own plan as stale (exit 5): the state it read ahead
// of the lock, with the build under way, is not the state under the lock.
func TestPostgresRerunAfterKillDuringBuild(t *testing.T) {
	url, db, _, v2dir := pgFrom(t, pgV1, pgV2)
	pgExec(t, db,
		`INSERT INTO "profile" ("customer_id", "firstname", "emailaddress") SELECT 'c' || g, 'F' || g, 'u' || g FROM generate_series(1, 2000) g`,
		`INSERT INTO "ext_phone" ("customer_id", "phonenumber") SELECT 'c' || g, '555' || g FROM generate_series(1, 2000) g`)
	// A transaction's old snapshot keeps every online build waiting
	// ("waiting for old snapshots", the index ready but not valid yet)
	// until it ends.
	writer, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback() //nolint:errcheck
	if _, err := writer.Exec(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec(`SELECT count(*) FROM "cs_meta"`); err != nil {
		t.Fatal(err)
	}
	first := exec.Command(bin, "apply", "--db", url, "--dir", v2dir, "--auto-approve")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	// waitFor polls query, a count, until it is positive; it kills the
	// first apply and fails with never when the deadline passes.
	waitFor := func(query, never string, args ...any) {
		t.Helper()
		for {
			var n int
			if err := db.QueryRow(query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				return
			}
			if time.Now().After(deadline) {
				first.Process.Kill()
				t.Fatal(never)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query ILIKE '%CONCURRENTLY%'`,
		"the apply never started an online build", appName(first.Process.Pid))
	waitFor(`SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database() AND phase LIKE 'waiting for old snapshots%'`,
		"the build never waited for the old snapshot")
	first.Process.Kill()
	first.Wait() //nolint:errcheck // killed

	// The rerun, at once: it waits for the build the server still runs.
	rerun, out, done := started(t, nil, "waiting for the apply lock", "apply", "--db", url, "--dir", v2dir, "--auto-approve", "--lock-timeout", "60s")
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	var code int
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		code = rerun.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		rerun.Process.Kill()
		t.Fatalf("the rerun never ended:\n%s", out.String())
	}
	if code != 0 {
		t.Errorf("the rerun after a kill during an online build: exit %d, want 0 (it converges)\n%s", code, out.String())
	}
	if code, out := ctx(t, "plan", "--db", url, "--dir", v2dir, "--detailed-exitcode"); code != 0 || strings.Contains(out, "unmanaged") {
		t.Errorf("plan after the rerun: exit %d, want 0\n%s", code, out)
	}
}
