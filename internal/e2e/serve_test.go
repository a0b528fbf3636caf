package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// startServe starts `ctxschema serve` on a free loopback port and returns
// its URL once it listens; the process gets SIGTERM when t ends and must
// exit 0.
func startServe(t *testing.T, db string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--db", db, "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	re := regexp.MustCompile(`url=(http://127\.0\.0\.1:[0-9]+)`)
	url := ""
	for url == "" && lines.Scan() {
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("serve did not say where it listens")
	}
	go io.Copy(io.Discard, stderr) //nolint:errcheck // the access log
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve after SIGTERM: %v, want exit 0", err)
		}
	})
	return url
}

// TestServeRace runs two `serve` processes on one database and has them
// create the same key at the same moment, several times over: each time
// one answers 201 and the other 409, and the database holds one index.
func TestServeRace(t *testing.T) {
	for _, tc := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "race.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.db(t)
			dir := writeSchema(t, filepath.Join(t.TempDir(), "v1"), v1)
			if code, out := ctx(t, "apply", "--db", db, "--dir", dir, "--auto-approve"); code != 0 {
				t.Fatalf("apply: exit %d\n%s", code, out)
			}
			a, b := startServe(t, db), startServe(t, db)
			const rounds = 5
			for i := range rounds {
				body := fmt.Sprintf(`{"name":"idRace%d","attributes":["LastName","FirstName"]}`, i)
				codes := make([]int, 2)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for j, url := range []string{a, b} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						resp, err := http.Post(url+"/metadata/identification-keys", "application/json", strings.NewReader(body))
						if err != nil {
							t.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body) //nolint:errcheck
						resp.Body.Close()
						codes[j] = resp.StatusCode
					}()
				}
				close(start)
				wg.Wait()
				if !(codes[0] == 201 && codes[1] == 409 || codes[0] == 409 && codes[1] == 201) {
					t.Errorf("round %d: the two servers answered %v, want one 201 and one 409", i, codes)
				}
			}
			if n := countIndexes(t, db, "ik_idrace"); n != rounds {
				t.Errorf("the database holds %d ik_idrace indexes, want %d", n, rounds)
			}
			if code, out := ctx(t, "inspect", "--db", db, "--out", filepath.Join(t.TempDir(), "live")); code != 0 || strings.Contains(out, "drifted") {
				t.Errorf("inspect: exit %d\n%s", code, out)
			}
		})
	}
}

// countIndexes counts the indexes whose name starts with prefix.
func countIndexes(t *testing.T, url, prefix string) int {
	t.Helper()
	d, err := dialect.NewRegistry(sqlite.New(), postgres.New()).Lookup(url)
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.Open(context.Background(), url, dialect.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '" + prefix + "%'"
	if d.Scheme() == "postgres" {
		q = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE '" + prefix + "%'"
	}
	var n int
	if err := db.Get(&n, q); err != nil {
		t.Fatal(err)
	}
	return n
}
