package server

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Error is the body of every 4xx and 5xx answer (API.md section 2), inside
// {"error": …}. Its field names are part of the API: never rename them.
type Error struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Method  string `json:"method"`
	URI     string `json:"uri"`
	// RequestID is the id of the request in the access log.
	RequestID string `json:"request_id"`
	// Problems lists every validation problem, for 400.
	Problems []Problem `json:"problems,omitempty"`
	// Checks lists the failed data checks, for 409 data_check.
	Checks []Check `json:"checks,omitempty"`
}

// Problem is one validation problem of a request body, addressed by the
// path of its field ("attributes[1].name"; "" for the body as a whole).
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Check is a data check that refused a change: counts and up to five
// customer ids, never the values.
type Check struct {
	Change      string   `json:"change"`
	Message     string   `json:"message"`
	Rows        *int64   `json:"rows,omitempty"`
	Groups      *int64   `json:"groups,omitempty"`
	Customers   *int64   `json:"customers,omitempty"`
	CustomerIDs []string `json:"customer_ids,omitempty"`
}

// The stable codes of the error body.
const (
	codeBadRequest    = "bad_request"
	codeInvalidSchema = "invalid_schema"
	codeUnauthorized  = "unauthorized"
	codeProduction    = "production_mode"
	codeNotFound      = "not_found"
	codeNotAllowed    = "method_not_allowed"
	codeExists        = "exists"
	codeDataCheck     = "data_check"
	codeInUse         = "in_use"
	codeDestructive   = "destructive"
	codeRefused       = "refused"
	codeTooLarge      = "body_too_large"
	codeMediaType     = "unsupported_media_type"
	codeUnavailable   = "unavailable"
	codeLockTimeout   = "lock_timeout"
	codeInternal      = "internal"
)

// httpError is an error the server itself raises with its answer: a bad
// request, an unknown name, a conflict found before planning.
type httpError struct {
	status   int
	code     string
	message  string
	problems []Problem
	allow    string
}

func (e *httpError) Error() string { return e.message }

func errorf(status int, code, format string, args ...any) *httpError {
	return &httpError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// invalidError is the loader's problems with a request body, with the
// field path of every position in the body.
type invalidError struct {
	problems *model.Problems
	paths    fieldPaths
}

func (e *invalidError) Error() string { return e.problems.Error() }
func (e *invalidError) Unwrap() error { return e.problems }

// retryAfter is the Retry-After of a 503, in seconds.
const retryAfter = 5

// toError maps the error of a handler to the answer's status and body. It
// is the only place that does, as exitCode in main.go is for exit codes:
// an error not known here is a 500 that carries no internals.
func toError(err error) (e Error, header http.Header) {
	header = http.Header{}
	var (
		he       *httpError
		inv      *invalidError
		problems *model.Problems
		refused  apply.Refused
		lock     *dialect.LockTimeoutError
		tooLarge *http.MaxBytesError
		netErr   *net.OpError
	)
	switch {
	case errors.As(err, &he):
		e = Error{Status: he.status, Code: he.code, Message: he.message, Problems: he.problems}
		if he.allow != "" {
			header.Set("Allow", he.allow)
		}
		switch he.status {
		case http.StatusUnauthorized:
			header.Set("WWW-Authenticate", `Bearer realm="ctxschema"`)
		case http.StatusServiceUnavailable:
			header.Set("Retry-After", strconv.Itoa(retryAfter))
		}
	case errors.As(err, &inv):
		e = Error{Status: http.StatusBadRequest, Code: codeInvalidSchema, Problems: inv.paths.problems(inv.problems)}
		e.Message = fmt.Sprintf("the request body is not a valid schema object: %s", count(len(e.Problems), "problem"))
	case errors.As(err, &problems):
		e = Error{Status: http.StatusBadRequest, Code: codeInvalidSchema, Message: problems.Error()}
	case errors.As(err, &refused):
		// apply's refusals, by the one value they all expose
		// (apply.Refused, as apply.RefusalOf reads it).
		switch r := refused.Refusal(); r.Reason {
		case plan.RefusedProduction:
			e = Error{Status: http.StatusForbidden, Code: codeProduction,
				Message: "the database is in production mode, which refuses every schema change; switch it with POST /server/mode {\"mode\": \"maintenance\"} (or `ctxschema mode maintenance`) first"}
		case plan.RefusedDataCheck:
			e = Error{Status: http.StatusConflict, Code: codeDataCheck, Message: err.Error(), Checks: checks(r.Steps)}
		case plan.RefusedDestructive:
			e = Error{Status: http.StatusConflict, Code: codeDestructive, Message: err.Error()}
		default:
			e = Error{Status: http.StatusConflict, Code: codeRefused, Message: err.Error()}
		}
	case errors.As(err, &lock):
		e = Error{Status: http.StatusServiceUnavailable, Code: codeLockTimeout,
			Message: fmt.Sprintf("timed out after %s waiting for the apply lock, held by %s; retry later", lock.Timeout, lock.Holder)}
		header.Set("Retry-After", strconv.Itoa(retryAfter))
	case errors.As(err, &tooLarge):
		e = Error{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
			Message: fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit)}
	case errors.As(err, &netErr), errors.Is(err, driver.ErrBadConn):
		e = Error{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: "the database is unreachable; retry later"}
		header.Set("Retry-After", strconv.Itoa(retryAfter))
	default:
		e = Error{Status: http.StatusInternalServerError, Code: codeInternal}
	}
	return e, header
}

// checks lists the data checks of refused steps.
func checks(steps []plan.Step) []Check {
	var out []Check
	known := func(n int64) *int64 {
		if n < 0 {
			return nil
		}
		return &n
	}
	for _, s := range steps {
		o := s.Change.Object()
		for _, h := range s.Hazards {
			if h.Kind != plan.DataCheck {
				continue
			}
			out = append(out, Check{
				Change:  fmt.Sprintf("%s %s %s", s.Change.Action().Symbol(), o.Kind, o.Name),
				Message: h.Message, Rows: known(h.Rows), Groups: known(h.Groups), Customers: known(h.Customers),
				CustomerIDs: h.CustomerIDs,
			})
		}
	}
	return out
}

// writeError answers the request with err. A 500 is logged with the
// request id and answered without its details.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, header := toError(err)
	info := infoOf(r)
	e.Method, e.URI, e.RequestID = r.Method, info.uri, info.id
	if e.Status == http.StatusInternalServerError {
		e.Message = "internal error; the server log has the details under request id " + info.id
		s.log.Error("request failed", slog.String("request_id", info.id), slog.String("error", err.Error()))
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	writeJSON(w, e.Status, struct {
		Error Error `json:"error"`
	}{e})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// The views are plain structs: this is a bug.
		status, b = http.StatusInternalServerError, []byte(`{"error":{"status":500,"code":"internal","message":"encoding the answer failed"}}`)
	}
	writeRaw(w, status, b)
}

// writeRaw answers with the JSON b.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(b)            //nolint:errcheck // the client went away
	w.Write([]byte{'\n'}) //nolint:errcheck
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// since is the time elapsed since t, for the access log.
func since(t time.Time) time.Duration { return time.Since(t).Round(time.Microsecond) }
