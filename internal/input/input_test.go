//go:build unix

package input

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(ctx, small, 5); err != nil || string(b) != "12345" {
		t.Errorf("a file of the limit: %q, %v", b, err)
	}
	var tooLarge *TooLargeError
	if _, err := ReadFile(ctx, small, 4); !errors.As(err, &tooLarge) {
		t.Errorf("a file over the limit: %v", err)
	}
	// A device that never ends stops at the limit.
	if _, err := ReadFile(ctx, "/dev/zero", 1<<20); !errors.As(err, &tooLarge) || err.Error() != "/dev/zero is larger than 1 MiB, the limit" {
		t.Errorf("/dev/zero: %v", err)
	}
	if _, err := ReadFile(ctx, dir, 10); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadFile(cancelled, "/dev/zero", 1<<30); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled read: %v", err)
	}
}

// A named pipe whose writer never writes neither blocks the open nor
// outlives a cancellation (SIGTERM, Ctrl-C).
func TestReadFilePipeCancelled(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "plan.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // a writer that never writes
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := ReadFile(ctx, fifo, 1<<20); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want the cancellation", err)
	}
	// Without a writer, the open does not wait for one.
	w.Close()
	if b, err := ReadFile(context.Background(), fifo, 1<<20); err != nil || len(b) != 0 {
		t.Errorf("a pipe without a writer: %q, %v", b, err)
	}
}

// TestReadFileInto: a buffer large enough (the file's size and one byte)
// is read into; a smaller one is left alone, and the limit holds either
// way.
func TestReadFileInto(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("hello, world"), 0o644); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3, 600)
	b, err := ReadFileInto(ctx, p, 100, buf)
	if err != nil || string(b) != "hello, world" {
		t.Fatalf("ReadFileInto = %q, %v", b, err)
	}
	if &b[0] != &buf[:1][0] {
		t.Error("a large enough buffer was not read into")
	}
	small := make([]byte, 0, 4)
	b, err = ReadFileInto(ctx, p, 100, small)
	if err != nil || string(b) != "hello, world" || string(small[:4]) != "\x00\x00\x00\x00" {
		t.Errorf("a small buffer: %q, %v; buffer %q", b, err, small[:4])
	}
	var tooLarge *TooLargeError
	if _, err := ReadFileInto(ctx, p, 5, make([]byte, 0, 100)); !errors.As(err, &tooLarge) {
		t.Errorf("a file over the limit: %v", err)
	}
}
