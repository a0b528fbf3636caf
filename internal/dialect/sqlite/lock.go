package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
//
// The lock file is named after the database's real path (symbolic links
// resolved), so that two URLs reaching one file, through a link or not,
// share one lock. It is opened without following a symbolic link and must
// be a regular file with no other name: its content is rewritten, and a
// link planted in its place would otherwise have ctxschema overwrite the
// file it points to.

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
	path, err := realPath(loc.Path)
	if err != nil {
		return nil, fmt.Errorf("finding the apply lock of %q: %w", loc.Path, err)
	}
	return LockFile(ctx, path+".lock", opts)
}

// realPath is the absolute path of the database file with every symbolic
// link resolved; for a file that does not exist yet, that of its
// directory joined with its name.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) {
		dir, derr := filepath.EvalSymlinks(filepath.Dir(abs))
		if derr != nil {
			return "", derr
		}
		return filepath.Join(dir, filepath.Base(abs)), nil
	}
	return real, err
}

// LockFile takes an exclusive lock on the file at path, creating it if
// needed, waiting up to opts.Timeout, and calls opts.Waiting with the
// holder recorded in the file when it has to wait. When it times out it
// returns a *dialect.LockTimeoutError naming that holder. It refuses a path
// that is a symbolic link, or a file that is not regular or has another
// name (a hard link), whose content it would overwrite.
func LockFile(ctx context.Context, path string, opts dialect.LockOptions) (dialect.Lock, error) {
	timeout := opts.Timeout
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
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

// openLockFile opens the lock file at path, creating it if needed, without
// following a symbolic link and without truncating it.
func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("opening the apply lock %q: it is a symbolic link, which ctxschema does not follow; remove it", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the apply lock %q: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening the apply lock %q: %w", path, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.Mode().IsRegular() || !ok || st.Nlink != 1 {
		f.Close()
		return nil, fmt.Errorf("opening the apply lock %q: not a regular file with one name (a device, or a hard link to another file), which ctxschema would overwrite; remove it", path)
	}
	return f, nil
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
	// Not synced: only processes on this machine read the record, through
	// the page cache, and after a crash of the machine the flock it names
	// is gone anyway. (A sync cost every apply a disk flush before it
	// began.)
	_, err = f.WriteAt(append(b, '\n'), 0)
	return err
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
