package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestReadOnlyDirectory: the commands that only read work on a database in
// a directory the user cannot write, whether the database keeps a rollback
// journal or is in WAL mode (whose -shm file SQLite cannot create there),
// with or without ?mode=ro; they leave no file behind and change no
// journal mode. Root writes anywhere, so as root the commands run as the
// user nobody.
func TestReadOnlyDirectory(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "ro")
	schemas := writeSchema(t, filepath.Join(base, "schemas"), v1)
	wal, rollback := filepath.Join(dir, "wal.db"), filepath.Join(dir, "rollback.db")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustApply(t, wal, schemas)
	if code, out := ctx(t, "apply", "--db", "sqlite://"+rollback+"?_journal_mode=DELETE", "--dir", schemas, "--auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if got := journalMode(t, wal); got != "wal" {
		t.Fatalf("wal.db: journal_mode %s", got)
	}
	before := listDir(t, dir)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	asUser := unprivileged(t, base, filepath.Dir(bin))

	for _, url := range []string{"sqlite://" + wal, "sqlite://" + wal + "?mode=ro", "sqlite://" + rollback, "sqlite://" + rollback + "?mode=ro"} {
		for _, args := range [][]string{
			{"plan", "--dir", schemas, "--detailed-exitcode"},
			{"mode"},
			{"history"},
			{"inspect"},
		} {
			args = append(args, "--db", url)
			if code, out := asUser(args...); code != 0 {
				t.Errorf("%s: exit %d\n%s", strings.Join(args, " "), code, out)
			}
		}
	}
	if after := listDir(t, dir); !slices.Equal(before, after) {
		t.Errorf("the read-only commands changed the directory: %v, then %v", before, after)
	}
	if got := journalMode(t, rollback); got != "delete" {
		t.Errorf("rollback.db: journal_mode %s after the read-only commands; want delete", got)
	}
}

// unprivileged returns a function that runs the binary as a user who
// cannot write where the permissions say so: this process's user, or
// nobody when it is root (then dirs, and the temporary directories above
// them, are opened to everyone).
func unprivileged(t *testing.T, dirs ...string) func(args ...string) (int, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return func(args ...string) (int, string) { return ctx(t, args...) }
	}
	for _, d := range dirs {
		for ; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return func(args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		cmd.Dir = "/"
		return runCmd(t, cmd)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func journalMode(t *testing.T, path string) string {
	t.Helper()
	db := open(t, path)
	defer db.Close()
	var mode string
	if err := db.Get(&mode, `PRAGMA journal_mode`); err != nil {
		t.Fatal(err)
	}
	return mode
}
