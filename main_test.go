package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/cli"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/pgtest"
	"github.com/ctxschema/ctxschema/internal/tenant"
)

// TestMain lets the test binary act as the ctxschema command in the
// scripts of testdata/script: testscript runs it as "ctxschema", which
// calls run, the whole program but for os.Exit.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ctxschema": func() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts against a SQLite file of their own
// ($CTXSCHEMA_DB). $EXAMPLES is the examples directory. Besides the standard
// commands, scripts have
//
//	exits N program [args...]
//
// which runs program like exec and checks that it exits with code N,
//
//	sql URL statement...
//
// which runs SQL statements on the database at URL (to fill tables with
// rows or damage them by hand), and
//
//	replace OLD NEW FILE
//
// which replaces every OLD in FILE with NEW (to edit a saved plan), and
//
//	http [-H 'Name: value']... METHOD URL [BODY]
//
// which sends a request (a BODY as application/json unless -H says
// otherwise) and prints the answer's status, headers and body on stdout.
// $SERVE_ADDR is a free loopback address for `ctxschema serve --listen`.
// The conditions [sqlite] and [postgres] say which database the script
// runs on.
func TestScripts(t *testing.T) {
	runScripts(t, "sqlite", func(env *testscript.Env) string {
		return "sqlite://" + filepath.Join(env.WorkDir, "test.db")
	})
}

// TestScriptsPostgres runs the same scripts, each against a PostgreSQL
// database of its own, when CTXSCHEMA_TEST_POSTGRES names a server.
func TestScriptsPostgres(t *testing.T) {
	pgtest.ServerURL(t)
	runScripts(t, "postgres", func(*testscript.Env) string { return pgtest.NewDatabase(t) })
}

func runScripts(t *testing.T, dialectName string, database func(*testscript.Env) string) {
	examples, err := filepath.Abs("examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			env.Setenv("CTXSCHEMA_DB", database(env))
			addr, err := freeAddr()
			env.Setenv("SERVE_ADDR", addr)
			return err
		},
		// [sqlite] and [postgres] hold when the script's database is one.
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "sqlite", "postgres":
				return cond == dialectName, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":   cmdExits,
			"sql":     cmdSQL,
			"replace": cmdReplace,
			"http":    cmdHTTP,
		},
	})
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with code %d, want %d", args[1], got, want)
	}
}

func cmdSQL(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: sql URL statement...")
	}
	ctx := context.Background()
	d, err := dialect.NewRegistry(sqlite.New(), postgres.New()).Lookup(args[0])
	ts.Check(err)
	db, err := d.Open(ctx, args[0], dialect.ReadWrite)
	ts.Check(err)
	defer db.Close()
	for _, stmt := range args[1:] {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			ts.Fatalf("%s: %v", stmt, err)
		}
	}
}

func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace OLD NEW FILE")
	}
	path := ts.MkAbs(args[2])
	b, err := os.ReadFile(path)
	ts.Check(err)
	if !strings.Contains(string(b), args[0]) {
		ts.Fatalf("%s holds no %q", args[2], args[0])
	}
	ts.Check(os.WriteFile(path, []byte(strings.ReplaceAll(string(b), args[0], args[1])), 0o644))
}

// freeAddr returns a loopback address with a port that was free.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// cmdHTTP sends a request and prints the answer: "HTTP <code>", the
// headers in name order but Date, Content-Length and X-Request-Id, then
// the body. It retries while the connection is refused, for up to ten
// seconds, so that a script can talk to a server it just started in the
// background.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	header := http.Header{}
	for len(args) >= 2 && args[0] == "-H" {
		k, v, ok := strings.Cut(args[1], ":")
		if !ok {
			ts.Fatalf("http: -H %q: want 'Name: value'", args[1])
		}
		header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		args = args[2:]
	}
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: http [-H 'Name: value']... METHOD URL [BODY]")
	}
	body := ""
	if len(args) == 3 {
		body = args[2]
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/json")
		}
	}
	var resp *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequest(args[0], args[1], strings.NewReader(body))
		ts.Check(err)
		req.Header = header.Clone()
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
			ts.Fatalf("http %s %s: %v", args[0], args[1], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ts.Check(err)
	var names []string
	for k := range resp.Header {
		if k != "Date" && k != "Content-Length" && k != "X-Request-Id" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	fmt.Fprintf(ts.Stdout(), "HTTP %d\n", resp.StatusCode)
	for _, k := range names {
		fmt.Fprintf(ts.Stdout(), "%s: %s\n", k, strings.Join(resp.Header[k], ", "))
	}
	fmt.Fprintf(ts.Stdout(), "\n%s", b)
}

func TestExitCode(t *testing.T) {
	problems := &model.Problems{List: []model.Problem{{Message: "bad"}}}
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("disk on fire"), 1},
		{problems, 4},
		{fmt.Errorf("plan: %w", problems), 4},
		{&cli.ReportedError{Err: problems}, 4},
		{cli.ErrChanges, 2},
		{&tenant.UnknownError{Given: "x", File: "t.yaml"}, 4},
	}
	for _, tc := range tests {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// A fan-out over tenants exits with its most serious outcome: 1 over 5
// over 3 over 2 over 0 (API.md section 5).
func TestExitCodeTenants(t *testing.T) {
	failed := func(errs ...error) error {
		e := &tenant.Error{}
		for _, err := range errs {
			e.Failed = append(e.Failed, tenant.Result{Started: true, Err: err})
		}
		return e
	}
	mode := &cli.ReportedError{Err: &apply.ModeError{}}
	unsafe := &apply.UnsafeError{Reason: apply.DataCheckFailed}
	boom := errors.New("connection refused")
	tests := []struct {
		err  error
		want int
	}{
		{failed(mode), 3},
		{failed(mode, unsafe), 5},
		{failed(unsafe, mode), 5},
		{failed(mode, boom, unsafe), 1},
		{failed(cli.ErrChanges, mode), 3},
		{failed(cli.ErrChanges), 2},
		{&tenant.Error{NotStarted: 3, Interrupted: context.Canceled}, 1},
		{fmt.Errorf("fan-out: %w", failed(unsafe)), 5},
	}
	for _, tc := range tests {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// An error is printed as one line that cannot drive a terminal or start a
// CI log line of its own: driver errors that span lines are joined, other
// control characters escaped.
func TestReportOneLine(t *testing.T) {
	var stderr strings.Builder
	report(&stderr, errors.New("failed to connect:\n\thost a: refused\n\thost b: refused\n::warning::x \x1b[2J\a"))
	want := "ctxschema: failed to connect: host a: refused; host b: refused; ::warning::x \\x1b[2J\\a\n"
	if stderr.String() != want {
		t.Errorf("got  %q\nwant %q", stderr.String(), want)
	}
}

// A huge error, such as a value a database echoes, is cut.
func TestReportBounded(t *testing.T) {
	var stderr strings.Builder
	report(&stderr, errors.New("invalid input: \""+strings.Repeat("é", 3<<20)+"\""))
	if got := stderr.Len(); got > cli.MaxMessage+100 || !strings.HasSuffix(stderr.String(), "… (6291473 bytes)\n") {
		t.Errorf("got %d bytes ending %q", got, stderr.String()[max(0, got-40):])
	}
}
