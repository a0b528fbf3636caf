// Package httptarget is the Backend of a Context Services server reached
// through its metadata API (../../shared API.md §4): `--db http://host:port/base`
// or https. It reads the server's schema in four calls, normalising the
// shapes real servers answer with, runs a plan as the ordered API calls
// that make it (the API has no update, no transaction and no lock), and
// switches the server mode. It keeps no history.
package httptarget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

// Options configure a Backend beyond its URL.
type Options struct {
	// Token, when set, is sent as `Authorization: Bearer TOKEN`
	// (CTXSCHEMA_API_TOKEN). It is never printed.
	Token string
	// Tenant, when set, is sent as X-Genesys-TenantId.
	Tenant string
	// Timeout bounds every call; default 30 seconds. Outside an apply and
	// a mode switch (which retry for their lock timeout), 503 answers are
	// retried for up to Timeout too.
	Timeout time.Duration
	// Client is the HTTP client; nil for a new one (tests pass their own).
	Client *http.Client
}

// client sends the API's requests: credentials and tenant on each, a
// timeout per call, and retries of 503 answers.
type client struct {
	base     *url.URL // without user info
	display  string   // the URL as messages show it: no password
	user     *url.Userinfo
	token    string
	tenant   string
	timeout  time.Duration
	http     *http.Client
	retryFor time.Duration // how long 503 answers are retried
}

// newClient parses rawURL (http or https) and keeps its user info apart,
// so that no request URL and no error holds it.
func newClient(rawURL string, o Options) (*client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bad server URL %q: want http://host:port/base or https://host/base", dialect.Redact(rawURL))
	}
	if u.RawQuery != "" {
		return nil, fmt.Errorf("bad server URL %q: a Context Services base URL has no query; give the tenant with --tenant", dialect.Redact(rawURL))
	}
	c := &client{user: u.User, token: o.Token, tenant: o.Tenant, timeout: o.Timeout, http: o.Client}
	// The tenant is part of the target: a URL ending in #tenant=ID (as a
	// plan file records it) names it as --tenant does.
	if u.Fragment != "" {
		id, ok := strings.CutPrefix(u.Fragment, "tenant=")
		switch {
		case !ok:
			return nil, fmt.Errorf("bad server URL %q: the only fragment it may have is #tenant=ID", dialect.Redact(rawURL))
		case c.tenant != "" && c.tenant != id:
			return nil, fmt.Errorf("--tenant %s, but the URL names tenant %s: give one of them", c.tenant, id)
		}
		c.tenant = id
	}
	u.User = nil
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c.base = u
	// Messages and plan files name the server as every URL is redacted,
	// with its tenant.
	c.display = dialect.Redact(strings.SplitN(rawURL, "#", 2)[0])
	if c.tenant != "" {
		c.display += "#tenant=" + c.tenant
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	c.retryFor = c.timeout
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.tenant != "" {
		if _, err := strconv.ParseInt(c.tenant, 10, 64); err != nil {
			return nil, fmt.Errorf("--tenant %q: a Context Services tenant id is an integer", c.tenant)
		}
	}
	return c, nil
}

// call is one API request of a plan.
type call struct {
	Method, Path string
	// Body is encoded as JSON; nil for none.
	Body any
	// Name is the name of the object a POST creates, for people.
	Name string
}

// String is the call as plans and messages list it:
// "POST /metadata/identification-keys (idPhone)".
func (c call) String() string {
	if c.Name != "" {
		return c.Method + " " + c.Path + " (" + c.Name + ")"
	}
	return c.Method + " " + c.Path
}

// APIError is a 4xx or 5xx answer of the server.
type APIError struct {
	Method, Path string
	Status       int
	// Message is the server's message, from its JSON error body when it
	// sent one.
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// UnreachableError is returned when the server did not answer: refused
// connection, unknown host, timeout.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the Context Services server at %s: %v; check --db and that the server runs", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// do sends c and returns the answer's body on success (2xx). A 503 is
// retried with backoff for up to retryFor (honouring Retry-After up to the
// time left); other answers are an *APIError, no answer an
// *UnreachableError.
func (cl *client) do(ctx context.Context, c call) ([]byte, error) {
	deadline := time.Now().Add(cl.retryFor)
	wait := 100 * time.Millisecond
	for {
		body, status, retryAfter, err := cl.once(ctx, c)
		if err != nil || status != http.StatusServiceUnavailable {
			return body, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, cl.apiError(c, status, body)
		}
		d := wait
		if retryAfter > 0 {
			d = retryAfter
		}
		d = min(d, left)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// once sends c once. For a 503 it returns the status and Retry-After with
// no error; the caller decides whether to retry.
func (cl *client) once(ctx context.Context, c call) (body []byte, status int, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, cl.timeout)
	defer cancel()
	var rd io.Reader
	if c.Body != nil {
		b, err := json.Marshal(c.Body)
		if err != nil {
			return nil, 0, 0, err
		}
		rd = bytes.NewReader(b)
	}
	u := *cl.base
	u.Path += c.Path
	req, err := http.NewRequestWithContext(ctx, c.Method, u.String(), rd)
	if err != nil {
		return nil, 0, 0, err
	}
	req.Header.Set("Accept", "application/json")
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.token)
	} else if cl.user != nil {
		pass, _ := cl.user.Password()
		req.SetBasicAuth(cl.user.Username(), pass)
	}
	if cl.tenant != "" {
		req.Header.Set("X-Genesys-TenantId", cl.tenant)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			// Interrupted (Ctrl-C): the server is not to blame.
			return nil, 0, 0, fmt.Errorf("%s %s: %w", c.Method, c.Path, ctx.Err())
		}
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%s %s: no answer within %s", c.Method, c.Path, cl.timeout)
		} else {
			err = fmt.Errorf("%s %s: %w", c.Method, c.Path, unwrapURLError(err))
		}
		return nil, 0, 0, &UnreachableError{URL: cl.display, Err: err}
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, 0, &UnreachableError{URL: cl.display, Err: fmt.Errorf("%s %s: reading the answer: %w", c.Method, c.Path, err)}
	}
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return body, resp.StatusCode, time.Duration(secs) * time.Second, nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return body, resp.StatusCode, 0, nil
	}
	return nil, resp.StatusCode, 0, cl.apiError(c, resp.StatusCode, body)
}

// unwrapURLError drops the *url.Error around a transport error: its
// message repeats the method and URL, which the caller names already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// apiError reads the message of an error answer: the API's
// {"error": {"message"}} or CS 8.5's {"message"}, else a short text body.
func (cl *client) apiError(c call, status int, body []byte) error {
	var doc struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(body, &doc) == nil {
		msg = doc.Error.Message
		if msg == "" {
			msg = doc.Message
		}
	} else if t := strings.TrimSpace(string(body)); len(t) < 200 && !strings.ContainsAny(t, "<\n") {
		msg = t
	}
	return &APIError{Method: c.Method, Path: c.Path, Status: status, Message: msg}
}
