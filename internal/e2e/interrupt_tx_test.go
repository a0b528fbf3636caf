package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestPostgresInterruptInTransactionReleasesCleanly (hostile tester,
// session 4): Ctrl-C while the apply's transaction waits for a table lock
// asks the server to cancel the statement and keeps the session (README,
// PostgreSQL). The apply then says "interrupted; rolled back, nothing
// changed" and nothing else. It also reports a failure to release the
// apply lock: no ROLLBACK reaches the server (the transaction's context
// is done), so pg_advisory_unlock runs in the aborted transaction
// (25P02) and the session is discarded instead.
func TestPostgresInterruptInTransactionReleasesCleanly(t *testing.T) {
	url, db, _, v2dir := pgFrom(t, pgV1, pgV2)
	pgExec(t, db, `INSERT INTO "profile" ("customer_id", "firstname", "emailaddress") SELECT 'c' || g, 'F' || g, 'u' || g FROM generate_series(1, 100) g`)
	// A writer holds a row of profile: the apply's ALTER TABLE waits.
	writer, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback() //nolint:errcheck
	if _, err := writer.Exec(`UPDATE "profile" SET "firstname" = 'w' WHERE "customer_id" = 'c1'`); err != nil {
		t.Fatal(err)
	}
	cmd, out, done := started(t, nil, "creating…", "apply", "--db", url, "--dir", v2dir, "--auto-approve")
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, appName(cmd.Process.Pid)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the apply never waited for the writer:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	code := exitAfterInterrupt(t, cmd, out, done)
	got := out.String()
	if code != 1 || !strings.Contains(got, "interrupted; rolled back, nothing changed") {
		t.Fatalf("Ctrl-C in the transaction: exit %d, want 1 and the rollback said\n%s", code, got)
	}
	if strings.Contains(got, "releasing the apply lock") || strings.Contains(got, "25P02") {
		t.Errorf("Ctrl-C in the transaction reports a failed release of the apply lock:\n%s", got)
	}
}
