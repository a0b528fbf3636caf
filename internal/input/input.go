// Package input reads the files ctxschema takes from users — schema files
// and saved plans — so that none can exhaust memory, hang or outlive a
// Ctrl-C: a read stops at a size limit, a named pipe or a device is opened
// without blocking, and a read waiting for data ends when the context is
// cancelled.
package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// TooLargeError is returned by ReadFile for a file of more than Limit
// bytes.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, the limit", e.Path, Size(e.Limit))
}

// Size writes a limit in the unit it is a whole number of: 8 MiB, 512 KiB.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadFile reads the file at path, which may be a regular file, a named
// pipe, a character device or /dev/stdin, and returns a *TooLargeError once
// it has read more than limit bytes, whatever the file claims its size is.
// A directory or a socket is an error. The open never waits for a pipe's
// writer, and a read that waits for data returns ctx's error when ctx is
// cancelled.
func ReadFile(ctx context.Context, path string, limit int64) ([]byte, error) {
	return ReadFileInto(ctx, path, limit, nil)
}

// ReadFileInto is ReadFile reading into buf's storage when it is large
// enough (a regular file's size, plus one byte): a caller that reads many
// files and is done with each before the next reuses one buffer. The
// result shares buf's storage or, when buf is too small, is new.
func ReadFileInto(ctx context.Context, path string, limit int64, buf []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// O_NONBLOCK: opening a named pipe for reading would otherwise wait for
	// a writer, with no way to cancel. Go then reads pipes and terminals
	// through its poller, so that a deadline interrupts a waiting read.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return nil, fmt.Errorf("%s is a directory, not a file", path)
	case m&fs.ModeSocket != 0:
		return nil, fmt.Errorf("%s is a socket, not a file", path)
	case m.IsRegular() && fi.Size() > limit:
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	stop := context.AfterFunc(ctx, func() {
		// Not every file supports deadlines (a regular file or /dev/zero
		// returns at once anyway); those that do stop waiting now.
		f.SetReadDeadline(time.Now()) //nolint:errcheck // see above
	})
	defer stop()
	// A regular file's size is known: read it into one buffer of that
	// size, one byte more for the read that finds its end.
	var size int64
	if fi.Mode().IsRegular() {
		size = fi.Size() + 1
	}
	b, err := readAll(&ctxReader{ctx: ctx, r: io.LimitReader(f, limit+1)}, buf[:0], size)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("reading %s stopped: %w", path, ctx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("reading %s stopped: %w", path, context.Cause(ctx))
	case err != nil:
		return nil, err
	case int64(len(b)) > limit:
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return b, nil
}

// ctxReader stops reading once its context is cancelled, between reads of
// a file that never waits (a device that produces data endlessly).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// readAll is io.ReadAll into b (empty), first grown to size bytes (at
// least 512), so that reading a file of known size takes one allocation,
// or none when b is large enough, not a series of growing ones.
func readAll(r io.Reader, b []byte, size int64) ([]byte, error) {
	if want := max(size, 512); int64(cap(b)) < want {
		b = make([]byte, 0, want)
	}
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
