package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
)

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// started runs the binary with stdin and waits until its stderr holds
// want; it fails the test if the process ends first or never writes it.
func started(t *testing.T, stdin *os.File, want string, args ...string) (*exec.Cmd, *syncBuffer, chan error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out syncBuffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(time.Minute)
	for !strings.Contains(out.String(), want) {
		select {
		case err := <-done:
			t.Fatalf("ctxschema ended (%v) before it wrote %q:\n%s", err, want, out.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("ctxschema never wrote %q:\n%s", want, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return cmd, &out, done
}

// exitAfterInterrupt sends SIGINT (Ctrl-C) and returns the exit code; it
// fails the test when the process does not end by itself.
func exitAfterInterrupt(t *testing.T, cmd *exec.Cmd, out *syncBuffer, done chan error) int {
	t.Helper()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("ctxschema did not end after Ctrl-C:\n%s", out.String())
	}
	return -1
}

// openPTY opens a pseudo-terminal and returns its terminal end, which a
// process takes for an interactive stdin, and its controlling end.
func openPTY(t *testing.T) (tty, ptm *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Skipf("unlocking the pseudo-terminal: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Skipf("naming the pseudo-terminal: %v", errno)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty, ptm
}

// TestInterruptAtPrompt: Ctrl-C while apply asks for "yes" on a terminal
// cancels at once, with exit 1, and changes nothing.
func TestInterruptAtPrompt(t *testing.T) {
	dir := t.TempDir()
	path := prepared(t, dir, 1)
	v2dir := writeSchema(t, filepath.Join(dir, "v2"), v2)
	before := snapshot(t, path)
	tty, _ := openPTY(t)
	cmd, out, done := started(t, tty, "Only 'yes' will be accepted",
		"apply", "--db", "sqlite://"+path, "--dir", v2dir, "--allow-destructive")
	if code := exitAfterInterrupt(t, cmd, out, done); code != 1 {
		t.Errorf("exit %d after Ctrl-C at the prompt, want 1:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "apply cancelled at the prompt; nothing changed") {
		t.Errorf("the cancellation is not explained:\n%s", out.String())
	}
	if snapshot(t, path) != before {
		t.Error("the database changed")
	}
}

// TestInterruptWaitingForLock: apply says whom it waits for while another
// process holds the lock, and Ctrl-C then ends the wait: exit 1, nothing
// changed, and no "context canceled".
func TestInterruptWaitingForLock(t *testing.T) {
	dir := t.TempDir()
	path := prepared(t, dir, 1)
	v2dir := writeSchema(t, filepath.Join(dir, "v2"), v2)
	before := snapshot(t, path)
	lock, err := sqlite.LockFile(context.Background(), path+".lock", dialect.LockOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	waiting := fmt.Sprintf("waiting for the apply lock held by pid %d on ", os.Getpid())
	cmd, out, done := started(t, nil, waiting,
		"apply", "--db", "sqlite://"+path, "--dir", v2dir, "--auto-approve", "--allow-destructive", "--lock-timeout", "10m")
	if code := exitAfterInterrupt(t, cmd, out, done); code != 1 {
		t.Errorf("exit %d after Ctrl-C, want 1:\n%s", code, out.String())
	}
	if s := out.String(); !strings.Contains(s, "ctxschema: interrupted; nothing changed") || strings.Contains(s, "context canceled") {
		t.Errorf("the interruption is not explained:\n%s", s)
	}
	if snapshot(t, path) != before {
		t.Error("the database changed")
	}
}
