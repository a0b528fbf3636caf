// Command sidebyside measures whole ctxschema processes against the floors
// of issue 15, in one run, interleaved (the order rotates every round), and
// prints the table. sqldef, the peer, cannot be installed
// here; the floor of each scenario is built from what any tool must pay:
//
//	(a) the database's own client (sqlite3, psql) sending the same catalog
//	    queries the plan sends (or, for a first apply, the same DDL in one
//	    transaction), as a whole process;
//	(b) yaml.v3 decoding the same schema files into yaml.Node alone
//	    (floor yaml DIR, the decoding time measured inside the process);
//	(c) the start-up of a Go binary that links the same drivers and does
//	    nothing (floor, as a whole process).
//
// The goal of each plan and apply is ours ≤ 1.3× (a)+(b)+(c), of start-up
// ours ≤ (c). Usage (internal/bench/run.sh builds the binaries):
//
//	sidebyside -bin ctxschema -floor floor -n 500 -runs 5 -work DIR [-pg URL] [-growth 100,500,1000,2000]
//	           [-only REGEXP] [-before OLDBIN] [-pgprefix PREFIX]
//
// -only runs the scenarios whose name matches alone; -before runs a second
// ctxschema binary in the same rounds (its order rotating with the rest),
// and prints its row under ours, for a before/after measured in one run.
//
//	sidebyside -bin ctxschema -floor floor -work DIR -startup-only -runs 200
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/bench"
	"github.com/ctxschema/ctxschema/internal/bench/gen"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
	"github.com/ctxschema/ctxschema/internal/model"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(1)
	}
}

var (
	bin, floorBin, work, pgURL string
	runs                       int
	// before is a second ctxschema binary measured in the same rounds, ""
	// for none.
	before string
	// only selects the scenarios to run by name; nil runs every one.
	only *regexp.Regexp
	// pgPrefix starts the name of every database created on -pg.
	pgPrefix string
)

func run() error {
	flag.StringVar(&bin, "bin", "", "the ctxschema binary (required)")
	flag.StringVar(&floorBin, "floor", "", "the floor binary, go build ./internal/bench/cmd/floor (required)")
	flag.StringVar(&work, "work", "", "directory for schema files and databases (required)")
	flag.StringVar(&pgURL, "pg", "", "PostgreSQL server URL; empty skips PostgreSQL")
	n := flag.Int("n", 500, "extensions of the generated schema")
	flag.IntVar(&runs, "runs", 5, "rounds of each scenario")
	growth := flag.String("growth", "100,500,1000,2000", "the N of the memory and time growth of a no-op SQLite plan; empty for none")
	flag.StringVar(&before, "before", "", "another ctxschema binary to measure in the same rounds (a before/after); empty for none")
	onlyRE := flag.String("only", "", "run only the scenarios whose name matches this regular expression")
	flag.StringVar(&pgPrefix, "pgprefix", "ctxschema_side_", "the prefix of the names of the databases created on -pg")
	startupOnly := flag.Bool("startup-only", false, "run only the start-up scenario (no schema, no database, no growth); give it many -runs")
	flag.Parse()
	if *onlyRE != "" {
		var err error
		if only, err = regexp.Compile(*onlyRE); err != nil {
			return fmt.Errorf("-only: %w", err)
		}
	}
	if bin == "" || floorBin == "" || work == "" || flag.NArg() > 0 {
		flag.Usage()
		return fmt.Errorf("-bin, -floor and -work are required, and no arguments are taken")
	}
	for _, p := range []*string{&bin, &floorBin, &work, &before} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if *startupOnly {
		rows, err := startup()
		if err != nil {
			return err
		}
		printTable(*n, rows, nil)
		return nil
	}
	if _, err := exec.LookPath("sqlite3"); err != nil {
		return fmt.Errorf("the sqlite3 client is needed for the SQLite floor: apt-get install sqlite3")
	}
	ctx := context.Background()
	var rows []row
	add := func(r []row, err error) error {
		rows = append(rows, r...)
		return err
	}
	if err := add(sqliteScenarios(ctx, *n)); err != nil {
		return err
	}
	if pgURL != "" {
		if err := add(pgScenarios(ctx, *n)); err != nil {
			return err
		}
	}
	if err := add(startup()); err != nil {
		return err
	}
	var ns []int
	for _, f := range strings.Split(*growth, ",") {
		if f = strings.TrimSpace(f); f != "" {
			v, err := strconv.Atoi(f)
			if err != nil {
				return fmt.Errorf("-growth: %q is not a number", f)
			}
			ns = append(ns, v)
		}
	}
	var gs []growthRow
	if len(ns) > 0 {
		var err error
		if gs, err = growthOf(ctx, ns); err != nil {
			return err
		}
	}
	printTable(*n, rows, gs)
	return nil
}

// measure is one process run: its wall time, its CPU time (user and
// system) and its output.
type measure struct {
	wall, cpu time.Duration
	out       string
}

// runProc runs a command, stdin from the file in (or none), stdout kept.
func runProc(in string, name string, args ...string) (measure, error) {
	c := exec.Command(name, args...)
	if in != "" {
		f, err := os.Open(in)
		if err != nil {
			return measure{}, err
		}
		defer f.Close()
		c.Stdin = f
	}
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if err != nil {
		return measure{}, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return measure{wall: wall, cpu: c.ProcessState.UserTime() + c.ProcessState.SystemTime(), out: out.String()}, nil
}

// peakRun runs ctxschema with args once, untimed, under /usr/bin/time, and
// returns its peak RSS in KiB. (The rusage of a child that Go starts is no
// use: it shares this process's memory until exec, and Linux counts that
// as the child's.)
func peakRun(args ...string) (int64, error) {
	f := filepath.Join(work, "time.txt")
	if _, err := runProc("", "/usr/bin/time", append([]string{"-f", "%M", "-o", f, bin}, args...)...); err != nil {
		return 0, err
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
}

// row is one line of the table: per round, ours and the floor
// parts, and the ratio of ours to their sum.
type row struct {
	name, goal string
	limit      float64
	ours       []measure
	// before and beforeRatios are the -before binary's, when given.
	before       []measure
	beforeRatios []float64
	rss          int64                      // KiB, ours' peak
	parts        map[string][]time.Duration // a, b, c
	ratios       []float64
}

// scenario runs ours and the floor parts once per round, rotating their
// order, with prepare (untimed) before each round.
type scenario struct {
	name, goal string
	limit      float64
	prepare    func(round int) error
	// ours returns the arguments of ctxschema for the round; who is
	// "ours", or "before" for the -before binary.
	ours     func(round int, who string) []string
	a        func(round int) (time.Duration, error) // nil: no (a)
	withYAML string                                 // the directory of (b); "" for none
}

func (s scenario) run() (row, error) {
	r := row{name: s.name, goal: s.goal, limit: s.limit, parts: map[string][]time.Duration{}}
	if only != nil && !only.MatchString(s.name) {
		return r, errSkipped
	}
	for i := 0; i < runs; i++ {
		if s.prepare != nil {
			if err := s.prepare(i); err != nil {
				return r, err
			}
		}
		var o, ob measure
		part := map[string]time.Duration{}
		steps := []func() error{
			func() (err error) { o, err = runProc("", bin, s.ours(i, "ours")...); return err },
			func() error {
				m, err := runProc("", floorBin)
				part["c"] = m.wall
				return err
			},
		}
		if before != "" {
			steps = append(steps, func() (err error) { ob, err = runProc("", before, s.ours(i, "before")...); return err })
		}
		if s.a != nil {
			steps = append(steps, func() (err error) { part["a"], err = s.a(i); return err })
		}
		if s.withYAML != "" {
			steps = append(steps, func() error {
				m, err := runProc("", floorBin, "yaml", s.withYAML)
				if err != nil {
					return err
				}
				ns, err := strconv.ParseInt(strings.TrimSpace(m.out), 10, 64)
				part["b"] = time.Duration(ns)
				return err
			})
		}
		for j := range steps {
			if err := steps[(i+j)%len(steps)](); err != nil {
				return r, fmt.Errorf("%s: %w", s.name, err)
			}
		}
		var sum time.Duration
		for k, d := range part {
			r.parts[k] = append(r.parts[k], d)
			sum += d
		}
		r.ours = append(r.ours, o)
		r.ratios = append(r.ratios, float64(o.wall)/float64(sum))
		fmt.Fprintf(os.Stderr, "%s round %d: ours %v, floor %v (a %v, b %v, c %v), %.2f×\n",
			s.name, i+1, o.wall.Round(time.Millisecond), sum.Round(time.Millisecond),
			part["a"].Round(time.Millisecond), part["b"].Round(time.Millisecond), part["c"].Round(time.Millisecond),
			r.ratios[len(r.ratios)-1])
		if before != "" {
			r.before = append(r.before, ob)
			r.beforeRatios = append(r.beforeRatios, float64(ob.wall)/float64(sum))
			fmt.Fprintf(os.Stderr, "%s round %d: before %v, %.2f×\n", s.name, i+1, ob.wall.Round(time.Millisecond), r.beforeRatios[len(r.beforeRatios)-1])
		}
	}
	// The peak memory, from one more run of ours alone.
	if s.prepare != nil {
		if err := s.prepare(runs); err != nil {
			return r, err
		}
	}
	var err error
	r.rss, err = peakRun(s.ours(runs, "ours")...)
	return r, err
}

// errSkipped is returned by scenario.run for a scenario -only leaves out.
var errSkipped = errors.New("skipped")

// collect appends r to out, or nothing for a skipped scenario.
func collect(out []row, r row, err error) ([]row, error) {
	if errors.Is(err, errSkipped) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	return append(out, r), nil
}

// literal is q with its arguments written into the text, as the
// database's client replays it: $1 parameters when dollar (PostgreSQL),
// else ?.
func literal(q bench.Query, dollar bool) string {
	text, args := q.SQL, q.Args
	// A pgx.QueryExecMode first says how to send the query (the
	// PostgreSQL dialect sends its one-shot queries in the simple
	// protocol); it is no argument of the query.
	if len(args) > 0 {
		if _, ok := args[0].(pgx.QueryExecMode); ok {
			args = args[1:]
		}
	}
	for i, a := range args {
		lit := "NULL"
		switch v := a.(type) {
		case string:
			lit = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case nil:
		default:
			lit = fmt.Sprint(v)
		}
		if dollar {
			text = strings.Replace(text, "$"+strconv.Itoa(i+1), lit, 1)
		} else {
			text = strings.Replace(text, "?", lit, 1)
		}
	}
	return strings.TrimRight(strings.TrimSpace(text), ";")
}

// planQueries records the queries of a plan of desired against t (the
// inspection and the plan's data checks) and writes them as a script.
func planQueries(ctx context.Context, t apply.Target, desired *model.Schema, dollar bool, path string) (int, error) {
	qs, err := bench.PlanQueries(ctx, t, desired)
	if err != nil {
		return 0, err
	}
	script := make([]string, len(qs))
	for i, q := range qs {
		script[i] = literal(q, dollar)
	}
	return len(qs), os.WriteFile(path, []byte(strings.Join(script, ";\n")+";\n"), 0o644)
}

// ddlScript writes the SQL of a first apply of s, in one transaction.
func ddlScript(d dialect.Dialect, s *model.Schema, path string) error {
	p, err := apply.Prepare(context.Background(), apply.Target{Dialect: d}, s)
	if err != nil {
		return err
	}
	stmts := []string{"BEGIN"}
	for _, st := range p.Steps {
		stmts = append(stmts, st.SQL...)
		stmts = append(stmts, st.After...)
	}
	stmts = append(stmts, "COMMIT")
	return os.WriteFile(path, []byte(strings.Join(stmts, ";\n")+";\n"), 0o644)
}

// schemaFiles writes s's files under work/name and returns the directory.
func schemaFiles(s *model.Schema, name string) (string, error) {
	dir := filepath.Join(work, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	return dir, gen.WriteFiles(s, dir)
}

func applied(ctx context.Context, d dialect.Dialect, dbURL string, s *model.Schema) (apply.Target, error) {
	db, err := d.Open(ctx, dbURL, dialect.ReadWrite)
	if err != nil {
		return apply.Target{}, err
	}
	t := apply.Target{Dialect: d, DB: db, URL: dbURL}
	_, err = apply.Run(ctx, t, s, apply.Options{})
	return t, err
}

func sqliteScenarios(ctx context.Context, n int) ([]row, error) {
	s := gen.Schema(n, gen.DefaultSeed)
	changed, _ := gen.Changed(s)
	dir, err := schemaFiles(s, "schema")
	if err != nil {
		return nil, err
	}
	changedDir, err := schemaFiles(changed, "changed")
	if err != nil {
		return nil, err
	}
	dbPath := filepath.Join(work, "plan.db")
	removeSQLite(dbPath)
	dbURL := "sqlite://" + dbPath
	t, err := applied(ctx, sqlite.New(), dbURL, s)
	if err != nil {
		return nil, err
	}
	defer t.DB.Close()
	noop, change, ddl := filepath.Join(work, "sqlite-noop.sql"), filepath.Join(work, "sqlite-changed.sql"), filepath.Join(work, "sqlite-ddl.sql")
	if _, err := planQueries(ctx, t, s, false, noop); err != nil {
		return nil, err
	}
	if _, err := planQueries(ctx, t, changed, false, change); err != nil {
		return nil, err
	}
	if err := ddlScript(sqlite.New(), s, ddl); err != nil {
		return nil, err
	}
	client := func(script string) func(int) (time.Duration, error) {
		return func(int) (time.Duration, error) {
			m, err := runProc(script, "sqlite3", "-readonly", dbPath)
			return m.wall, err
		}
	}
	fresh := func(tag string, i int) string { return filepath.Join(work, fmt.Sprintf("fresh-%s-%d.db", tag, i)) }
	var out []row
	for _, sc := range []scenario{
		{name: "SQLite: plan, no changes", goal: "≤ 1.3×", limit: 1.3, withYAML: dir, a: client(noop),
			ours: func(int, string) []string { return []string{"plan", "--dir", dir, "--db", dbURL} }},
		{name: "SQLite: plan, 1% changed", goal: "≤ 1.3×", limit: 1.3, withYAML: changedDir, a: client(change),
			ours: func(int, string) []string { return []string{"plan", "--dir", changedDir, "--db", dbURL} }},
		{name: "SQLite: first apply to an empty file", goal: "≤ 1.3×", limit: 1.3, withYAML: dir,
			prepare: func(i int) error {
				removeSQLite(fresh("ours", i))
				removeSQLite(fresh("before", i))
				removeSQLite(fresh("floor", i))
				return nil
			},
			a: func(i int) (time.Duration, error) {
				m, err := runProc(ddl, "sqlite3", fresh("floor", i))
				return m.wall, err
			},
			ours: func(i int, who string) []string {
				return []string{"apply", "--auto-approve", "--dir", dir, "--db", "sqlite://" + fresh(who, i)}
			}},
	} {
		r, err := sc.run()
		if out, err = collect(out, r, err); err != nil {
			return out, err
		}
	}
	for i := 0; i <= runs; i++ {
		removeSQLite(fresh("ours", i))
		removeSQLite(fresh("before", i))
		removeSQLite(fresh("floor", i))
	}
	return out, nil
}

func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock"} {
		os.Remove(path + suffix)
	}
}

// pgDatabase creates a database on the server and returns its URL and a
// function that drops it.
func pgDatabase(name string) (string, func(), error) {
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", nil, fmt.Errorf("-pg is not a URL")
	}
	exec := func(stmt string) error {
		db, err := sql.Open(postgres.DriverName, pgURL)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec(stmt)
		return err
	}
	name = pgPrefix + name
	exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") //nolint:errcheck // may not exist
	if err := exec("CREATE DATABASE " + name); err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() { exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") }, nil //nolint:errcheck // best effort
}

func pgScenarios(ctx context.Context, n int) ([]row, error) {
	s := gen.Schema(n, gen.DefaultSeed)
	dir := filepath.Join(work, "schema")
	dbURL, drop, err := pgDatabase("plan")
	if err != nil {
		return nil, err
	}
	defer drop()
	t, err := applied(ctx, postgres.New(), dbURL, s)
	if err != nil {
		return nil, err
	}
	noop, ddl := filepath.Join(work, "pg-noop.sql"), filepath.Join(work, "pg-ddl.sql")
	if _, err := planQueries(ctx, t, s, true, noop); err != nil {
		return nil, err
	}
	t.DB.Close()
	if err := ddlScript(postgres.New(), s, ddl); err != nil {
		return nil, err
	}
	var drops []func()
	defer func() {
		for _, d := range drops {
			d()
		}
	}()
	fresh := map[string]string{}
	var out []row
	for _, sc := range []scenario{
		{name: "PostgreSQL: plan, no changes", goal: "≤ 1.3×", limit: 1.3, withYAML: dir,
			a: func(int) (time.Duration, error) {
				m, err := runProc("", "psql", dbURL, "-X", "-q", "-f", noop, "-o", "/dev/null")
				return m.wall, err
			},
			ours: func(int, string) []string { return []string{"plan", "--dir", dir, "--db", dbURL} }},
		{name: "PostgreSQL: first apply to an empty database", goal: "≤ 1.3×", limit: 1.3, withYAML: dir,
			prepare: func(i int) error {
				for _, who := range []string{"ours", "before", "floor"} {
					if who == "before" && before == "" {
						continue
					}
					u, d, err := pgDatabase(fmt.Sprintf("%s_%d", who, i))
					if err != nil {
						return err
					}
					fresh[who], drops = u, append(drops, d)
				}
				return nil
			},
			a: func(int) (time.Duration, error) {
				m, err := runProc("", "psql", fresh["floor"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", ddl, "-o", "/dev/null")
				return m.wall, err
			},
			ours: func(_ int, who string) []string {
				return []string{"apply", "--auto-approve", "--dir", dir, "--db", fresh[who]}
			}},
	} {
		r, err := sc.run()
		if out, err = collect(out, r, err); err != nil {
			return out, err
		}
	}
	return out, nil
}

func startup() ([]row, error) {
	r, err := scenario{name: "start-up (`ctxschema version` vs a binary linking the same drivers)", goal: "≤ 1.0×", limit: 1.0,
		ours: func(int, string) []string { return []string{"version"} }}.run()
	return collect(nil, r, err)
}

// growthRow is a no-op SQLite plan at one N: median wall time and peak RSS.
type growthRow struct {
	n         int
	wall      time.Duration
	rss       int64
	floorWall time.Duration
}

func growthOf(ctx context.Context, ns []int) ([]growthRow, error) {
	var out []growthRow
	for _, n := range ns {
		s := gen.Schema(n, gen.DefaultSeed)
		dir, err := schemaFiles(s, fmt.Sprintf("growth-%d", n))
		if err != nil {
			return nil, err
		}
		dbPath := filepath.Join(work, fmt.Sprintf("growth-%d.db", n))
		removeSQLite(dbPath)
		t, err := applied(ctx, sqlite.New(), "sqlite://"+dbPath, s)
		if err != nil {
			return nil, err
		}
		t.DB.Close()
		var walls []time.Duration
		var rss int64
		for i := 0; i < runs; i++ {
			args := []string{"plan", "--dir", dir, "--db", "sqlite://" + dbPath}
			m, err := runProc("", bin, args...)
			if err != nil {
				return nil, err
			}
			walls = append(walls, m.wall)
			peak, err := peakRun(args...)
			if err != nil {
				return nil, err
			}
			rss = max(rss, peak)
		}
		out = append(out, growthRow{n: n, wall: median(walls), rss: rss})
		fmt.Fprintf(os.Stderr, "growth N=%d: %v, peak %d KiB\n", n, median(walls).Round(time.Millisecond), rss)
		removeSQLite(dbPath)
	}
	return out, nil
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := append([]T(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0f ms", float64(d)/1e6)
}

func printTable(n int, rows []row, gs []growthRow) {
	fmt.Printf("| N = %d | ours | (a) client | (b) yaml.v3 | (c) start-up | ours / (a+b+c), median (min–max) | goal | result | ours' peak RSS |\n", n)
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		walls := make([]time.Duration, len(r.ours))
		for i, o := range r.ours {
			walls[i] = o.wall
		}
		rss := r.rss
		part := func(k string) string {
			if len(r.parts[k]) == 0 {
				return "—"
			}
			return ms(median(r.parts[k]))
		}
		verdict := func(ratios []float64) string {
			if median(ratios) > r.limit {
				return "**fail**"
			}
			return "pass"
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %.1f MiB |\n",
			r.name, ms(median(walls)), part("a"), part("b"), part("c"), spread(r.ratios), r.goal, verdict(r.ratios), float64(rss)/1024)
		if len(r.before) > 0 {
			// The -before binary, measured in the same rounds against the
			// same floor.
			bw := make([]time.Duration, len(r.before))
			for i, o := range r.before {
				bw[i] = o.wall
			}
			fmt.Printf("| … before (-before) | %s | | | | %s | %s | %s | |\n",
				ms(median(bw)), spread(r.beforeRatios), r.goal, verdict(r.beforeRatios))
		}
	}
	printBefore(rows)
	if len(gs) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("| no-op SQLite plan, N | wall (median) | per extension | peak RSS | RSS above N=" + strconv.Itoa(gs[0].n) + ", per extension |")
	fmt.Println("|---|---|---|---|---|")
	for _, g := range gs {
		per := ""
		if g.n != gs[0].n {
			per = fmt.Sprintf("%.1f KiB", float64(g.rss-gs[0].rss)/float64(g.n-gs[0].n))
		}
		fmt.Printf("| %d | %s | %.2f ms | %.1f MiB | %s |\n", g.n, ms(g.wall), float64(g.wall)/1e6/float64(g.n), float64(g.rss)/1024, per)
	}
}

// printBefore prints, for the rows measured with -before, ours against the
// earlier build: the median of the per-round ratios, and each build's
// median ratio to the floor.
func printBefore(rows []row) {
	header := false
	for _, r := range rows {
		if len(r.before) == 0 {
			continue
		}
		if !header {
			fmt.Println()
			fmt.Println("| scenario | before | ours | ours / before, median (min–max) | before / (a+b+c) | ours / (a+b+c) | CPU before | CPU ours | CPU ours / before, median (min–max) |")
			fmt.Println("|---|---|---|---|---|---|---|---|---|")
			header = true
		}
		ours, before := make([]time.Duration, len(r.ours)), make([]time.Duration, len(r.before))
		oursCPU, beforeCPU := make([]time.Duration, len(r.ours)), make([]time.Duration, len(r.before))
		var vs, cpus, floorRatios []float64
		for i := range r.ours {
			ours[i], before[i] = r.ours[i].wall, r.before[i].wall
			oursCPU[i], beforeCPU[i] = r.ours[i].cpu, r.before[i].cpu
			vs = append(vs, float64(r.ours[i].wall)/float64(r.before[i].wall))
			cpus = append(cpus, float64(r.ours[i].cpu)/float64(r.before[i].cpu))
			floorRatios = append(floorRatios, float64(r.before[i].wall)/float64(r.ours[i].wall)*r.ratios[i])
		}
		fmt.Printf("| %s | %s | %s | %s | %.2f× | %.2f× | %s | %s | %s |\n", r.name, ms(median(before)), ms(median(ours)),
			spread(vs), median(floorRatios), median(r.ratios), ms(median(beforeCPU)), ms(median(oursCPU)), spread(cpus))
	}
}

// spread is the median of xs and their range, as "1.00× (0.90–1.10)".
func spread(xs []float64) string {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", median(xs), lo, hi)
}
