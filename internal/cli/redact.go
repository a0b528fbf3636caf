package cli

import (
	"io"
	"os"
	"strings"
	"sync"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/quote"
)

// Redacting wraps stdout and stderr so that no password given on the
// command line or in CTXSCHEMA_DB reaches them, whatever code path prints
// it: every argument that holds one (a --db value, but also a URL taken for
// an argument because the flag before it lacks its value, or a keyword
// string split by the shell) and the environment's URL are replaced by
// their dialect.Redact form, and their passwords, wherever quoted, by
// xxxxx; so is the HTTP target's CTXSCHEMA_API_TOKEN. A database URL the
// command takes from elsewhere (a project file) is added by env.protect.
// The writers hold back a tail that could begin a secret until the next
// write; flush writes it, and must be called after the last write.
func Redacting(args []string, stdout, stderr io.Writer) (io.Writer, io.Writer, func()) {
	values := []string{os.Getenv("CTXSCHEMA_DB")}
	for _, a := range args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			a = v // --db=URL
		}
		values = append(values, a)
	}
	s := dialect.NewScrubber(values...)
	// The HTTP target's token is sent, never printed: mask it anyway.
	s.AddSecret(os.Getenv("CTXSCHEMA_API_TOKEN"))
	out := &redactingWriter{w: stdout, s: s}
	errw := &redactingWriter{w: stderr, s: s}
	return out, errw, func() {
		out.flush()
		errw.flush()
	}
}

// redactingWriter scrubs what it writes to w. It is safe for concurrent
// use (apply's progress reporter writes from its own goroutine).
type redactingWriter struct {
	mu   sync.Mutex
	w    io.Writer
	s    *dialect.Scrubber
	held []byte
}

// protect makes the writers of e scrub url too, when they are Redacting's.
// It is called while the command starts (the project file), before any
// write from another goroutine.
func (e *env) protect(url string) {
	if w, ok := e.stdout.(*redactingWriter); ok {
		w.s.Add(url)
	}
	if w, ok := e.stderr.(*redactingWriter); ok {
		w.s.Add(url)
	}
}

// Write writes p scrubbed, but for a tail that may be the start of a
// secret, which it holds until the next Write or flush.
func (r *redactingWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.held) == 0 && len(r.s.Needles()) == 0 {
		return r.w.Write(p)
	}
	buf := append(r.held, p...)
	cut := r.safeCut(buf)
	r.held = append([]byte(nil), buf[cut:]...)
	if cut > 0 {
		if _, err := io.WriteString(r.w, r.s.Scrub(string(buf[:cut]))); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// safeCut returns the length of the longest head of buf that no secret
// straddles: no secret, whole or begun, starts before it and ends after.
func (r *redactingWriter) safeCut(buf []byte) int {
	cut := len(buf)
	for moved := true; moved; {
		moved = false
		for _, n := range r.s.Needles() {
			for i := max(0, cut-len(n)+1); i < cut; i++ {
				end := min(len(buf), i+len(n))
				if string(buf[i:end]) == n[:end-i] {
					cut, moved = i, true
					break
				}
			}
		}
	}
	return cut
}

// flush writes the held tail.
func (r *redactingWriter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.held) > 0 {
		io.WriteString(r.w, r.s.Scrub(string(r.held))) //nolint:errcheck // nothing is left to report it to
		r.held = nil
	}
}

// Unwrap returns the writer underneath, so that isTerminal sees the file.
func (r *redactingWriter) Unwrap() io.Writer { return r.w }

// quoteArg quotes a command-line argument in a message: redacted first,
// since quote.Value may cut it in the middle of a password, which the
// Redacting writers would then no longer recognise.
func quoteArg(s string) string { return quote.Value(dialect.Redact(s)) }
