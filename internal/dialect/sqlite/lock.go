package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

// The apply lock is an exclusive flock(2) on a sidecar file "<db>.lock".
// SQLite's own locks cannot serve: they last one transaction, and an apply
// must also hold off a second apply between its plan and its transaction.
// The kernel releases a flock when the process that holds it dies, however
// it dies, so a crashed apply never leaves a lock behind; the file itself
// stays, and only says who held the lock last. It is never deleted: a
// process that opened the old file could otherwise lock it while another
// locks a new file of the same name.
//
// flock locks belong to an open file, so two Locks in one process exclude
// each other too.

// lockPoll is how often Lock retries while another process holds the lock.
const lockPoll = 50 * time.Millisecond

// Holder says who holds an apply lock; it is the lock file's content.
type Holder struct {
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// String names the holder as a lock timeout reports it.
func (h Holder) String() string {
	return fmt.Sprintf("pid %d on %s since %s", h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

// fileLock is a held apply lock.
type fileLock struct {
	once sync.Once
	f    *os.File
}

// Release implements dialect.Lock. The holder's record is cleared before
// the lock is released.
func (l *fileLock) Release() error {
	var err error
	l.once.Do(func() {
		err = errors.Join(l.f.Truncate(0), syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN), l.f.Close())
	})
	return err
}

// noLock is the lock of an in-memory database, which no other process can
// reach.
type noLock struct{}

func (noLock) Release() error { return nil }

// Lock implements dialect.Dialect with the sidecar lock file of the
// database that rawURL names; db is not used.
func (d *Dialect) Lock(ctx context.Context, db *sqlx.DB, rawURL string, opts dialect.LockOptions) (dialect.Lock, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if loc.memory() {
		return noLock{}, nil
	}
	return LockFile(ctx, loc.Path+".lock", opts)
}

// LockFile takes an exclusive lock on the file at path, creating it if
// needed, waiting up to opts.Timeout, and calls opts.Waiting with the
// holder recorded in the file when it has to wait. When it times out it
// returns a *dialect.LockTimeoutError naming that holder.
func LockFile(ctx context.Context, path string, opts dialect.LockOptions) (dialect.Lock, error) {
	timeout := opts.Timeout
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the apply lock %q: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	waiting := opts.Waiting
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("taking the apply lock %q: %w", path, err)
		}
		if waiting != nil && errors.Is(err, syscall.EWOULDBLOCK) {
			waiting(readHolder(f))
			waiting = nil
		}
		if !time.Now().Before(deadline) {
			holder := readHolder(f)
			f.Close()
			return nil, &dialect.LockTimeoutError{Holder: holder, Timeout: timeout}
		}
		wait := min(lockPoll, time.Until(deadline))
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the apply lock %q: %w", path, ctx.Err())
		case <-time.After(wait):
		}
	}
	if err := writeHolder(f); err != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		return nil, fmt.Errorf("recording the apply lock's holder in %q: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

func writeHolder(f *os.File) error {
	host, _ := os.Hostname()
	b, err := json.Marshal(Holder{Host: host, PID: os.Getpid(), Since: time.Now().UTC()})
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// readHolder describes the holder recorded in the lock file; the holder
// may not have written it yet.
func readHolder(f *os.File) string {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	var h Holder
	if err != nil || json.Unmarshal(b, &h) != nil || h.PID == 0 {
		return "another process (it has not recorded itself yet)"
	}
	return h.String()
}
