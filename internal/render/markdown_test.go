package render

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	rhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

var (
	tableRE = regexp.MustCompile(`(?s)<table>(.*?)</table>`)
	rowRE   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE  = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	tagRE   = regexp.MustCompile(`<[^>]+>`)
)

// htmlTables renders markdown as GitHub does (GFM tables, raw HTML such as
// <br> kept) and returns the text of every cell of every table, row by row.
func htmlTables(t *testing.T, md string) [][][]string {
	t.Helper()
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(rhtml.WithUnsafe()))
	if err := gm.Convert([]byte(md), &out); err != nil {
		t.Fatalf("goldmark: %v", err)
	}
	var tables [][][]string
	for _, tm := range tableRE.FindAllStringSubmatch(out.String(), -1) {
		var rows [][]string
		for _, rm := range rowRE.FindAllStringSubmatch(tm[1], -1) {
			var cells []string
			for _, cm := range cellRE.FindAllStringSubmatch(rm[1], -1) {
				c := strings.ReplaceAll(cm[1], "<br>", "\n")
				cells = append(cells, html.UnescapeString(tagRE.ReplaceAllString(c, "")))
			}
			rows = append(rows, cells)
		}
		tables = append(tables, rows)
	}
	return tables
}

func markdownOf(t *testing.T, p *plan.Plan, o Options) string {
	t.Helper()
	o.Format = Markdown
	var buf bytes.Buffer
	if err := Plan(&buf, p, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestMarkdownTablesParse checks that every table of the markdown view
// parses as a GFM table with the four columns, one row per step of its
// group, and the cells holding exactly the plan's text.
func TestMarkdownTablesParse(t *testing.T) {
	p := mixedPlan()
	tables := htmlTables(t, markdownOf(t, p, Options{Database: postgresURL, Dialect: "postgres"}))

	var groups [3][]plan.Step
	for _, s := range p.Steps {
		switch riskOf(s) {
		case riskBlocked:
			groups[0] = append(groups[0], s)
		case riskDestructive:
			groups[1] = append(groups[1], s)
		default:
			groups[2] = append(groups[2], s)
		}
	}
	if len(tables) != len(groups) {
		t.Fatalf("%d tables, want %d (one per risk group)", len(tables), len(groups))
	}
	header := []string{"Action", "Object", "Details", "Hazards"}
	for g, rows := range tables {
		if diff := cmp.Diff(header, rows[0]); diff != "" {
			t.Errorf("table %d header (-want +got):\n%s", g, diff)
		}
		if len(rows)-1 != len(groups[g]) {
			t.Fatalf("table %d has %d rows, want %d", g, len(rows)-1, len(groups[g]))
		}
		for i, s := range groups[g] {
			a, obj := s.Change.Action(), s.Change.Object()
			var hz []string
			for _, h := range s.Hazards {
				hz = append(hz, hazardSymbol(h.Kind)+" "+hazardText(h))
			}
			want := []string{
				a.Symbol() + " " + a.String(),
				string(obj.Kind) + " " + obj.Name,
				s.Change.Describe(),
				strings.Join(hz, "\n"),
			}
			if diff := cmp.Diff(want, rows[i+1]); diff != "" {
				t.Errorf("table %d row %d (-want +got):\n%s", g, i+1, diff)
			}
		}
	}
}

// TestMarkdownEscapes feeds the markdown view text that would break a table
// or turn into markup, and checks that the cells come back as written.
func TestMarkdownEscapes(t *testing.T) {
	nasty := "a|b *bold* _em_ `code` [link](x) <b>html</b> ~~del~~ $x$ &amp; \\ end"
	p := &plan.Plan{Steps: []plan.Step{
		{
			Change: plan.AddAttribute{Extension: "Phone", Attribute: withDefault(attr("note", model.String, 200), nasty)},
			Hazards: []plan.Hazard{
				{Kind: plan.Blocking, Message: "first line\nsecond | line", Rows: 1204},
			},
		},
		{
			// A name with a pipe and backticks, as a drift could report.
			Change: plan.RepairTable{Table: model.Table{Name: "odd|`name`"}, Drift: []plan.Drift{{Kind: plan.MissingTable, Table: "odd|`name`"}}},
		},
	}}
	tables := htmlTables(t, markdownOf(t, p, Options{}))
	if len(tables) != 1 || len(tables[0]) != 3 {
		t.Fatalf("want one table of a header and 2 rows, got %q", tables)
	}
	want := [][]string{
		{"+ create", "extension attribute Phone.note", p.Steps[0].Change.Describe(), "~ blocking: first line\nsecond | line (1,204 rows)"},
		{"! repair", "drift odd|`name`", "missing table odd|`name`", ""},
	}
	if diff := cmp.Diff(want, tables[0][1:]); diff != "" {
		t.Errorf("cells (-want +got):\n%s", diff)
	}
}

func TestMarkdownEmpty(t *testing.T) {
	md := markdownOf(t, emptyPlan(), Options{Database: sqliteURL, Dialect: "sqlite"})
	if md != "No changes. The database matches the schema files.\n" {
		t.Errorf("empty plan: %q", md)
	}
}

// TestMarkdownLongSQL checks that SQL too long for a pull-request comment
// is left out with a note, and the tables kept.
func TestMarkdownLongSQL(t *testing.T) {
	p := createPlan()
	long := "-- " + strings.Repeat("x", markdownSQLBudget) + "\nSELECT 1"
	p.Steps[0].SQL = append(p.Steps[0].SQL, long)
	md := markdownOf(t, p, Options{Dialect: "sqlite"})
	if len(md) > markdownSQLBudget {
		t.Errorf("markdown is %d bytes, over %d", len(md), markdownSQLBudget)
	}
	if !strings.Contains(md, "The SQL (6 statements) is left out") || strings.Contains(md, "<details>") {
		t.Errorf("long SQL not left out:\n%s", md)
	}
	if len(htmlTables(t, md)) != 1 {
		t.Errorf("tables lost")
	}
}
