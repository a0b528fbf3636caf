// Package replay is a stand-in for a real Context Services server in
// tests: it answers the metadata API with the shapes the Context Services
// pages print as real answers (DOMAIN.md, "What a real server answers") —
// string booleans and lengths beside numbers, a `required` flag on
// extensions, keys listed with `extension.attribute` names and no source,
// a stray space in a name, Location headers without /metadata, CS 8.5
// error bodies, 503 while the mode switches, 403 for a schema change in
// production mode — and lets a test inject faults and read the requests.
package replay

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Request is one request the server received.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// Server is a replay server on loopback.
type Server struct {
	*httptest.Server
	mu sync.Mutex
	// Mode is "maintenance" or "production".
	mode       string
	profile    []map[string]any
	extensions []map[string]any
	keys       []map[string]any
	requests   []Request
	// faults answer the n-th request (1-based, counting from when the
	// fault was set) matching "METHOD /path" with a status.
	faults []*fault
	// busy answers the next n requests with 503 (the mode switching).
	busy int
	// delay holds every answer back.
	delay time.Duration
	// writes503 answers every POST and DELETE under /metadata with 503.
	writes503 bool
}

type fault struct {
	match  string
	nth    int
	status int
	then   func(s *Server)
}

// New starts a replay server under base (e.g. "/cms") whose profile has
// the given attributes, in maintenance mode, with nothing else.
func New(base string, profile ...map[string]any) *Server {
	s := &Server{mode: "maintenance", profile: profile}
	s.Server = httptest.NewServer(http.StripPrefix(base, http.HandlerFunc(s.serve)))
	return s
}

// Attr is a profile or extension attribute as a real server lists it.
func Attr(name, typ string, more ...any) map[string]any {
	a := map[string]any{"name": name, "type": typ}
	for i := 0; i+1 < len(more); i += 2 {
		a[more[i].(string)] = more[i+1]
	}
	return a
}

// SeedExtension adds an extension as a real server lists it: doc is
// kept as it is and answered verbatim.
func (s *Server) SeedExtension(doc map[string]any) {
	s.mu.Lock()
	s.extensions = append(s.extensions, doc)
	s.mu.Unlock()
}

// SeedKey adds a key document, answered verbatim.
func (s *Server) SeedKey(doc map[string]any) {
	s.mu.Lock()
	s.keys = append(s.keys, doc)
	s.mu.Unlock()
}

// SetMode sets the server mode directly.
func (s *Server) SetMode(m string) { s.mu.Lock(); s.mode = m; s.mu.Unlock() }

// Busy makes the next n requests answer 503, as while the mode switches.
func (s *Server) Busy(n int) { s.mu.Lock(); s.busy = n; s.mu.Unlock() }

// Delay holds every answer back by d.
func (s *Server) Delay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// Fail answers the nth request matching "METHOD /path-prefix" with status,
// and calls then (if not nil) under the server's lock first.
func (s *Server) Fail(match string, nth, status int, then func(*Server)) {
	s.mu.Lock()
	s.faults = append(s.faults, &fault{match: match, nth: nth, status: status, then: then})
	s.mu.Unlock()
}

// ProductionNow switches the server to production mode; for Fail's then.
func ProductionNow(s *Server) { s.mode = "production" }

// Unavailable makes the server answer 503 to every write, as most Context
// Services pages answer a call that the mode does not allow; for Fail's
// then.
func Unavailable(s *Server) { s.writes503 = true }

// Requests returns the requests received so far and forgets them.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

// Writes lists the POST and DELETE requests of rs as "METHOD /path".
func Writes(rs []Request) []string {
	var out []string
	for _, r := range rs {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.delay > 0 {
		d := s.delay
		s.mu.Unlock()
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		s.mu.Lock()
	}
	path := strings.TrimRight(r.URL.Path, "/")
	s.requests = append(s.requests, Request{Method: r.Method, Path: path, Header: r.Header.Clone(), Body: string(body)})
	if s.busy > 0 {
		s.busy--
		w.Header().Set("Retry-After", "0")
		s.fail(w, http.StatusServiceUnavailable, "the server is switching its mode")
		return
	}
	for i, f := range s.faults {
		if strings.HasPrefix(r.Method+" "+path, f.match) {
			f.nth--
			if f.nth == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				if f.then != nil {
					f.then(s)
				}
				if f.status != 0 {
					s.fail(w, f.status, "injected")
					return
				}
				break
			}
		}
	}
	schema := strings.HasPrefix(path, "/metadata")
	if schema && r.Method != http.MethodGet && s.writes503 {
		s.fail(w, http.StatusServiceUnavailable, "not allowed in this mode")
		return
	}
	if schema && r.Method != http.MethodGet && s.mode == "production" {
		s.fail(w, http.StatusForbidden, "schema changes are not allowed in production mode")
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "/server/status":
		s.json(w, 200, map[string]any{"mode": strings.ToUpper(s.mode[:1]) + s.mode[1:], "version": "8.5.000.00", "system_time": "2026-12-01T10:00:00.000Z", "started": "2026-12-01T09:00:00.000Z", "last_request": "2026-12-01T10:00:00.000Z", "requests": len(s.requests)})
	case r.Method == http.MethodPost && path == "/server/mode":
		var m struct{ Mode string }
		json.Unmarshal(body, &m) //nolint:errcheck
		s.mode = strings.ToLower(m.Mode)
		// The switch takes a while: the next requests get 503.
		s.busy = 2
		w.Header().Set("Location", "/server/status")
		s.json(w, 200, map[string]any{"server changed": s.mode})
	case r.Method == http.MethodGet && path == "/metadata/profiles":
		s.json(w, 200, map[string]any{"attributes": s.profile})
	case r.Method == http.MethodGet && path == "/metadata/profiles/extensions":
		s.json(w, 200, s.extensions)
	case r.Method == http.MethodGet && path == "/metadata/identification-keys":
		s.json(w, 200, s.keys)
	case r.Method == http.MethodPost && path == "/metadata/profiles/extensions":
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			s.fail(w, 400, err.Error())
			return
		}
		name, _ := doc["name"].(string)
		if find(s.extensions, name) >= 0 {
			s.fail(w, 409, "extension exists")
			return
		}
		s.extensions = append(s.extensions, realExtension(doc))
		w.Header().Set("Location", s.URL+"/profiles/extensions/"+name)
		s.json(w, 201, map[string]any{"name": name})
	case r.Method == http.MethodPost && path == "/metadata/identification-keys":
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			s.fail(w, 400, err.Error())
			return
		}
		name, _ := doc["name"].(string)
		if find(s.keys, name) >= 0 {
			s.fail(w, 409, "key exists")
			return
		}
		s.keys = append(s.keys, realKey(doc))
		w.Header().Set("Content-Location", s.URL+"/metadata/identification-keys/"+name)
		s.json(w, 201, map[string]any{"name": name})
	case r.Method == http.MethodDelete && strings.HasPrefix(path, "/metadata/profiles/extensions/"):
		name := strings.TrimPrefix(path, "/metadata/profiles/extensions/")
		i := find(s.extensions, name)
		if i < 0 {
			s.fail(w, 404, "no extension "+name)
			return
		}
		for _, k := range s.keys {
			for _, a := range k["attributes"].([]any) {
				if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.(string))), strings.ToLower(name)+".") {
					s.fail(w, 409, "extension is used by key "+k["name"].(string))
					return
				}
			}
		}
		s.extensions = append(s.extensions[:i], s.extensions[i+1:]...)
		w.WriteHeader(204)
	case r.Method == http.MethodDelete && strings.HasPrefix(path, "/metadata/identification-keys/"):
		name := strings.TrimPrefix(path, "/metadata/identification-keys/")
		i := find(s.keys, name)
		if i < 0 {
			s.fail(w, 404, "no key "+name)
			return
		}
		s.keys = append(s.keys[:i], s.keys[i+1:]...)
		w.WriteHeader(204)
	default:
		s.fail(w, 404, "unknown resource")
	}
}

func find(docs []map[string]any, name string) int {
	for i, d := range docs {
		if n, _ := d["name"].(string); strings.EqualFold(strings.TrimSpace(n), name) {
			return i
		}
	}
	return -1
}

// realExtension is what a real server lists for a created extension:
// `required`, lengths as strings, mandatory as a string, unique items as
// per-attribute flags for single attributes.
func realExtension(doc map[string]any) map[string]any {
	out := map[string]any{"name": doc["name"], "type": doc["type"], "required": "false"}
	var attrs []any
	single := map[string]bool{}
	var composites []any
	for _, u := range asList(doc["unique"]) {
		if name, ok := u.(string); ok {
			single[strings.ToLower(name)] = true
		} else {
			composites = append(composites, u)
		}
	}
	for _, a := range asList(doc["attributes"]) {
		a := a.(map[string]any)
		ra := map[string]any{"name": a["name"], "type": a["type"]}
		if l, ok := a["length"].(float64); ok {
			ra["length"] = fmt.Sprint(int(l))
		}
		if m, ok := a["mandatory"].(bool); ok {
			ra["mandatory"] = fmt.Sprint(m)
		}
		if e, ok := a["encrypt"].(bool); ok && e {
			ra["encrypt"] = true
		}
		if d, ok := a["default"]; ok {
			ra["default"] = d
		}
		if single[strings.ToLower(a["name"].(string))] {
			ra["unique"] = "true"
		}
		attrs = append(attrs, ra)
	}
	out["attributes"] = attrs
	if len(composites) > 0 {
		out["unique"] = composites
	}
	return out
}

// realKey is what a real server lists for a created key: no source, the
// attributes of an extension key prefixed with the extension, unique only
// when set.
func realKey(doc map[string]any) map[string]any {
	out := map[string]any{"name": doc["name"]}
	src, _ := doc["source"].(string)
	var attrs []any
	for _, a := range asList(doc["attributes"]) {
		if src != "" && !strings.EqualFold(src, "profile") {
			a = src + "." + a.(string)
		}
		attrs = append(attrs, a)
	}
	out["attributes"] = attrs
	if u, ok := doc["unique"].(bool); ok && u {
		out["unique"] = "true"
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func (s *Server) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck
}

// fail answers with the CS 8.5 error shape.
func (s *Server) fail(w http.ResponseWriter, status int, msg string) {
	s.json(w, status, map[string]any{"message": msg, "exception": "com.genesyslab.webme.commons.ContextServicesExceptionResource"})
}
