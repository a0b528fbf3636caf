package cli

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the timer's goroutine.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) get() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

// TestLagWriter: lines written together reach the writer in one write, on
// Flush or once the lag has passed without one.
func TestLagWriter(t *testing.T) {
	var out syncBuffer
	l := newLagWriter(&out, time.Hour)
	l.Write([]byte("a\n"))
	l.Write([]byte("b\n"))
	if got, _ := out.get(); got != "" {
		t.Fatalf("written before the lag: %q", got)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, n := out.get(); got != "a\nb\n" || n != 1 {
		t.Fatalf("after Flush: %q in %d writes; want both lines in one", got, n)
	}
	l = newLagWriter(&out, time.Millisecond)
	l.Write([]byte("c\n"))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if got, _ := out.get(); got == "a\nb\nc\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the line held back never reached the writer")
		}
	}
}
