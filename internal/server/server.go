// Package server is `ctxschema serve`: the Context Services metadata API
// (API.md sections 1–3) over databases that ctxschema manages. Handlers
// decode a request, call the same engine as `ctxschema apply` (apply.Run
// with the declared schema plus or minus one object, under the same lock,
// with the same data checks, catalog and history), and encode the answer;
// toError is the one place that maps errors to HTTP codes.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"
)

// Config is what a Server serves and how.
type Config struct {
	// Resolver finds the database of each request.
	Resolver Resolver
	// Ready reports whether the server can answer (its databases are
	// reachable), for /readyz.
	Ready func(ctx context.Context) error
	// BasePath prefixes every path ("/cms"); "" for none.
	BasePath string
	// Auth checks the credentials of every call but the health checks and
	// the API description; nil serves without credentials.
	Auth *Auth
	// LockTimeout bounds the wait of a write for the apply lock.
	LockTimeout time.Duration
	// Version is the server's version, in /server/status.
	Version string
	// Log receives the access log (a line per request) and errors.
	Log *slog.Logger
}

// Server answers the API. It is an http.Handler; Serve runs it on a
// listener with the timeouts and graceful shutdown of a service.
type Server struct {
	cfg     Config
	base    string
	mux     *http.ServeMux
	routes  []route
	log     *slog.Logger
	openapi []byte
	started time.Time
	// requests counts the requests answered; lastRequest is the Unix
	// nanosecond time of the last one.
	requests, lastRequest atomic.Int64
}

// New returns the server of cfg.
func New(cfg Config) (*Server, error) {
	base := strings.TrimRight(cfg.BasePath, "/")
	if base != "" && !strings.HasPrefix(base, "/") {
		return nil, fmt.Errorf("--base-path %q must start with /, like /cms", cfg.BasePath)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, base: base, mux: http.NewServeMux(), log: cfg.Log, started: time.Now()}
	s.routes = s.table()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.handle(rt))
	}
	doc, err := openAPI(base)
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	return s, nil
}

// route is one endpoint of the API.
type route struct {
	method, path string
	// public routes need no credentials: the health checks and the API
	// description.
	public bool
	h      func(w http.ResponseWriter, r *http.Request) error
}

// table lists the endpoints of API.md section 1. The OpenAPI description
// documents exactly these (a test checks it).
func (s *Server) table() []route {
	return []route{
		{method: "POST", path: "/metadata/identification-keys", h: s.createKey},
		{method: "GET", path: "/metadata/identification-keys", h: s.listKeys},
		{method: "GET", path: "/metadata/identification-keys/{name}", h: s.getKey},
		{method: "DELETE", path: "/metadata/identification-keys/{name}", h: s.deleteKey},
		{method: "POST", path: "/metadata/profiles/extensions", h: s.createExtension},
		{method: "GET", path: "/metadata/profiles/extensions", h: s.listExtensions},
		{method: "GET", path: "/metadata/profiles/extensions/{name}", h: s.getExtension},
		{method: "DELETE", path: "/metadata/profiles/extensions/{name}", h: s.deleteExtension},
		{method: "GET", path: "/metadata/profiles", h: s.getProfile},
		{method: "GET", path: "/server/status", h: s.status},
		{method: "POST", path: "/server/mode", h: s.setMode},
		{method: "GET", path: "/healthz", public: true, h: s.healthz},
		{method: "GET", path: "/readyz", public: true, h: s.readyz},
		{method: "GET", path: "/openapi.json", public: true, h: s.openAPIDoc},
	}
}

// Routes lists the endpoints the server registers, as "METHOD /path"
// with {name} for a path parameter, without the base path.
func (s *Server) Routes() []string {
	out := make([]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.method + " " + rt.path
	}
	return out
}

func (s *Server) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rt.h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// requestInfo is what the access log says of a request; handlers fill in
// the caller.
type requestInfo struct {
	id     string
	uri    string
	caller string
}

type infoKey struct{}

func infoOf(r *http.Request) *requestInfo {
	if info, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{uri: r.URL.Path}
}

// callerOf names the caller of r in the history: its token's name, or
// "api" on a server without credentials.
func callerOf(r *http.Request) string {
	if c := infoOf(r).caller; c != "" {
		return c
	}
	return "api"
}

// ServeHTTP implements http.Handler: it gives the request an id, logs it
// once answered, recovers a panic as a 500, checks the credentials, and
// routes it (404 and 405 with JSON bodies).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &requestInfo{id: newID(), uri: r.URL.Path}
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("X-Request-Id", info.id)
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", slog.String("request_id", info.id), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if sw.status == 0 {
				s.writeError(sw, r, fmt.Errorf("panic: %v", v))
			}
		}
		s.requests.Add(1)
		s.lastRequest.Store(time.Now().UnixNano())
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.code()),
			slog.Duration("duration", since(start)),
			slog.String("tenant", r.Header.Get(tenantHeader)),
			slog.String("caller", callerOf(r)),
			slog.String("request_id", info.id),
			slog.Int64("bytes", sw.bytes))
	}()
	s.route(sw, r)
}

// route strips the base path and a trailing slash, checks credentials and
// dispatches.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, s.base)
	if !ok || (path != "" && path[0] != '/') {
		s.writeError(w, r, s.notFound(r))
		return
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = path, ""
	_, pattern := s.mux.Handler(r2)
	public := false
	for _, rt := range s.routes {
		if rt.public && rt.method+" "+rt.path == pattern {
			public = true
		}
	}
	if s.cfg.Auth != nil && !public {
		name, err := s.cfg.Auth.check(r)
		infoOf(r).caller = name
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if pattern == "" {
		s.writeError(w, r, s.notAllowed(r2))
		return
	}
	s.mux.ServeHTTP(w, r2)
}

// notAllowed is the 405 of a path that other methods serve, with Allow,
// or the 404 of a path that nothing serves.
func (s *Server) notAllowed(r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return s.notFound(r)
	}
	return &httpError{status: http.StatusMethodNotAllowed, code: codeNotAllowed, allow: strings.Join(allow, ", "),
		message: fmt.Sprintf("method %s is not supported on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))}
}

func (s *Server) notFound(r *http.Request) error {
	return errorf(http.StatusNotFound, codeNotFound, "no such resource %s; GET %s/openapi.json lists the API", r.URL.Path, s.base)
}

// Serve answers requests on ln until ctx is done, then shuts down
// gracefully: it stops accepting and waits for the requests under way,
// an apply included, however long they take (a second signal kills the
// process). Requests never see ctx: an apply is not cancelled by the
// shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: no new requests; waiting for the requests under way")
	err := srv.Shutdown(context.Background())
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err == nil {
		s.log.Info("stopped")
	}
	return err
}

// statusWriter records the status and size of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newID is a random request id.
func newID() string {
	var b [8]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand never fails
	return hex.EncodeToString(b[:])
}
