package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/pgtest"
	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// fixture is the schema the conformance table starts from: a profile with
// the seed page's phone_number, and the contacts extension of its second
// example.
const fixture = `
profile:
  attributes:
    - { name: FirstName, type: string, length: 64 }
    - { name: LastName, type: string, length: 64 }
    - { name: EmailAddress, type: string, length: 256 }
    - { name: phone_number, type: string, length: 15 }
extensions:
  - name: contacts
    type: multi-valued
    attributes:
      - { name: contact_name, type: string, length: 64, mandatory: true }
      - { name: phone_number, type: string, length: 15, mandatory: true }
    unique:
      - [contact_name, phone_number]
identification_keys:
  - name: idEmail
    attributes: [EmailAddress]
    unique: true
`

// dialects runs fn on a new SQLite file and, when CTXSCHEMA_TEST_POSTGRES
// names a server, on a new PostgreSQL database.
func dialects(t *testing.T, fn func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite://"+filepath.Join(t.TempDir(), "test.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, pgtest.NewDatabase(t))
	})
}

// open connects to the database at url, closed when t ends.
func open(t *testing.T, url string) apply.Target {
	t.Helper()
	d, err := dialect.NewRegistry(sqlite.New(), postgres.New()).Lookup(url)
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.Open(context.Background(), url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return apply.Target{Dialect: d, DB: db, URL: url}
}

// applyYAML applies a schema given as YAML, as `ctxschema apply` does.
func applyYAML(t *testing.T, tg apply.Target, src string) *model.Schema {
	t.Helper()
	res, err := schemafile.Parse(map[string][]byte{"schema.yaml": []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apply.Run(context.Background(), tg, res.Schema, apply.Options{LockTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	return res.Schema
}

// logBuffer is a concurrency-safe buffer for the server's log.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve runs a server for cfg on a loopback port until t ends and returns
// its URL (with the base path) and its log.
func serve(t *testing.T, cfg Config) (string, *logBuffer) {
	t.Helper()
	log := &logBuffer{}
	cfg.Log = slog.New(slog.NewTextHandler(log, nil))
	if cfg.LockTimeout == 0 {
		cfg.LockTimeout = 10 * time.Second
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if single, ok := cfg.Resolver.(Single); ok {
			single.DB.Close()
		}
	})
	return "http://" + ln.Addr().String() + cfg.BasePath, log
}

// singleConfig is the Config of a server over tg.
func singleConfig(tg apply.Target) Config {
	return Config{Resolver: Single{DB: NewDatabase(tg)}, Ready: tg.DB.PingContext, Version: "test"}
}

// exchange is one request and the answer it must get.
type exchange struct {
	name    string
	method  string
	path    string
	header  map[string]string
	body    string
	setup   func(t *testing.T) (cleanup func())
	code    int
	headers map[string]string // values are regular expressions, anchored
	absent  []string          // headers that must not be sent
	// closes wants the server to close the connection after the answer
	// (Connection: close, which the client reads into Response.Close).
	closes bool
	// want is the JSON the answer's body must hold: objects may have more
	// fields than want names, arrays and values must match. "" skips the
	// check; "-" wants no body.
	want string
}

// run sends x to base and checks the answer.
func (x exchange) run(t *testing.T, client *http.Client, base string) {
	t.Helper()
	if x.setup != nil {
		defer x.setup(t)()
	}
	req, err := http.NewRequest(x.method, base+x.path, strings.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	if x.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range x.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != x.code {
		t.Fatalf("%s %s: status %d, want %d; body %s", x.method, x.path, resp.StatusCode, x.code, b)
	}
	for k, re := range x.headers {
		if got := resp.Header.Get(k); !regexp.MustCompile("^(?:" + re + ")$").MatchString(got) {
			t.Errorf("%s %s: header %s = %q, want %q", x.method, x.path, k, got, re)
		}
	}
	if x.closes && !resp.Close {
		t.Errorf("%s %s: the connection stays open, want it closed after the answer", x.method, x.path)
	}
	for _, k := range x.absent {
		if got, ok := resp.Header[http.CanonicalHeaderKey(k)]; ok {
			t.Errorf("%s %s: header %s = %q, want none", x.method, x.path, k, got)
		}
	}
	if resp.StatusCode >= 400 {
		// Every error has the body of API.md section 2.
		var e struct {
			Error Error `json:"error"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Error.Status != resp.StatusCode || e.Error.Code == "" ||
			e.Error.Message == "" || e.Error.RequestID == "" || e.Error.Method != x.method ||
			e.Error.RequestID != resp.Header.Get("X-Request-Id") {
			t.Errorf("%s %s: the error body is not API.md's: %s", x.method, x.path, b)
		}
	}
	switch x.want {
	case "":
	case "-":
		if len(b) != 0 {
			t.Errorf("%s %s: body %s, want none", x.method, x.path, b)
		}
	default:
		var want, got any
		if err := json.Unmarshal([]byte(x.want), &want); err != nil {
			t.Fatalf("bad want %s: %v", x.want, err)
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", x.method, x.path, b)
		}
		if err := holds(got, want, "body"); err != nil {
			t.Errorf("%s %s: %v\n got: %s\nwant: %s", x.method, x.path, err, b, x.want)
		}
	}
}

// holds reports whether got holds want: objects may have more fields,
// everything else must be equal.
func holds(got, want any, path string) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return errors.New(path + " is not an object")
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return errors.New(path + "." + k + " is missing")
			}
			if err := holds(gv, wv, path+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return errors.New(path + " is not an array of the same length")
		}
		for i := range w {
			if err := holds(g[i], w[i], path+"["+string(rune('0'+i%10))+"]"); err != nil {
				return err
			}
		}
		return nil
	}
	if !reflect.DeepEqual(got, want) {
		return errors.New(path + " differs")
	}
	return nil
}
