package e2e

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTenantsCrashSafety kills apply --all-tenants over 20 SQLite tenants
// at random points, with SIGKILL and SIGTERM in turn: every tenant's
// database is either before or after the apply, never in between, and
// rerunning the fan-out converges every tenant.
func TestTenantsCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 12 fan-out applies; skipped with -short")
	}
	const tenants = 20
	dir := t.TempDir()
	v2dir := writeSchema(t, filepath.Join(dir, "v2"), v2)
	seeded := prepared(t, dir, 300)
	before := snapshot(t, seeded)

	// files makes a fresh copy of the seeded database for every tenant of
	// run, and the tenants file that lists them.
	files := func(run string) (string, []string) {
		runDir := filepath.Join(dir, run)
		if err := os.MkdirAll(runDir, 0o755); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("tenants:\n")
		paths := make([]string, tenants)
		for i := range paths {
			paths[i] = filepath.Join(runDir, fmt.Sprintf("t%02d.db", i))
			copyFile(t, seeded, paths[i])
			fmt.Fprintf(&b, "  - {id: %d, name: t%02d, db: \"sqlite://t%02d.db\"}\n", 100+i, i, i)
		}
		file := filepath.Join(runDir, "tenants.yaml")
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return file, paths
	}
	args := func(file string) []string {
		return []string{"apply", "--tenants", file, "--all-tenants", "--dir", v2dir, "--auto-approve", "--allow-destructive", "--parallel", "4"}
	}

	// A reference run gives the after state and the fan-out's duration.
	refFile, refPaths := files("ref")
	start := time.Now()
	if code, out := ctx(t, args(refFile)...); code != 0 {
		t.Fatalf("reference apply: exit %d\n%s", code, out)
	}
	took := time.Since(start)
	after := snapshot(t, refPaths[0])
	if before == after {
		t.Fatal("v2 changes nothing")
	}
	for _, p := range refPaths[1:] {
		if got := snapshot(t, p); got != after {
			t.Fatalf("reference run: %s differs from the first tenant:\n%s", p, got)
		}
	}

	seed := time.Now().UnixNano()
	rnd := rand.New(rand.NewSource(seed))
	t.Logf("seed %d; the reference fan-out took %v", seed, took)
	const runs = 12
	var sawBefore, sawAfter, mixed int
	for i := 0; i < runs; i++ {
		sig, name := syscall.SIGKILL, "SIGKILL"
		if i%2 == 1 {
			sig, name = syscall.SIGTERM, "SIGTERM"
		}
		delay := time.Duration(rnd.Int63n(int64(took)*6/5 + 1))
		file, paths := files(fmt.Sprintf("run%02d", i))
		cmd := exec.Command(bin, args(file)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(sig)
		_ = cmd.Wait()

		nb, na := 0, 0
		for _, p := range paths {
			switch got := snapshot(t, p); got {
			case before:
				nb++
			case after:
				na++
			default:
				t.Fatalf("run %d (%s after %v): %s is neither before nor after the apply:\n%s", i, name, delay, p, got)
			}
		}
		sawBefore += nb
		sawAfter += na
		if nb > 0 && na > 0 {
			mixed++
		}
		t.Logf("run %d: %s after %v: %d tenants before, %d after", i, name, delay, nb, na)

		if code, out := ctx(t, args(file)...); code != 0 {
			t.Fatalf("run %d: rerunning the fan-out: exit %d\n%s", i, code, out)
		}
		for _, p := range paths {
			if got := snapshot(t, p); got != after {
				t.Fatalf("run %d: rerunning did not converge %s:\n%s", i, p, got)
			}
		}
	}
	t.Logf("%d kills: %d tenant databases left before, %d after, %d runs stopped halfway through the tenants; every rerun converged", runs, sawBefore, sawAfter, mixed)
	if sawBefore == 0 || sawAfter == 0 {
		t.Errorf("the kill points missed the fan-out: %d tenant databases before, %d after", sawBefore, sawAfter)
	}
}
