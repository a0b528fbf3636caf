package cli

import (
	"io"
	"sync"
	"time"
)

// progressLag is how long apply's text view holds its progress lines
// before writing them.
const progressLag = 100 * time.Millisecond

// lagWriter holds what is written to it for up to lag, then writes it to w
// in one write. apply reports two lines per change, and a first apply of
// a large schema makes a thousand changes in a fraction of a second: line
// by line, each cost a system call and a wake-up of whoever reads stderr
// (about a tenth of such an apply's time). A line still shows within lag,
// so a person sees which change a slow one is. It is safe for concurrent
// use: the timer flushes from its own goroutine.
type lagWriter struct {
	mu    sync.Mutex
	w     io.Writer
	lag   time.Duration
	buf   []byte
	timer *time.Timer
	err   error // the first error writing to w
}

func newLagWriter(w io.Writer, lag time.Duration) *lagWriter {
	return &lagWriter{w: w, lag: lag}
}

// Write implements io.Writer. It reports the first error of an earlier
// write to w, if any.
func (l *lagWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	l.buf = append(l.buf, p...)
	if l.timer == nil {
		l.timer = time.AfterFunc(l.lag, func() { l.Flush() }) //nolint:errcheck // kept in l.err
	}
	return len(p), nil
}

// Flush writes what is held now.
func (l *lagWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if len(l.buf) > 0 && l.err == nil {
		_, l.err = l.w.Write(l.buf)
	}
	l.buf = l.buf[:0]
	return l.err
}
