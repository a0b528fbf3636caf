package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// keysOf returns the names GET /metadata/identification-keys answers on
// the server at base, space-separated.
func keysOf(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	resp, err := client.Get(base + "/metadata/identification-keys")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metadata/identification-keys: status %d; body %s", resp.StatusCode, b)
	}
	var keys []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatalf("GET /metadata/identification-keys: %v; body %s", err, b)
	}
	names := []string{}
	for _, k := range keys {
		names = append(names, k.Name)
	}
	return strings.Join(names, " ")
}

// within waits, up to a bound, for cond, and reports whether it held.
func within(cond func() bool) bool {
	for end := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			return false
		}
	}
	return true
}

// eventually waits, up to a bound, for cond, and fails t with what when it
// never holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !within(cond) {
		t.Fatalf("still not so after 20 s: %s", what)
	}
}

// sees checks that the server's reads answer want: at once when the
// database is not watched (each read asks it), or once the change was
// notified, with a bound, when it is (PostgreSQL).
func sees(t *testing.T, tg apply.Target, client *http.Client, base, want string) {
	t.Helper()
	if _, ok := tg.Dialect.(dialect.CatalogWatcher); !ok {
		if got := keysOf(t, client, base); got != want {
			t.Fatalf("GET /metadata/identification-keys = %s, want %s", got, want)
		}
		return
	}
	var got string
	if !within(func() bool { got = keysOf(t, client, base); return got == want }) {
		t.Fatalf("GET /metadata/identification-keys = %q 20 s after the change, want %q", got, want)
	}
}

// watching reports whether reads of d are answered from its cache.
func watching(d *Database) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.listening && d.watched
}

// TestReadsSeeOtherWriters checks that the server's reads answer what the
// database holds, whoever changed it: on a database with no catalog yet,
// then after an apply by another client (the CLI), then after its tables
// were dropped by hand. On PostgreSQL a change reaches the server's cache
// by notification, so each is awaited, with a bound.
func TestReadsSeeOtherWriters(t *testing.T) {
	dialects(t, func(t *testing.T, url string) {
		tg := open(t, url)
		d := NewDatabase(tg)
		base, _ := serve(t, Config{Resolver: Single{DB: d}, Ready: tg.DB.PingContext, Version: "test"})
		client := &http.Client{}

		sees(t, tg, client, base, ``)
		applyYAML(t, tg, fixture)
		sees(t, tg, client, base, `idEmail`)
		applyYAML(t, tg, fixture+"  - { name: idLastName, attributes: [LastName] }\n")
		sees(t, tg, client, base, `idEmail idLastName`)
		if _, ok := tg.Dialect.(dialect.CatalogWatcher); ok {
			// The drop is seen by the watch's check, not by a notification.
			eventually(t, "the server watches the catalog", func() bool { return watching(d) })
			sees(t, tg, client, base, `idEmail idLastName`) // now cached
		}
		for _, table := range []string{"cs_schema", "cs_meta", "cs_history"} {
			if _, err := tg.DB.Exec("DROP TABLE " + table); err != nil {
				t.Fatal(err)
			}
		}
		sees(t, tg, client, base, ``)
	})
}

// watchedServer serves tg (PostgreSQL) and waits until its reads are
// answered from the cache.
func watchedServer(t *testing.T) (apply.Target, *Database, string) {
	tg := open(t, pgtest.NewDatabase(t))
	applyYAML(t, tg, fixture)
	d := NewDatabase(tg)
	base, _ := serve(t, Config{Resolver: Single{DB: d}, Ready: tg.DB.PingContext, Version: "test"})
	keysOf(t, http.DefaultClient, base) // starts the watch
	eventually(t, "the server watches the catalog", func() bool { return watching(d) })
	return tg, d, base
}

// TestReadsSeePlainSQL checks that a change of the catalog made with plain
// SQL, not by ctxschema, reaches a server that answers reads from its
// cache: cs_schema's trigger notifies it. While another transaction holds
// cs_schema locked, a read still answers, from the cache, with no query.
func TestReadsSeePlainSQL(t *testing.T) {
	tg, _, base := watchedServer(t)
	client := &http.Client{Timeout: time.Minute}
	keysOf(t, client, base)

	ctx := context.Background()
	tx, err := tg.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // committed below
	if _, err := tx.Exec(`LOCK TABLE cs_schema IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(t, client, base), `idEmail`; got != want {
		t.Fatalf("GET /metadata/identification-keys = %s, want %s", got, want)
	}
	if _, err := tx.Exec(`UPDATE cs_schema SET definition = replace(definition, '"name":"idEmail"', '"name":"idMail"')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	sees(t, tg, client, base, `idMail`)
}

// TestReadsFreshWithoutListener checks that while the server's listener is
// down (its connection ended, and it does not reconnect), every read asks
// the database again: a change by another writer is seen at once.
func TestReadsFreshWithoutListener(t *testing.T) {
	retry := watchRetry
	watchRetry = time.Hour
	t.Cleanup(func() { watchRetry = retry })
	tg, d, base := watchedServer(t)
	client := &http.Client{}
	keysOf(t, client, base)

	if _, err := tg.DB.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the server noticed its listener is down", func() bool { return !watching(d) })
	applyYAML(t, tg, fixture+"  - { name: idLastName, attributes: [LastName] }\n")
	if got, want := keysOf(t, client, base), `idEmail idLastName`; got != want {
		t.Fatalf("GET /metadata/identification-keys = %s, want %s", got, want)
	}
}

// TestReadsSeeOwnWrites checks that on a server answering reads from its
// cache, a read sent after the answer to a write of the same server sees
// it, without waiting for the notification of the change.
func TestReadsSeeOwnWrites(t *testing.T) {
	_, _, base := watchedServer(t)
	client := &http.Client{}
	for i := 0; i < 20; i++ {
		post := exchange{method: "POST", path: "/metadata/identification-keys", code: 201,
			body: `{"name":"idLastName","attributes":["LastName"]}`}
		post.run(t, client, base)
		if got, want := keysOf(t, client, base), "idEmail idLastName"; got != want {
			t.Fatalf("after POST #%d: GET /metadata/identification-keys = %q, want %q", i+1, got, want)
		}
		del := exchange{method: "DELETE", path: "/metadata/identification-keys/idLastName", code: 204}
		del.run(t, client, base)
		if got, want := keysOf(t, client, base), "idEmail"; got != want {
			t.Fatalf("after DELETE #%d: GET /metadata/identification-keys = %q, want %q", i+1, got, want)
		}
	}
}

// TestReadsFreshWithoutTrigger checks that once cs_schema lost its
// notifying trigger (as in a catalog of an older ctxschema), every read
// asks the database again: a plain SQL change, which no longer notifies,
// is seen at once.
func TestReadsFreshWithoutTrigger(t *testing.T) {
	tg, d, base := watchedServer(t)
	client := &http.Client{}
	if _, err := tg.DB.Exec(`DROP TRIGGER cs_schema_notify ON cs_schema`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the server noticed the trigger is gone", func() bool { return !watching(d) })
	if _, err := tg.DB.Exec(`UPDATE cs_schema SET definition = replace(definition, '"name":"idEmail"', '"name":"idMail"')`); err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(t, client, base), "idMail"; got != want {
		t.Fatalf("GET /metadata/identification-keys = %q, want %q", got, want)
	}
}
