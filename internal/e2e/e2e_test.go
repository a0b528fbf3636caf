// Package e2e runs the real ctxschema binary in subprocesses: applies that
// race for the lock, and applies killed with SIGKILL at many points, each
// checked against the database before and after.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
)

// bin is the ctxschema binary built by TestMain.
var bin string

// buildFlags are the flags TestMain builds bin with: -race when the tests
// themselves run with it (race_test.go), so that the binary's goroutines
// are checked too.
var buildFlags []string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ctxschema-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ctxschema")
	out, err := exec.Command("go", append([]string{"build", "-o", bin}, append(buildFlags, "../..")...)...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building ctxschema: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const v1 = `
profile:
  attributes:
    - { name: FirstName, type: string, length: 64 }
    - { name: LastName, type: string, length: 64 }
    - { name: EmailAddress, type: string, length: 256 }
    - { name: Nickname, type: string }
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: PhoneType, type: integer, default: 0, mandatory: true }
      - { name: PhoneNumber, type: string, length: 15, mandatory: true }
    unique: [PhoneNumber]
  - name: Address
    type: single-valued
    attributes:
      - { name: City, type: string, length: 32 }
identification_keys:
  - { name: idEmail, attributes: [EmailAddress], unique: true }
  - { name: idPhone, source: Phone, attributes: [PhoneNumber] }
`

// v2 changes every table: a longer and a narrower string (rebuilds), a
// deleted attribute, a renamed attribute, a new extension, a new composite
// key and a replaced key.
const v2 = `
profile:
  attributes:
    - { name: FirstName, type: string, length: 128 }
    - { name: Surname, type: string, length: 64, renamed_from: LastName }
    - { name: EmailAddress, type: string, length: 200 }
    - { name: Title, type: string, length: 16 }
extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: PhoneType, type: long, default: 1, mandatory: true }
      - { name: PhoneNumber, type: string, length: 20, mandatory: true }
      - { name: Verified, type: boolean, default: false }
    unique: [PhoneNumber]
  - name: Address
    type: single-valued
    attributes:
      - { name: City, type: string, length: 64 }
      - { name: PostCode, type: string, length: 10 }
  - name: Loyalty
    type: single-valued
    attributes:
      - { name: Points, type: integer }
identification_keys:
  - { name: idEmail, attributes: [EmailAddress], unique: true }
  - { name: idPhone, source: Phone, attributes: [PhoneType, PhoneNumber] }
  - { name: idName, attributes: [Surname, FirstName] }
`

func writeSchema(t *testing.T, dir, text string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "schema.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ctx runs the binary and returns its exit code and output.
func ctx(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return runCmd(t, exec.Command(bin, args...))
}

// runCmd runs cmd and returns its exit code and its output (stdout and
// stderr together).
func runCmd(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("running %s: %v", cmd, err)
	return -1, ""
}

func mustApply(t *testing.T, db, dir string) {
	t.Helper()
	if code, out := ctx(t, "apply", "--db", "sqlite://"+db, "--dir", dir, "--auto-approve", "--allow-destructive"); code != 0 {
		t.Fatalf("apply %s: exit %d\n%s", dir, code, out)
	}
}

// seed fills the v1 tables with n customers, each with two phones and an
// address.
func seed(t *testing.T, path string, n int) {
	t.Helper()
	db := open(t, path)
	defer db.Close()
	tx := db.MustBegin()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%06d", i)
		tx.MustExec(`INSERT INTO "profile" ("customer_id", "firstname", "lastname", "emailaddress", "nickname") VALUES (?, ?, ?, ?, ?)`,
			id, "First"+id, "Last"+id, id+"@example.com", "nick")
		tx.MustExec(`INSERT INTO "ext_phone" ("customer_id", "phonetype", "phonenumber") VALUES (?, 1, ?), (?, 2, ?)`, id, "555"+id[1:], id, "556"+id[1:])
		tx.MustExec(`INSERT INTO "ext_address" ("customer_id", "city") VALUES (?, 'Paris')`, id)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, path string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// snapshot describes everything an apply changes: the schema objects, the
// catalog, the history length and the row count of every table.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	db := open(t, path)
	defer db.Close()
	var objects []struct {
		Type, Name string
		SQL        *string `db:"sql"`
	}
	if err := db.Select(&objects, `SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var tables []string
	for _, o := range objects {
		sql := ""
		if o.SQL != nil {
			sql = *o.SQL
		}
		fmt.Fprintf(&b, "%s %s: %s\n", o.Type, o.Name, sql)
		if o.Type == "table" {
			tables = append(tables, o.Name)
		}
	}
	sort.Strings(tables)
	for _, table := range tables {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM "`+table+`"`); err != nil {
			t.Fatal(err)
		}
		if table == "cs_history" {
			fmt.Fprintf(&b, "history entries: %d\n", n)
			continue
		}
		fmt.Fprintf(&b, "rows %s: %d\n", table, n)
	}
	var def string
	if err := db.Get(&def, `SELECT definition FROM cs_schema`); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "catalog: %s\n", def)
	return b.String()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// prepared makes a seeded v1 database and returns its path; the database is
// checkpointed into one file so it can be copied.
func prepared(t *testing.T, dir string, customers int) string {
	t.Helper()
	path := filepath.Join(dir, "seed.db")
	mustApply(t, path, writeSchema(t, filepath.Join(dir, "v1"), v1))
	seed(t, path, customers)
	db := open(t, path)
	db.MustExec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	db.MustExec(`PRAGMA journal_mode=DELETE`)
	db.Close()
	return path
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 30 applies; skipped with -short")
	}
	dir := t.TempDir()
	v2dir := writeSchema(t, filepath.Join(dir, "v2"), v2)
	seeded := prepared(t, dir, 3000)
	before := snapshot(t, seeded)

	// A reference run gives the after state and the apply's duration.
	ref := filepath.Join(dir, "ref.db")
	copyFile(t, seeded, ref)
	start := time.Now()
	mustApply(t, ref, v2dir)
	took := time.Since(start)
	after := snapshot(t, ref)
	if before == after {
		t.Fatal("v2 changes nothing")
	}

	const runs = 30
	var sawBefore, sawAfter int
	kill := func(i int, delay time.Duration) {
		path := filepath.Join(dir, fmt.Sprintf("run%02d.db", i))
		copyFile(t, seeded, path)
		cmd := exec.Command(bin, "apply", "--db", "sqlite://"+path, "--dir", v2dir, "--auto-approve", "--allow-destructive")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		switch got := snapshot(t, path); got {
		case before:
			sawBefore++
		case after:
			sawAfter++
		default:
			t.Fatalf("run %d killed after %v: the database is neither before nor after the apply:\n%s", i, delay, got)
		}
		mustApply(t, path, v2dir)
		if got := snapshot(t, path); got != after {
			t.Fatalf("run %d: rerunning apply did not converge to the after state:\n%s", i, got)
		}
	}
	// Kill points spread over the whole apply, start-up included (the
	// first kill comes before the process opens the database).
	for i := 0; i < runs; i++ {
		kill(i, took*time.Duration(i)/time.Duration(runs-4))
	}
	// On a loaded machine the applies may all have run slower than the
	// reference: give the kills more time until one finds the apply done,
	// so that both outcomes are seen.
	for extra := 0; sawAfter == 0 && extra < 6; extra++ {
		kill(runs+extra, took<<(extra+1))
	}
	t.Logf("%d kills over an apply of %v: %d left the before state, %d the after state; every rerun converged", sawBefore+sawAfter, took, sawBefore, sawAfter)
	if sawBefore == 0 || sawAfter == 0 {
		t.Errorf("the kill points missed the apply: %d before, %d after", sawBefore, sawAfter)
	}
}

func TestConcurrentApplies(t *testing.T) {
	dir := t.TempDir()
	v2dir := writeSchema(t, filepath.Join(dir, "v2"), v2)
	path := prepared(t, dir, 2000)
	want := func() string {
		ref := filepath.Join(dir, "ref.db")
		copyFile(t, path, ref)
		mustApply(t, ref, v2dir)
		return snapshot(t, ref)
	}()

	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]string, 2)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i], outs[i] = ctx(t, "apply", "--db", "sqlite://"+path, "--dir", v2dir, "--auto-approve", "--allow-destructive")
		}(i)
	}
	wg.Wait()
	applied := 0
	for i, out := range outs {
		switch {
		case codes[i] == 0 && strings.Contains(out, "Apply complete"):
			applied++
		case codes[i] == 0 && strings.Contains(out, "No changes"):
		case codes[i] == 5 && strings.Contains(out, "stale"):
			// It planned before the other apply committed; under the lock
			// its plan no longer held, so it refused.
		default:
			t.Errorf("apply %d: exit %d\n%s", i, codes[i], out)
		}
	}
	if applied != 1 {
		t.Errorf("%d applies ran, want exactly 1:\n%s\n---\n%s", applied, outs[0], outs[1])
	}
	if got := snapshot(t, path); got != want {
		t.Errorf("after two concurrent applies the database is not the applied state:\n%s", got)
	}
}

func TestLockTimeoutNamesHolder(t *testing.T) {
	dir := t.TempDir()
	path := prepared(t, dir, 10)
	v2dir := writeSchema(t, filepath.Join(dir, "v2"), v2)
	// Hold the apply lock from this process, as a long apply would.
	lock, err := sqlite.LockFile(context.Background(), path+".lock", dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	started := time.Now()
	code, out := ctx(t, "apply", "--db", "sqlite://"+path, "--dir", v2dir, "--auto-approve", "--allow-destructive", "--lock-timeout", "1s")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if waited := time.Since(started); waited < time.Second {
		t.Errorf("apply gave up after %v, before its 1s lock timeout", waited)
	}
	if holder := fmt.Sprintf("pid %d", os.Getpid()); !strings.Contains(out, holder) {
		t.Errorf("the error does not name the holder (%s):\n%s", holder, out)
	}
	before := snapshot(t, path)
	lock.Release()
	mustApply(t, path, v2dir)
	if snapshot(t, path) == before {
		t.Error("apply changed nothing once the lock was free")
	}
}

// TestModeSwitchTakesTheApplyLock: a switch to production takes the apply
// lock (it waits for it, then names the holder), so it can never land
// between an apply's mode check and its commit.
func TestModeSwitchTakesTheApplyLock(t *testing.T) {
	dir := t.TempDir()
	path := prepared(t, dir, 1)
	lock, err := sqlite.LockFile(context.Background(), path+".lock", dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	code, out := ctx(t, "mode", "--db", "sqlite://"+path, "--lock-timeout", "500ms", "production")
	if code != 1 || !strings.Contains(out, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("mode production while the lock is held: exit %d, want 1 naming the holder:\n%s", code, out)
	}
	lock.Release()
	if code, out := ctx(t, "mode", "--db", "sqlite://"+path, "production"); code != 0 || !strings.Contains(out, "production (was maintenance)") {
		t.Fatalf("mode production: exit %d\n%s", code, out)
	}
}
