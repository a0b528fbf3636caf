package server

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
)

// TestUnreachableDatabase: a database that cannot be reached gives 503
// with Retry-After, to reads, writes and /readyz, while /healthz answers.
func TestUnreachableDatabase(t *testing.T) {
	// Port 1 on loopback: nothing listens, the dial is refused.
	db, err := sqlx.Open("pgx", "postgres://ctx@127.0.0.1:1/ctx?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tg := apply.Target{Dialect: postgres.New(), DB: db, URL: "postgres://ctx@127.0.0.1:1/ctx"}
	base, _ := serve(t, singleConfig(tg))
	retry := map[string]string{"Retry-After": "[0-9]+"}
	for _, x := range []exchange{
		{name: "read", method: "GET", path: "/metadata/identification-keys", code: 503, headers: retry, want: `{"error":{"code":"unavailable"}}`},
		{name: "write", method: "POST", path: "/metadata/identification-keys", body: `{"name":"idX","attributes":["a"]}`, code: 503, headers: retry},
		{name: "status", method: "GET", path: "/server/status", code: 503, headers: retry},
		{name: "readyz", method: "GET", path: "/readyz", code: 503, headers: retry},
		{name: "healthz", method: "GET", path: "/healthz", code: 200},
	} {
		t.Run(x.name, func(t *testing.T) { x.run(t, &http.Client{}, base) })
	}
}

// failing is a Resolver whose error is not one the API knows, or a panic.
type failing struct{ panics bool }

func (f failing) Resolve(*http.Request) (*Database, error) {
	if f.panics {
		panic("resolver exploded: secret detail")
	}
	return nil, errors.New("secret detail of an internal failure")
}

// TestInternalError: an unknown error or a panic is a 500 that carries the
// request id and no internals; the log has the details under that id.
func TestInternalError(t *testing.T) {
	for _, panics := range []bool{false, true} {
		base, log := serve(t, Config{Resolver: failing{panics: panics}})
		x := exchange{method: "GET", path: "/metadata/profiles", code: 500, want: `{"error":{"code":"internal"}}`}
		x.run(t, &http.Client{}, base)
		resp, err := http.Get(base + "/metadata/profiles")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if strings.Contains(b.String(), "secret") || !strings.Contains(b.String(), id) {
			t.Errorf("the 500 body leaks internals or lacks the request id %s: %s", id, b.String())
		}
		if !strings.Contains(log.String(), "request_id="+id) || !strings.Contains(log.String(), "secret detail") {
			t.Errorf("the log lacks the details under %s:\n%s", id, log)
		}
	}
}
