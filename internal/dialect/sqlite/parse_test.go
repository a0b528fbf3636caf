package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// parseByTokens is parseCreateTable as it was before tableParser: every
// statement tokenized whole, nothing remembered. tableParser must give
// what it gives.
func parseByTokens(sql string) map[string]*columnConstraints {
	out := map[string]*columnConstraints{}
	ts := tokenize(sql)
	start := -1
	for i, t := range ts {
		if t.punct("(") {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return out
	}
	for _, def := range splitTop(ts[start:]) {
		if len(def) == 0 {
			continue
		}
		first := def[0]
		if first.kind == tokWord && (first.is("CONSTRAINT") || first.is("PRIMARY") || first.is("UNIQUE") || first.is("CHECK") || first.is("FOREIGN")) {
			for _, chk := range checks(def) {
				if col, ok := singleColumn(chk); ok {
					if cc := out[col]; cc != nil {
						cc.Checks = append(cc.Checks, canonExpr(chk))
					}
				}
			}
			continue
		}
		cc := &columnConstraints{}
		out[strings.ToLower(first.text)] = cc
		if len(def) > 1 {
			cc.Raw = sql[def[1].pos:def[len(def)-1].end]
		}
		if expr, kind, ok := generated(def); ok {
			cc.Generated = "GENERATED ALWAYS AS (" + canonExpr(expr) + ") " + kind
		}
		for _, chk := range checks(def) {
			cc.Checks = append(cc.Checks, canonExpr(chk))
		}
		depth := 0
		for i, t := range def {
			switch {
			case t.punct("("):
				depth++
			case t.punct(")"):
				depth--
			case depth == 0 && t.is("COLLATE") && i+1 < len(def):
				cc.Collate = strings.ToUpper(def[i+1].text)
			case depth == 0 && t.is("UNIQUE"):
				cc.Unique = true
			}
		}
	}
	return out
}

// tableStatements are CREATE TABLE statements that share column
// definitions, differ in one place, or hide commas, parentheses and quotes
// where splitColumnList must not see them.
var tableStatements = []string{
	`CREATE TABLE "t1" ("customer_id" TEXT NOT NULL CHECK (length("customer_id") <= 16), "code" TEXT CHECK (length("code") <= 27), "n" INTEGER DEFAULT 0)`,
	`CREATE TABLE "t2" ("customer_id" TEXT NOT NULL CHECK (length("customer_id") <= 16), "code" TEXT CHECK (length("code") <= 28), "n" INTEGER DEFAULT 0)`,
	`CREATE TABLE "t3" ("customer_id" TEXT NOT NULL CHECK (length("customer_id") <= 16),"code"   TEXT CHECK (length("code") <= 27)  ,
	  "n" INTEGER DEFAULT 0, CHECK ("code" <> 'x'), CONSTRAINT c CHECK (n > 0))`,
	`CREATE TABLE "t4" ("code" TEXT CHECK (length("code") <= 27), CHECK (length(code) > 1), "n" INTEGER DEFAULT 0 CHECK (n IN (0, 1)))`,
	`CREATE TABLE t5 (a TEXT DEFAULT 'x,y)' CHECK (a <> '(,'), "b,(" INTEGER, ` + "`c``)`" + ` REAL, d TEXT COLLATE nocase UNIQUE)`,
	`CREATE TABLE t6 (a TEXT -- a comment, with a comma (
	, b INTEGER /* another, ( */ CHECK (b > 0))`,
	`CREATE TABLE t7 ([a,b] TEXT, c INTEGER)`,
	`CREATE TABLE t8 (a INTEGER, g INTEGER GENERATED ALWAYS AS (a * 2) STORED, h AS (a || ',') VIRTUAL)`,
	`CREATE TABLE t9 (a TEXT, b X'00' , c 1e-3)`,
	`CREATE TABLE t10 (a TEXT, b INTEGER CHECK (b > 1e--3), c TEXT)`,
	`CREATE TABLE t11 (a TEXT, b TEXT CHECK (b <> 'unclosed`,
	`CREATE TABLE "t12(" ("a" TEXT, ) WITHOUT ROWID`,
	`CREATE TABLE t13 (a TEXT,, b TEXT,` + "\v" + ` c TEXT)`,
	`CREATE TABLE t14 AS SELECT 1`,
	`CREATE TABLE t15`,
	`CREATE TABLE t16 (a TEXT, b TEXT, CHECK (a <> b), CHECK (a <> 'x'))`,
	`CREATE TABLE t17 (a TEXT, b TEXT, CHECK (a <> 'y'))`,
	`CREATE TABLE t18 (a TEXT, "b `,
	`(" `,
}

func TestTableParserMatchesTokens(t *testing.T) {
	// One parser for every statement, in both orders, so that remembered
	// definitions meet statements where they are spelled alike and where
	// they differ.
	for _, order := range []string{"forward", "backward"} {
		var p tableParser
		for i := range tableStatements {
			sql := tableStatements[i]
			if order == "backward" {
				sql = tableStatements[len(tableStatements)-1-i]
			}
			if diff := cmp.Diff(parseByTokens(sql), p.parse(sql)); diff != "" {
				t.Errorf("%s: %s (-tokens +parser):\n%s", order, sql, diff)
			}
		}
	}
}

// TestTokenizeOpenBracket checks a [bracketed] identifier left open: it
// runs to the end of the text (it lost its last character, and one
// opened at the very end made tokenize panic).
func TestTokenizeOpenBracket(t *testing.T) {
	for s, want := range map[string]string{"0[": "", "x [abc": "abc", "[a] [b": "b"} {
		ts := tokenize(s)
		last := ts[len(ts)-1]
		if last.kind != tokIdent || last.text != want || last.end != len(s) {
			t.Errorf("tokenize(%q) ends with %+v; want identifier %q ending at %d", s, last, want, len(s))
		}
	}
}

// TestSplitColumnList checks which statements are split without tokens:
// a comment or a bracketed identifier sends the statement to the tokens.
func TestSplitColumnList(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want []string
		ok   bool
	}{
		{`CREATE TABLE "t(" ( "a" TEXT ,b INTEGER CHECK (b IN (0, 1)) , ) WITHOUT ROWID`, []string{`"a" TEXT`, `b INTEGER CHECK (b IN (0, 1))`}, true},
		{`CREATE TABLE t (a TEXT DEFAULT 'x,)', "b,)" INT)`, []string{`a TEXT DEFAULT 'x,)'`, `"b,)" INT`}, true},
		{"CREATE TABLE t (a TEXT -- x\n)", nil, false},
		{`CREATE TABLE t (a /* x */ TEXT)`, nil, false},
		{`CREATE TABLE t ([a] TEXT)`, nil, false},
		{`CREATE TABLE t AS SELECT 1`, nil, false},
		{`CREATE TABLE t (a TEXT, "b `, nil, false},
		{`CREATE TABLE t (a TEXT DEFAULT '--', b TEXT DEFAULT '[')`, []string{`a TEXT DEFAULT '--'`, `b TEXT DEFAULT '['`}, true},
	} {
		got, ok := splitColumnList(c.sql)
		if ok != c.ok || !cmp.Equal(got, c.want) {
			t.Errorf("splitColumnList(%q) = %q, %v; want %q, %v", c.sql, got, ok, c.want, c.ok)
		}
	}
}

// TestTableParserLeavesRemembered checks that a table-level CHECK, added
// to a column in one statement, is not added to the same column
// definition in the next.
func TestTableParserLeavesRemembered(t *testing.T) {
	var p tableParser
	p.parse(`CREATE TABLE a (x TEXT CHECK (x <> ''), CHECK (x <> 'y'))`)
	got := p.parse(`CREATE TABLE b (x TEXT CHECK (x <> ''))`)
	if want := []string{`"x" <> ''`}; !cmp.Equal(got["x"].Checks, want) {
		t.Errorf("checks of b.x = %q; want %q", got["x"].Checks, want)
	}
}

// FuzzTableParser compares tableParser with parseByTokens on two
// statements parsed in a row by one parser:
//
//	go test ./internal/dialect/sqlite -run '^$' -fuzz FuzzTableParser -fuzztime 1m
func FuzzTableParser(f *testing.F) {
	for i, s := range tableStatements {
		f.Add(s, tableStatements[(i+1)%len(tableStatements)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var p tableParser
		for _, sql := range []string{a, b, a} {
			if diff := cmp.Diff(parseByTokens(sql), p.parse(sql)); diff != "" {
				t.Fatalf("%q (-tokens +parser):\n%s", sql, diff)
			}
		}
	})
}

// expectedByColumns is Expected as it was before expecter remembered
// column definitions: each table's columns made and normalised anew.
func expectedByColumns(s *model.Schema) plan.Physical {
	var p plan.Physical
	for _, t := range s.Tables() {
		pt := plan.PhysicalTable{Name: t.Name}
		for _, c := range columnsOf(t) {
			pt.Columns = append(pt.Columns, plan.PhysicalColumn{Name: c.name, Definition: c.info(canonCheck).definition()})
		}
		for _, ix := range indexesOf(t) {
			pt.Indexes = append(pt.Indexes, plan.PhysicalIndex{Name: ix.name, Definition: ix.definition(), Valid: true})
		}
		p.Tables = append(p.Tables, pt)
	}
	for _, pt := range p.Tables {
		sortColumns(pt.Columns)
	}
	sortTables(p.Tables)
	return p
}

func sortColumns(cs []plan.PhysicalColumn) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Name < cs[j-1].Name; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func sortTables(ts []plan.PhysicalTable) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Name < ts[j-1].Name; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// TestExpectedRemembered checks Expected against expectedByColumns on
// extensions whose attributes share names but differ in everything else
// that makes a column, single- and multi-valued.
func TestExpectedRemembered(t *testing.T) {
	s := contactCenter()
	types := []model.Type{model.String, model.Integer, model.Long, model.Double, model.Boolean, model.Currency, model.Date, model.DateTime}
	defaults := map[model.Type][]*string{
		model.String:   {nil, ptr("x"), ptr("a\nb"), ptr("")},
		model.Integer:  {nil, ptr("0"), ptr("-3")},
		model.Long:     {nil, ptr("7")},
		model.Double:   {nil, ptr("0.5")},
		model.Boolean:  {nil, ptr("true"), ptr("false")},
		model.Currency: {nil, ptr("12.5")},
		model.Date:     {nil, ptr("2020-01-02")},
		model.DateTime: {nil, ptr("2020-01-02T03:04:05.000Z")},
	}
	n := 0
	for _, typ := range types {
		for _, d := range defaults[typ] {
			for _, length := range []int{0, 10} {
				if length > 0 && typ != model.String {
					continue
				}
				for _, mandatory := range []bool{false, true} {
					for _, kind := range []model.ExtensionType{model.SingleValued, model.MultiValued} {
						n++
						s.Extensions = append(s.Extensions, model.Extension{
							Name: fmt.Sprintf("X%03d", n), Type: kind,
							Attributes: []model.Attribute{
								{Name: "Same", Type: typ, Length: length, Default: d, Mandatory: mandatory},
								{Name: "same2", Type: typ, Length: length, Default: d, Mandatory: !mandatory},
							},
						})
					}
				}
			}
		}
	}
	s.Sort()
	if diff := cmp.Diff(expectedByColumns(s), New().Expected(s)); diff != "" {
		t.Errorf("Expected differs from the columns made anew (-want +got):\n%s", diff)
	}
}

// TestInspectDriftAmongAlike edits by hand one of several tables whose
// column definitions are spelled alike, so that what the parser remembers
// from the others must not hide the edit; and a second one in a way (a
// comment) that its statement is read by the tokens.
func TestInspectDriftAmongAlike(t *testing.T) {
	db, _ := openTemp(t)
	s := &model.Schema{Profile: []model.Attribute{str("Name", 64)}}
	for i := range 4 {
		s.Extensions = append(s.Extensions, model.Extension{
			Name: fmt.Sprintf("E%d", i), Type: model.MultiValued,
			Attributes: []model.Attribute{str("Code", 20), {Name: "Amount", Type: model.Currency}},
		})
	}
	s.Sort()
	apply(t, db, nil, s, createSteps(s)...)
	// E1: the code's CHECK allows 21 characters; E2: a comment, and a
	// table-level CHECK on the code.
	for _, c := range []struct{ table, code, tail string }{
		{"ext_e1", `"code" TEXT CHECK (length("code") <= 21)`, ""},
		{"ext_e2", `"code" TEXT CHECK (length("code") <= 20) /* edited */`, `, CHECK ("code" <> '')`},
	} {
		mustExec(t, db, `PRAGMA foreign_keys = OFF`)
		mustExec(t, db, `ALTER TABLE "`+c.table+`" RENAME TO "old"`)
		mustExec(t, db, `CREATE TABLE "`+c.table+`" ("customer_id" TEXT NOT NULL CHECK (length("customer_id") <= 16) REFERENCES "profile" ("customer_id") ON DELETE CASCADE, "record_id" INTEGER PRIMARY KEY, `+
			c.code+`, "amount" TEXT CHECK (`+currencyCheck("amount")+`)`+c.tail+`)`)
		mustExec(t, db, `DROP TABLE "old"`)
	}
	st, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, tb := range st.Physical.Tables {
		for _, c := range tb.Columns {
			if c.Name == "code" {
				codes[tb.Name] = c.Definition
			}
		}
	}
	want := map[string]string{
		"ext_e0": `TEXT CHECK (length("code") <= 20)`,
		"ext_e1": `TEXT CHECK (length("code") <= 21)`,
		"ext_e2": `TEXT CHECK (length("code") <= 20) CHECK ("code" <> '')`,
		"ext_e3": `TEXT CHECK (length("code") <= 20)`,
	}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("code columns (-want +got):\n%s", diff)
	}
	p, err := plan.Build(context.Background(), st, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	drifted := map[string]bool{}
	for _, step := range p.Steps {
		if r, ok := step.Change.(plan.RepairTable); ok {
			drifted[r.Table.Name] = true
		}
	}
	if want := map[string]bool{"ext_e1": true, "ext_e2": true}; !cmp.Equal(want, drifted) {
		t.Errorf("tables repaired: %v; want ext_e1 and ext_e2 only", drifted)
	}
}

// TestNormDefaultInteger checks normDefault's shortcut for integers
// against its general case: a leading + sends the text through the
// regular expression.
func TestNormDefaultInteger(t *testing.T) {
	for _, s := range []string{"0", "7", "10", "123456789012345678901234567890", "00", "007", "0x1F", "1e3"} {
		if got, want := normDefault(s), normDefault("+"+s); got != want {
			t.Errorf("normDefault(%q) = %q; want %q", s, got, want)
		}
	}
}

// TestIndexDefinition checks index.definition against indexDefinition of
// the quoted columns.
func TestIndexDefinition(t *testing.T) {
	for _, ix := range []index{
		{columns: []string{"a"}},
		{unique: true, columns: []string{"customer_id", `we"ird`, "b"}},
		{unique: true},
	} {
		q := make([]string, len(ix.columns))
		for i, c := range ix.columns {
			q[i] = quoteIdent(c)
		}
		if got, want := ix.definition(), indexDefinition(ix.unique, q, ""); got != want {
			t.Errorf("definition of %+v = %q; want %q", ix, got, want)
		}
	}
}

// TestColumnDefinition checks columnInfo.definition against its parts
// joined by spaces, as it was written before.
func TestColumnDefinition(t *testing.T) {
	for _, ci := range []columnInfo{
		{},
		{PK: true},
		{Type: "integer", PK: true, NotNull: true, Default: "0"},
		{Type: "TEXT", Default: "'x'", Generated: `GENERATED ALWAYS AS ("a") STORED`, Collate: "NOCASE", Unique: true,
			Checks: []string{`"a" <> ''`, `length("a") <= 3`}, Refs: []string{`REFERENCES "p" ("c")`, `REFERENCES "q"`}},
		{Type: "TEXT", Default: "datetime('now')", Collate: "BINARY"},
	} {
		parts := []string{strings.ToUpper(ci.Type)}
		if ci.PK {
			parts = append(parts, "PRIMARY KEY")
		}
		if ci.NotNull {
			parts = append(parts, "NOT NULL")
		}
		if ci.Default != "" {
			parts = append(parts, "DEFAULT "+defaultSQL(ci.Default))
		}
		if ci.Generated != "" {
			parts = append(parts, ci.Generated)
		}
		if ci.Collate != "" && ci.Collate != "BINARY" {
			parts = append(parts, "COLLATE "+ci.Collate)
		}
		if ci.Unique {
			parts = append(parts, "UNIQUE")
		}
		for _, c := range ci.Checks {
			parts = append(parts, "CHECK ("+c+")")
		}
		parts = append(parts, ci.Refs...)
		if got, want := ci.definition(), strings.Join(parts, " "); got != want {
			t.Errorf("definition of %+v = %q; want %q", ci, got, want)
		}
	}
}

// TestInspectReferencesAndCollations reads what the inspection queries
// leave out when it is the default (ON UPDATE NO ACTION, an index
// column's BINARY collation) next to what they must keep.
func TestInspectReferencesAndCollations(t *testing.T) {
	db, _ := openTemp(t)
	s := contactCenter()
	apply(t, db, nil, s, createSteps(s)...)
	mustExec(t, db, `CREATE TABLE refs (a TEXT REFERENCES profile (customer_id) ON UPDATE CASCADE,
		b TEXT REFERENCES profile (customer_id) ON DELETE SET NULL ON UPDATE NO ACTION, c TEXT)`)
	mustExec(t, db, `CREATE INDEX refs_ab ON refs (a COLLATE BINARY, b COLLATE nocase DESC, c COLLATE rtrim)`)
	mustExec(t, db, `CREATE INDEX refs_part ON refs (c) WHERE c <> ''`)
	st, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	pt, _ := st.Physical.Table("refs")
	got := map[string]string{}
	for _, c := range pt.Columns {
		got[c.Name] = c.Definition
	}
	for _, ix := range pt.Indexes {
		got[ix.Name] = ix.Definition
	}
	want := map[string]string{
		"a":         `TEXT REFERENCES "profile" ("customer_id") ON UPDATE CASCADE`,
		"b":         `TEXT REFERENCES "profile" ("customer_id") ON DELETE SET NULL`,
		"c":         `TEXT`,
		"refs_ab":   `("a", "b" COLLATE NOCASE DESC, "c" COLLATE RTRIM)`,
		"refs_part": `("c") WHERE "c" <> ''`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
}

// TestInspectDeclaredTypes reads declared types that the columns query
// sends as numbers (INTEGER, TEXT, REAL spelled so) and as text (others,
// among them a type named 1, which must not read as INTEGER).
func TestInspectDeclaredTypes(t *testing.T) {
	db, _ := openTemp(t)
	mustExec(t, db, `CREATE TABLE types (a integer, b, c REAL, d Text, e TEXT, f INTEGER NOT NULL, g varchar(3), h "1")`)
	st, err := New().Inspect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	pt, _ := st.Physical.Table("types")
	got := map[string]string{}
	for _, c := range pt.Columns {
		got[c.Name] = c.Definition
	}
	want := map[string]string{"a": "INTEGER", "b": "", "c": "REAL", "d": "TEXT", "e": "TEXT", "f": "INTEGER NOT NULL", "g": "VARCHAR(3)", "h": "1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
	var typ declType
	if err := typ.Scan(int64(4)); err == nil {
		t.Errorf("declType.Scan(4) = nil; want an error")
	}
}
