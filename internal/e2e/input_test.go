//go:build unix

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An apply reading a saved plan from a pipe that never delivers stops on
// SIGTERM (it used to wait for the pipe, ignoring the signal).
func TestApplyFromSilentPipeStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "plan.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // a writer that never writes
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "apply", "--db", "sqlite://"+filepath.Join(dir, "x.db"), fifo)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Wait until the process opened the pipe: main installed its signal
	// handler before any command ran, so SIGTERM now reaches the read.
	waitForOpen(t, cmd.Process.Pid, fifo)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "stopped") {
			t.Errorf("after SIGTERM: %v, stderr %q; want exit 1 saying the read stopped", err, stderr.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatal("apply ignored SIGTERM while reading the plan file")
	}
}

// waitForOpen waits until process pid holds path open (Linux /proc).
func waitForOpen(t *testing.T, pid int, path string) {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && target == path {
				return
			}
		}
	}
	t.Fatalf("process %d never opened %s", pid, path)
}
