package sqlite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

func TestLockExcludes(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	d := New()
	var waited []string
	waiting := func(holder string) { waited = append(waited, holder) }
	l1, err := d.Lock(ctx, nil, url, dialect.LockOptions{Timeout: time.Second, Waiting: waiting})
	if err != nil {
		t.Fatal(err)
	}
	if len(waited) != 0 {
		t.Errorf("Waiting called for a free lock: %q", waited)
	}
	start := time.Now()
	_, err = d.Lock(ctx, nil, url, dialect.LockOptions{Timeout: 200 * time.Millisecond, Waiting: waiting})
	var te *dialect.LockTimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("second Lock: err = %v; want a *LockTimeoutError", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("second Lock gave up after %s; want it to wait 200ms", waited)
	}
	if want := fmt.Sprintf("pid %d on ", os.Getpid()); !strings.Contains(te.Holder, want) || !strings.Contains(te.Error(), want) {
		t.Errorf("holder %q; want it to name %q", te.Holder, want)
	}
	// The waiter was told once, before it waited, whom it waits for.
	if len(waited) != 1 || waited[0] != te.Holder {
		t.Errorf("Waiting got %q; want one call with the holder %q", waited, te.Holder)
	}
	// A waiter gets the lock once it is released.
	done := make(chan error, 1)
	go func() {
		l, err := d.Lock(ctx, nil, url, dialect.LockOptions{Timeout: 5 * time.Second})
		if err == nil {
			err = l.Release()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := l1.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l1.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("waiter: %v", err)
	}
}

func TestLockContextCancelled(t *testing.T) {
	url := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	l, err := New().Lock(context.Background(), nil, url, dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = New().Lock(ctx, nil, url, dialect.LockOptions{Timeout: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want the context's error", err)
	}
}

// lockHelperEnv makes the test binary a lock holder (see
// TestLockHelperProcess).
const lockHelperEnv = "CTXSCHEMA_SQLITE_LOCK_HELPER"

// TestLockHelperProcess is not a test: run by TestLockCrashedHolder in a
// child process, it takes the lock, says so, and waits to be killed.
func TestLockHelperProcess(t *testing.T) {
	url := os.Getenv(lockHelperEnv)
	if url == "" {
		t.Skip("helper process for TestLockCrashedHolder")
	}
	if _, err := New().Lock(context.Background(), nil, url, dialect.LockOptions{Timeout: time.Second}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestLockCrashedHolder(t *testing.T) {
	url := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+url)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper said %q", line)
	}
	_, err = New().Lock(context.Background(), nil, url, dialect.LockOptions{Timeout: 100 * time.Millisecond})
	var te *dialect.LockTimeoutError
	if !errors.As(err, &te) || !strings.Contains(te.Holder, fmt.Sprintf("pid %d ", cmd.Process.Pid)) {
		t.Fatalf("while the helper holds the lock: err = %v; want a timeout naming pid %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	start := time.Now()
	l, err := New().Lock(context.Background(), nil, url, dialect.LockOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	defer l.Release()
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("took %s to take a dead holder's lock", waited)
	}
}

func TestLockMemory(t *testing.T) {
	l, err := New().Lock(context.Background(), nil, "sqlite://:memory:", dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// TestLockRefusesLinks: a symbolic or hard link planted as the lock file
// is refused, and the file it points to is left as it was.
func TestLockRefusesLinks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, link := range []struct {
		name string
		make func(oldname, newname string) error
		want string
	}{
		{"symlink", os.Symlink, "symbolic link"},
		{"hardlink", os.Link, "hard link"},
	} {
		db := filepath.Join(dir, link.name+".db")
		if err := link.make(victim, db+".lock"); err != nil {
			t.Fatal(err)
		}
		l, err := New().Lock(ctx, nil, "sqlite://"+db, dialect.LockOptions{Timeout: time.Second})
		if err == nil {
			l.Release()
			t.Errorf("%s as the lock file: locked; want a refusal", link.name)
		} else if !strings.Contains(err.Error(), link.want) || !strings.Contains(err.Error(), "remove it") {
			t.Errorf("%s as the lock file: err = %v; want one naming a %s", link.name, err, link.want)
		}
		if b, err := os.ReadFile(victim); err != nil || string(b) != "precious\n" {
			t.Fatalf("%s as the lock file: victim.txt holds %q (%v); want it untouched", link.name, b, err)
		}
	}
}

// TestLockFollowsTheDatabase: a database reached through a symbolic link
// (to the file, or to its directory) has the lock of the file it reaches,
// so two applies through two paths exclude each other.
func TestLockFollowsTheDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	real := filepath.Join(dir, "data", "real.db")
	if err := os.Mkdir(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(dir, "link.db")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(real), filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, held := range []string{"sqlite://" + real, "sqlite://data/new.db"} {
		l, err := New().Lock(ctx, nil, held, dialect.LockOptions{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
	}
	// new.db does not exist yet: its lock is keyed on its real directory.
	for _, url := range []string{"sqlite://link.db", "sqlite://linkdir/real.db", "sqlite://./data/../data/real.db", "sqlite://" + filepath.Join(dir, "linkdir", "new.db")} {
		var te *dialect.LockTimeoutError
		if l, err := New().Lock(ctx, nil, url, dialect.LockOptions{Timeout: 50 * time.Millisecond}); !errors.As(err, &te) {
			if err == nil {
				l.Release()
			}
			t.Errorf("%s: err = %v; want a lock timeout, the lock of the file it reaches being held", url, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "link.db.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link.db got a lock file of its own: %v", err)
	}
}
