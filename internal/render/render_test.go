package render

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	sqliteURL   = "sqlite://ctxschema.db"
	postgresURL = "postgres://app:xxxxx@db.example:5432/crm?sslmode=disable"
)

// goldenCase is one plan rendered with one set of options.
type goldenCase struct {
	name    string
	plan    func() *plan.Plan
	opts    Options
	refusal plan.RefusalReason // "": none
	formats []Format           // nil: every format
}

var goldenCases = []goldenCase{
	{name: "empty", plan: emptyPlan, opts: Options{Database: sqliteURL, Dialect: "sqlite"}},
	{name: "empty-unmanaged", plan: func() *plan.Plan {
		p := emptyPlan()
		p.Unmanaged = mixedPlan().Unmanaged
		return p
	}, opts: Options{Database: sqliteURL, Dialect: "sqlite"}, formats: []Format{Text, Markdown}},
	{name: "create", plan: createPlan, opts: Options{Database: sqliteURL, Dialect: "sqlite"}},
	{name: "mixed", plan: mixedPlan, opts: Options{Database: postgresURL, Dialect: "postgres"}},
	{name: "mixed-verbose", plan: mixedPlan, opts: Options{Database: postgresURL, Dialect: "postgres", Verbose: true}, formats: []Format{Text}},
	{name: "mixed-color", plan: mixedPlan, opts: Options{Database: postgresURL, Dialect: "postgres", Color: true}, formats: []Format{Text}},
	{name: "create-verbose", plan: createPlan, opts: Options{Database: sqliteURL, Dialect: "sqlite", Verbose: true}, formats: []Format{Text}},
	{name: "offline", plan: offlinePlan},
	{name: "offline-empty", plan: func() *plan.Plan { return &plan.Plan{} }, formats: []Format{Text, SQL}},
	{name: "refused-production", plan: productionPlan, opts: Options{Database: sqliteURL, Dialect: "sqlite"}, refusal: plan.RefusedProduction},
	{name: "refused-destructive", plan: destructivePlan, opts: Options{Database: postgresURL, Dialect: "postgres"}, refusal: plan.RefusedDestructive},
	{name: "refused-data-check", plan: dataCheckPlan, opts: Options{Database: postgresURL, Dialect: "postgres"}, refusal: plan.RefusedDataCheck},
	{name: "refused-stale-plan", plan: createPlan, opts: Options{Database: sqliteURL, Dialect: "sqlite"}, refusal: plan.RefusedStalePlan},
}

var extensions = map[Format]string{Text: ".txt", JSON: ".json", Markdown: ".md", SQL: ".sql"}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		formats := c.formats
		if formats == nil {
			formats = Formats()
		}
		for _, f := range formats {
			name := c.name + extensions[f]
			t.Run(name, func(t *testing.T) {
				o := c.opts
				o.Format = f
				o.Refusal = refusalOf(c.plan(), c.refusal)
				var buf bytes.Buffer
				if err := Plan(&buf, c.plan(), o); err != nil {
					t.Fatalf("Plan: %v", err)
				}
				got := buf.String()
				checkGolden(t, filepath.Join("testdata", name), got)
				checkLines(t, got)

				// Rendering is deterministic.
				var again bytes.Buffer
				if err := Plan(&again, c.plan(), o); err != nil {
					t.Fatal(err)
				}
				if again.String() != got {
					t.Errorf("second rendering differs from the first")
				}
			})
		}
	}
}

// refusalOf is the refusal of p for reason, as apply.Refuse makes it, or
// nil for no reason.
func refusalOf(p *plan.Plan, reason plan.RefusalReason) *plan.Refusal {
	switch reason {
	case "":
		return nil
	case plan.RefusedDataCheck:
		return &plan.Refusal{Reason: reason, Steps: p.Blocked()}
	case plan.RefusedDestructive:
		return &plan.Refusal{Reason: reason, Steps: p.Destructive()}
	case plan.RefusedStalePlan:
		return &plan.Refusal{Reason: reason, Moved: "the catalog (another apply ran)"}
	}
	return &plan.Refusal{Reason: reason}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got), review and run with -update:\n%s", path, diff)
	}
}

// checkLines checks what every view promises: a trailing newline and no
// trailing spaces.
func checkLines(t *testing.T, out string) {
	t.Helper()
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("output does not end with a newline")
	}
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.TrimRight(l, " \t") != l {
			t.Errorf("line %d has trailing spaces: %q", i+1, l)
		}
	}
}

func TestNoColorNoEscapes(t *testing.T) {
	for _, c := range goldenCases {
		for _, f := range Formats() {
			o := c.opts
			o.Format, o.Color = f, false
			var buf bytes.Buffer
			if err := Plan(&buf, c.plan(), o); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "\x1b") {
				t.Errorf("%s %s: ANSI escape without Color", c.name, f)
			}
		}
	}
	// With colour, the text view does colour.
	var buf bytes.Buffer
	if err := Plan(&buf, mixedPlan(), Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\x1b[") {
		t.Errorf("Color: no ANSI escape in the text view")
	}
}

func TestPlanErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Plan(&buf, mixedPlan(), Options{Format: "html"}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown format: err = %v", err)
	}
	if err := Plan(&buf, nil, Options{}); err == nil {
		t.Errorf("nil plan: no error")
	}
	if err := Plan(&buf, &plan.Plan{Steps: []plan.Step{{}}}, Options{}); err == nil {
		t.Errorf("step without change: no error")
	}
	if buf.Len() != 0 {
		t.Errorf("output written on error: %q", buf.String())
	}
	// A failing writer's error comes back.
	werr := errors.New("disk full")
	if err := Plan(failWriter{werr}, mixedPlan(), Options{}); !errors.Is(err, werr) {
		t.Errorf("write error = %v, want %v", err, werr)
	}
	// The zero format is text.
	if err := Plan(&buf, emptyPlan(), Options{Database: sqliteURL}); err != nil || !strings.HasPrefix(buf.String(), "No changes.") {
		t.Errorf("zero format: %q, %v", buf.String(), err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 1204: "1,204", 12000: "12,000",
		1234567: "1,234,567", -1204: "-1,204", -100: "-100",
	} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestHostileData checks that data read from a database cannot break the
// layout, reach the terminal as control characters or start a line of its
// own (a GitHub Actions workflow command) in any view.
func TestHostileData(t *testing.T) {
	p := &plan.Plan{
		Steps: []plan.Step{{
			Change: plan.DeleteKey{Key: idEmail},
			Hazards: []plan.Hazard{{
				Kind: plan.DataCheck, Message: "two\nlines", Customers: 7,
				CustomerIDs: []string{"ok1", "with space", "esc\x1b[31m", "a,b", ""},
			}},
		}},
		Unmanaged: []plan.Drift{
			{Kind: plan.UnmanagedTable, Table: "evil\x1b]0;title\x07"},
			{Kind: plan.ExtraColumn, Table: "profile", Name: "x\n::error::column", Got: "TEXT DEFAULT 'a\n::warning::b\u009b'"},
		},
	}
	// SQL carried over from a live database: a line break inside a literal.
	p.Steps[0].SQL = []string{"ALTER TABLE \"profile\" ALTER COLUMN \"x\"\n  SET DEFAULT 'a\x1b[2Jb\n::warning title=x::pwned'"}
	p.Steps[0].After = []string{"CREATE INDEX \"ik\" ON \"profile\" (\"x\") WHERE \"x\" <> '\n::error::y'"}
	refusal := &plan.Refusal{Reason: plan.RefusedStalePlan, Moved: "the\n::error::z \x1b[1m"}
	for _, f := range Formats() {
		var buf bytes.Buffer
		if err := Plan(&buf, p, Options{Format: f, Verbose: true, Refusal: refusal}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if i := strings.IndexFunc(out, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }); i >= 0 {
			t.Errorf("%s: control character %q reached the output:\n%q", f, out[i], out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "::") {
				t.Errorf("%s: a line starts a workflow command: %q", f, l)
			}
		}
		if f != Text {
			continue
		}
		for _, want := range []string{
			`two\nlines (7 customers, e.g. ok1, "with space", "esc\x1b[31m", "a,b", "", …)`,
			`unmanaged (never touched): table evil\x1b]0;title\a`,
			`  SET DEFAULT 'a\x1b[2Jb\n::warning title=x::pwned';`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	}
}
