package postgres

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

func TestData(t *testing.T) {
	e := newEnv(t)
	s := &model.Schema{
		Profile: []model.Attribute{str("Name", 20), str("Email", 40)},
		Extensions: []model.Extension{{Name: "Phone", Type: model.MultiValued,
			Attributes: []model.Attribute{str("Number", 20), str("Kind", 10)}}},
	}
	e.bootstrap(s)
	e.exec(
		`INSERT INTO profile VALUES ('c1', 'Ann', 'a@x'), ('c2', 'Bob', 'a@x'), ('c3', NULL, 'c@x'), ('c4', 'Christopher', NULL), ('c5', 'Dan', NULL), ('c6', 'Eve', 'a@x')`,
		// c1 holds the same number twice, c2 and c3 share one; NULL kinds never collide.
		`INSERT INTO ext_phone (customer_id, number, kind) VALUES
			('c1', '1', 'home'), ('c1', '1', 'home'), ('c1', '2', NULL), ('c1', '2', NULL),
			('c2', '3', 'work'), ('c3', '3', 'work'), ('c4', NULL, NULL)`,
	)
	d := e.d.Data(e.db)
	ctx := e.ctx

	if n, err := d.Rows(ctx, "ext_phone"); err != nil || n != 7 {
		t.Errorf("Rows = %d, %v; want 7", n, err)
	}
	if n, err := d.NonNull(ctx, "profile", []string{"Email"}); err != nil || n != 4 {
		t.Errorf("NonNull = %d, %v; want 4", n, err)
	}
	if n, err := d.NonNull(ctx, "ext_phone", []string{"number", "kind"}); err != nil || n != 10 {
		t.Errorf("NonNull over two columns = %d, %v; want 6 + 4", n, err)
	}
	for _, c := range []struct {
		name string
		f    func() (plan.Finding, error)
		want plan.Finding
	}{
		{"nulls", func() (plan.Finding, error) { return d.Nulls(ctx, "profile", "email") },
			plan.Finding{Rows: 2, Customers: 2, CustomerIDs: []string{"c4", "c5"}}},
		{"no nulls", func() (plan.Finding, error) { return d.Nulls(ctx, "profile", "customer_id") },
			plan.Finding{}},
		{"duplicates across customers", func() (plan.Finding, error) { return d.Duplicates(ctx, "profile", []string{"email"}, false) },
			plan.Finding{Rows: 3, Groups: 1, Customers: 3, CustomerIDs: []string{"c1", "c2", "c6"}}},
		{"duplicates within a customer", func() (plan.Finding, error) {
			return d.Duplicates(ctx, "ext_phone", []string{"number", "kind"}, true)
		}, plan.Finding{Rows: 2, Groups: 1, Customers: 1, CustomerIDs: []string{"c1"}}},
		{"duplicates of one column within a customer", func() (plan.Finding, error) {
			return d.Duplicates(ctx, "ext_phone", []string{"number"}, true)
		}, plan.Finding{Rows: 4, Groups: 2, Customers: 1, CustomerIDs: []string{"c1"}}},
		{"duplicates across customers of an extension", func() (plan.Finding, error) {
			return d.Duplicates(ctx, "ext_phone", []string{"number", "kind"}, false)
		}, plan.Finding{Rows: 4, Groups: 2, Customers: 3, CustomerIDs: []string{"c1", "c2", "c3"}}},
		{"too long", func() (plan.Finding, error) { return d.TooLong(ctx, "profile", "name", 3) },
			plan.Finding{Rows: 1, Customers: 1, CustomerIDs: []string{"c4"}}},
		{"several records", func() (plan.Finding, error) { return d.MultiRecord(ctx, "ext_phone") },
			plan.Finding{Rows: 4, Groups: 1, Customers: 1, CustomerIDs: []string{"c1"}}},
	} {
		got, err := c.f()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}

	// At most five customer ids, sorted.
	e.exec(`INSERT INTO profile SELECT 'd' || i, NULL, NULL FROM generate_series(1, 9) i`)
	f, err := d.Nulls(ctx, "profile", "email")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c4", "c5", "d1", "d2", "d3"}; f.Rows != 11 || f.Customers != 11 || !cmp.Equal(f.CustomerIDs, want) {
		t.Errorf("many nulls: got %+v", f)
	}
}

// TestUnconvertible checks each type change's data check against the
// conversion itself: the values it counts are the ones the conversion
// rejects or alters, and once they are gone the rendered ALTER succeeds.
func TestUnconvertible(t *testing.T) {
	e := newEnv(t)
	e.bootstrap(&model.Schema{})
	d := e.d.Data(e.db)
	s := func(n int) model.Attribute { return str("v", n) }
	ty := func(t model.Type) model.Attribute { return typed("v", t) }
	for _, c := range []struct {
		from, to model.Attribute
		values   []string // SQL literals; a NULL is always added
		bad      int64
		after    string // the values after the conversion, as text, when checked
	}{
		{s(20), ty(model.Integer), []string{`'42'`, `' 7 '`, `'-3'`, `'abc'`, `'1.5'`, `'99999999999'`, `''`, `E'5\u2003'`}, 6, "-3,42"},
		{s(20), ty(model.Long), []string{`'99999999999'`, `'9223372036854775808'`, `'x'`}, 2, "99999999999"},
		{s(20), ty(model.Double), []string{`'1.5'`, `'1e10'`, `'.5'`, `'NaN'`, `'abc'`, `'9007199254740993'`, `'1e-400'`, `'1e400'`, `'1e99999'`, `'0.1'`}, 6, "0.1,0.5,1.5,10000000000"},
		{s(20), ty(model.Currency), []string{`'12.3456'`, `'12.34567'`, `'1e3'`, `'1234567890123456'`, `'-0.5'`}, 3, "-0.5000,12.3456"},
		{s(20), ty(model.Boolean), []string{`'true'`, `'YES'`, `'off'`, `'1'`, `'maybe'`, `'2'`, `'FALSE'`}, 4, "false,true,true"},
		{s(20), ty(model.Date), []string{`'2020-02-29'`, `'2021-02-29'`, `'2020-13-01'`, `'0000-01-01'`, `'20200101'`, `'2020-01-01x'`}, 5, "2020-02-29"},
		{s(40), ty(model.DateTime), []string{`'2020-01-01T02:03:04Z'`, `'2020-01-01 02:03:04.123'`, `'2020-01-01T02:03:04+00:00'`,
			`'2020-01-01T02:03:04+01:00'`, `'2020-02-30T00:00:00Z'`, `'2020-01-01T24:00:00Z'`}, 3, "2020-01-01 02:03:04+00,2020-01-01 02:03:04+00,2020-01-01 02:03:04.123+00"},
		{ty(model.Integer), s(3), []string{`1`, `123`, `1234`, `-12`, `-123`}, 2, "-12,1,123"},
		{ty(model.Integer), ty(model.Boolean), []string{`0`, `1`, `2`}, 1, "false,true"},
		{ty(model.Long), ty(model.Integer), []string{`1`, `3000000000`, `-3000000000`}, 2, "1"},
		{ty(model.Long), ty(model.Double), []string{`9007199254740993`, `5`, `-9223372036854775808`, `-9007199254740992`}, 2, "-9.007199254740992e+15,5"},
		{ty(model.Long), ty(model.Currency), []string{`-9223372036854775808`}, 1, ""},
		{ty(model.Long), ty(model.Currency), []string{`999999999999999`, `1000000000000000`}, 1, "999999999999999.0000"},
		{ty(model.Double), ty(model.Integer), []string{`1.0`, `1.5`, `1e10`, `'NaN'`, `'Infinity'`}, 4, "1"},
		{ty(model.Double), ty(model.Currency), []string{`0.1`, `0.12345`, `1e20`, `0.30000000000000004`, `123456789012345.67`, `'NaN'`, `5`}, 4, "0.1000,123456789012345.6700,5.0000"},
		{ty(model.Currency), ty(model.Integer), []string{`12.0000`, `12.5`}, 1, "12"},
		{ty(model.Currency), ty(model.Double), []string{`0.1`, `12.3456`}, 0, "0.1,12.3456"},
		{ty(model.Currency), ty(model.Boolean), []string{`0`, `1`, `0.5`}, 1, "false,true"},
		{ty(model.Boolean), ty(model.Integer), []string{`true`, `false`}, 0, "0,1"},
		{ty(model.Boolean), ty(model.Long), []string{`true`}, 0, "1"},
		{ty(model.Boolean), s(4), []string{`true`, `false`}, 1, "true"},
		{ty(model.Date), ty(model.DateTime), []string{`'2020-01-01'`}, 0, "2020-01-01 00:00:00+00"},
		{ty(model.DateTime), ty(model.Date), []string{`'2020-01-01T00:00:00Z'`, `'2020-01-01T00:00:01Z'`}, 1, "2020-01-01"},
		{ty(model.DateTime), s(27), []string{`'2020-01-01T00:00:00.5Z'`, `'2020-01-01T00:00:00.123456Z'`}, 0, "2020-01-01T00:00:00.123456Z,2020-01-01T00:00:00.500Z"},
		{ty(model.Currency), s(30), []string{`12.5`, `0`, `-999999999999999.9999`}, 0, "-999999999999999.9999,0,12.5"},
		{ty(model.DateTime), s(10), []string{`'2020-01-01T00:00:00Z'`}, 1, ""},
		{ty(model.Date), ty(model.Integer), []string{`'2020-01-01'`}, 1, ""},
		{ty(model.Date), s(10), []string{`'2020-01-01'`, `'infinity'`, `'0044-03-15 BC'`}, 2, "2020-01-01"},
		{ty(model.DateTime), s(30), []string{`'2020-01-01T00:00:00Z'`, `'-infinity'`}, 1, "2020-01-01T00:00:00.000Z"},
		{ty(model.Double), s(30), []string{`1e20`, `0.1`}, 0, "0.1,1e+20"},
		{s(10), s(3), []string{`'abcd'`, `'ab'`}, 1, "ab"},
		{ty(model.Integer), ty(model.Long), []string{`2147483647`}, 0, "2147483647"},
	} {
		name := fmt.Sprintf("%s(%d) to %s(%d)", c.from.Type, c.from.Length, c.to.Type, c.to.Length)
		t.Run(name, func(t *testing.T) {
			e.exec(`DROP TABLE IF EXISTS ext_conv`,
				`CREATE TABLE ext_conv (customer_id varchar(16), v `+columnType(c.from)+`)`,
				`INSERT INTO ext_conv VALUES ('n', NULL)`)
			for i, v := range c.values {
				e.exec(fmt.Sprintf(`INSERT INTO ext_conv VALUES ('c%d', %s)`, i, v))
			}
			f, err := d.Unconvertible(e.ctx, "ext_conv", "v", c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			if f.Rows != c.bad || f.Customers != c.bad || int64(len(f.CustomerIDs)) != min(c.bad, 5) {
				t.Fatalf("got %+v, want %d bad values", f, c.bad)
			}
			if bad := badValue(`"v"`, c.from, c.to); bad != "" {
				e.exec(`DELETE FROM ext_conv WHERE "v" IS NOT NULL AND (` + bad + `)`)
			}
			p := &plan.Plan{Rows: map[string]int64{"ext_conv": 1}}
			r, err := e.d.Render(p, plan.Step{Change: plan.UpdateAttribute{Extension: "conv", From: c.from, To: c.to}})
			if err != nil {
				t.Fatal(err)
			}
			e.exec(r.SQL...)
			var got string
			if err := e.db.GetContext(e.ctx, &got, `SELECT coalesce(string_agg(v::text, ',' ORDER BY v::text), '') FROM ext_conv`); err != nil {
				t.Fatal(err)
			}
			if got != c.after {
				t.Errorf("values after the conversion: got %q, want %q", got, c.after)
			}
			if n := e.count(`SELECT count(*) FROM ext_conv`); n != int64(len(c.values))+1-c.bad {
				t.Errorf("%d rows after the conversion", n)
			}
		})
	}
}
