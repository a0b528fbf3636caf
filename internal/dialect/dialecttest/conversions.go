package dialecttest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Conversions is the matrix of type changes (every type to every other,
// and strings to a shorter length) over stored values. A conversion keeps
// every value exactly, or its data check refuses it with the counts and
// customer ids of the values it would lose; never a database error, which
// would carry the value. Every dialect converts the same values the same
// way.
type Conversions struct {
	From model.Attribute
	To   []Conversion
}

// Conversion is one target type: the stored values that convert (each to
// the value it must be afterwards) and those the data check must refuse.
// Values are SQL literals that every dialect reads as a value of the type
// (currencies and datetimes in their canonical text).
type Conversion struct {
	To     model.Attribute
	Keep   [][2]string // {stored literal, literal of the value after}
	Refuse []string
}

func conv(to model.Attribute, keep [][2]string, refuse ...string) Conversion {
	return Conversion{To: to, Keep: keep, Refuse: refuse}
}

func typed(t model.Type) model.Attribute { return model.Attribute{Type: t} }

func text(n int) model.Attribute { return model.Attribute{Type: model.String, Length: n} }

// ConversionMatrix lists the conversions from each type.
func ConversionMatrix() []Conversions {
	const (
		day      = `'2020-01-01'`
		midnight = `'2020-01-01T00:00:00.000Z'`
	)
	never := func(t model.Type, values ...string) Conversion { return conv(typed(t), nil, values...) }
	return []Conversions{
		{From: text(40), To: []Conversion{
			conv(typed(model.Integer), [][2]string{{`'42'`, `42`}, {`'-7'`, `-7`}, {`'+007'`, `7`}},
				`' 5'`, "'5\u2003'", `'1.5'`, `'abc'`, `'2147483648'`, `''`),
			conv(typed(model.Long), [][2]string{{`'-9223372036854775808'`, `-9223372036854775808`}, {`'9223372036854775807'`, `9223372036854775807`}},
				`'9223372036854775808'`, `'x'`, `'1 '`),
			conv(typed(model.Double), [][2]string{{`'0.1'`, `0.1`}, {`'1e3'`, `1000`}, {`'-2.5E-3'`, `-0.0025`}, {`'123456789012345'`, `123456789012345`}},
				`'9007199254740993'`, `'1e-400'`, `'1e400'`, `'NaN'`, `'1 '`, `'0.30000000000000004'`),
			conv(typed(model.Currency), [][2]string{{`'12.50'`, `'12.5'`}, {`'-0.00'`, `'0'`}, {`'123456789012345.6789'`, `'123456789012345.6789'`}, {`'99999999999999.9999'`, `'99999999999999.9999'`}},
				`'12.34567'`, `'1234567890123456'`, `'1e3'`, `' 1'`),
			conv(typed(model.Boolean), [][2]string{{`'true'`, `true`}, {`'FALSE'`, `false`}, {`'1'`, `true`}, {`'0'`, `false`}},
				`'yes'`, `'on'`, `'t'`, `' true'`),
			conv(typed(model.Date), [][2]string{{`'2020-02-29'`, `'2020-02-29'`}},
				`'2021-02-29'`, `'2020-01-01T00:00:00Z'`, `'20200101'`, `' 2020-01-01'`),
			conv(typed(model.DateTime), [][2]string{
				{`'2020-01-01T02:03:04Z'`, `'2020-01-01T02:03:04.000Z'`},
				{`'2020-01-01 02:03:04.5'`, `'2020-01-01T02:03:04.500Z'`},
				{`'2020-01-01T02:03:04.123+00:00'`, `'2020-01-01T02:03:04.123Z'`},
			}, `'2020-01-01T02:03:04+01:00'`, `'2020-02-30T00:00:00Z'`, `'2020-01-01T24:00:00Z'`, `'2020-01-01T00:00:00.1234567Z'`, day),
			conv(text(3), [][2]string{{`'ab'`, `'ab'`}}, `'abcd'`, `'ab  '`),
		}},
		{From: typed(model.Integer), To: []Conversion{
			conv(typed(model.Long), [][2]string{{`2147483647`, `2147483647`}}),
			conv(typed(model.Double), [][2]string{{`-2147483648`, `-2147483648`}}),
			conv(typed(model.Currency), [][2]string{{`2147483647`, `'2147483647'`}, {`-5`, `'-5'`}}),
			conv(typed(model.Boolean), [][2]string{{`0`, `false`}, {`1`, `true`}}, `2`, `-1`),
			never(model.Date, `20200101`),
			never(model.DateTime, `1`),
			conv(text(3), [][2]string{{`123`, `'123'`}, {`-12`, `'-12'`}}, `1234`),
		}},
		{From: typed(model.Long), To: []Conversion{
			conv(typed(model.Integer), [][2]string{{`5`, `5`}}, `3000000000`, `-9223372036854775808`),
			conv(typed(model.Double), [][2]string{{`9007199254740992`, `9007199254740992`}, {`5`, `5`}}, `9007199254740993`, `-9223372036854775808`),
			conv(typed(model.Currency), [][2]string{{`-999999999999999`, `'-999999999999999'`}}, `1000000000000000`, `-9223372036854775808`),
			conv(typed(model.Boolean), [][2]string{{`1`, `true`}}, `2`),
			never(model.Date, `1`),
			never(model.DateTime, `1`),
			conv(text(5), [][2]string{{`12345`, `'12345'`}}, `123456`),
		}},
		{From: typed(model.Double), To: []Conversion{
			conv(typed(model.Integer), [][2]string{{`2.0`, `2`}}, `2.5`, `1e10`, `2147483648`),
			conv(typed(model.Long), [][2]string{{`1e18`, `1000000000000000000`}}, `1e19`, `0.5`),
			conv(typed(model.Currency), [][2]string{{`0.1`, `'0.1'`}, {`5`, `'5'`}, {`123456789012345.67`, `'123456789012345.67'`}},
				`0.30000000000000004`, `0.12345`, `1e15`),
			conv(typed(model.Boolean), [][2]string{{`0`, `false`}, {`1`, `true`}}, `0.5`),
			never(model.Date, `1.5`),
			never(model.DateTime, `1.5`),
			conv(text(8), [][2]string{{`0.1`, `'0.1'`}, {`1e20`, `'1e+20'`}, {`5`, `'5'`}, {`1.5e-05`, `'1.5e-05'`}}, `123456.25`),
		}},
		{From: typed(model.Currency), To: []Conversion{
			conv(typed(model.Integer), [][2]string{{`'12'`, `12`}}, `'12.5'`, `'2147483648'`),
			conv(typed(model.Long), [][2]string{{`'999999999999999'`, `999999999999999`}}, `'0.5'`),
			conv(typed(model.Double), [][2]string{{`'0.1'`, `0.1`}, {`'12.3456'`, `12.3456`}}, `'123456789012345.6'`, `'99999999999999.9999'`),
			conv(typed(model.Boolean), [][2]string{{`'0'`, `false`}, {`'1'`, `true`}}, `'0.5'`),
			never(model.Date, `'1'`),
			never(model.DateTime, `'1'`),
			conv(text(4), [][2]string{{`'12.5'`, `'12.5'`}, {`'0'`, `'0'`}}, `'123.45'`),
		}},
		{From: typed(model.Boolean), To: []Conversion{
			conv(typed(model.Integer), [][2]string{{`true`, `1`}, {`false`, `0`}}),
			conv(typed(model.Long), [][2]string{{`true`, `1`}}),
			conv(typed(model.Double), [][2]string{{`true`, `1`}}),
			conv(typed(model.Currency), [][2]string{{`true`, `'1'`}}),
			never(model.Date, `true`),
			never(model.DateTime, `false`),
			conv(text(4), [][2]string{{`true`, `'true'`}}, `false`),
		}},
		{From: typed(model.Date), To: []Conversion{
			never(model.Integer, day),
			never(model.Long, day),
			never(model.Double, day),
			never(model.Currency, day),
			never(model.Boolean, day),
			conv(typed(model.DateTime), [][2]string{{day, midnight}}),
			conv(text(10), [][2]string{{day, day}}),
		}},
		{From: typed(model.DateTime), To: []Conversion{
			never(model.Integer, midnight),
			never(model.Long, midnight),
			never(model.Double, midnight),
			never(model.Currency, midnight),
			never(model.Boolean, midnight),
			conv(typed(model.Date), [][2]string{{midnight, day}}, `'2020-01-01T00:00:01.000Z'`),
			conv(text(24), [][2]string{{`'2020-01-01T10:00:00.500Z'`, `'2020-01-01T10:00:00.500Z'`}}),
			conv(text(10), nil, midnight),
		}},
	}
}

// column names the attribute a conversion changes.
func (c Conversion) column() string {
	n := "To" + strings.ToUpper(string(c.To.Type[:1])) + string(c.To.Type[1:])
	if c.To.Type == model.String {
		n += fmt.Sprint(c.To.Length)
	}
	return n
}

// RunConversions runs the matrix against the harness: per source type one
// database whose profile holds one attribute per target, each seeded with
// its values. The plan must refuse exactly the conversions with values to
// refuse, naming their customers; once those rows are gone, the apply must
// convert every other value to what the matrix says.
func RunConversions(t *testing.T, h Harness) {
	for _, set := range ConversionMatrix() {
		name := string(set.From.Type)
		t.Run("from "+name, func(t *testing.T) {
			t.Parallel()
			runConversions(t, h, set)
		})
	}
}

func runConversions(t *testing.T, h Harness, set Conversions) {
	ctx := context.Background()
	from, to := &model.Schema{}, &model.Schema{}
	var seed []string
	refused := map[string][]string{} // attribute => customer ids
	id := func(kind string, i, j int) string { return fmt.Sprintf("%s%d_%d", kind, i, j) }
	for i, c := range set.To {
		a := set.From
		a.Name = c.column()
		from.Profile = append(from.Profile, a)
		b := c.To
		b.Name = c.column()
		to.Profile = append(to.Profile, b)
		insert := func(cid, v string) {
			seed = append(seed, `INSERT INTO "profile" ("customer_id", "`+strings.ToLower(a.Name)+`") VALUES ('`+cid+`', `+v+`)`)
		}
		for j, k := range c.Keep {
			insert(id("k", i, j), k[0])
		}
		for j, v := range c.Refuse {
			insert(id("r", i, j), v)
			refused[a.Name] = append(refused[a.Name], id("r", i, j))
		}
	}
	tg := setup(t, h, from, seed)
	p, err := apply.Prepare(ctx, tg, to)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	blocked := map[string]plan.Hazard{}
	for _, s := range p.Blocked() {
		for _, hz := range s.Hazards {
			if hz.Kind == plan.DataCheck {
				blocked[s.Change.Object().Name] = hz
			}
		}
	}
	for _, c := range set.To {
		attr := c.column()
		hz, ok := blocked[attr]
		ids := refused[attr]
		switch {
		case len(ids) == 0 && ok:
			t.Errorf("%s to %s: refused (%s), but every value converts", set.From.Type, attr, hz.Message)
		case len(ids) > 0 && !ok:
			t.Errorf("%s to %s: not refused, but %v do not convert", set.From.Type, attr, c.Refuse)
		case ok:
			want := append([]string(nil), ids...)
			sort.Strings(want)
			if len(want) > 5 {
				want = want[:5]
			}
			if hz.Rows != int64(len(ids)) || hz.Customers != int64(len(ids)) {
				t.Errorf("%s to %s: refused %d rows of %d customers, want %d", set.From.Type, attr, hz.Rows, hz.Customers, len(ids))
			}
			if diff := cmp.Diff(want, hz.CustomerIDs); diff != "" {
				t.Errorf("%s to %s: customer ids (-want +got):\n%s", set.From.Type, attr, diff)
			}
		}
	}
	if len(blocked) > 0 {
		_, err := apply.Run(ctx, tg, to, apply.Options{LockTimeout: 10 * time.Second})
		var unsafe *apply.UnsafeError
		if !errors.As(err, &unsafe) || unsafe.Reason != apply.DataCheckFailed {
			t.Fatalf("apply = %v, want a refused data check", err)
		}
		Exec(t, tg.DB, `DELETE FROM "profile" WHERE "customer_id" LIKE 'r%'`)
	}
	if _, err := apply.Run(ctx, tg, to, apply.Options{LockTimeout: 10 * time.Second}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	Verify(t, tg, to)
	for i, c := range set.To {
		col := `"` + strings.ToLower(c.column()) + `"`
		for j, k := range c.Keep {
			var n int
			q := `SELECT count(*) FROM "profile" WHERE "customer_id" = '` + id("k", i, j) + `' AND ` + col + ` = ` + k[1]
			if err := tg.DB.GetContext(ctx, &n, q); err != nil {
				t.Errorf("%s to %s: %s: %v", set.From.Type, c.column(), q, err)
			} else if n != 1 {
				var got string
				_ = tg.DB.GetContext(ctx, &got, `SELECT CAST(`+col+` AS TEXT) FROM "profile" WHERE "customer_id" = '`+id("k", i, j)+`'`)
				t.Errorf("%s to %s: %s became %q, want %s", set.From.Type, c.column(), k[0], got, k[1])
			}
		}
	}
}
