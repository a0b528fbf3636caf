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

func TestConvertible(t *testing.T) {
	db, _ := openTemp(t)
	attr := func(ty model.Type, length int) model.Attribute {
		return model.Attribute{Name: "v", Type: ty, Length: length}
	}
	str3 := attr(model.String, 3)
	tests := []struct {
		from, to model.Attribute
		value    any
		ok       bool
		// converted is the converted value when ok (nil: not checked).
		converted any
	}{
		{attr(model.Long, 0), attr(model.Integer, 0), int64(5), true, int64(5)},
		{attr(model.Long, 0), attr(model.Integer, 0), int64(3000000000), false, nil},
		{attr(model.Double, 0), attr(model.Integer, 0), 2.0, true, int64(2)},
		{attr(model.Double, 0), attr(model.Integer, 0), 2.5, false, nil},
		{str3, attr(model.Integer, 0), "12", true, int64(12)},
		{str3, attr(model.Integer, 0), " 12 ", false, nil},
		{str3, attr(model.Integer, 0), "12\u2003", false, nil},
		{str3, attr(model.Integer, 0), "+0150", true, int64(150)},
		{str3, attr(model.Integer, 0), "-12", true, int64(-12)},
		{str3, attr(model.Integer, 0), "1.0", false, nil},
		{str3, attr(model.Integer, 0), "abc", false, nil},
		{str3, attr(model.Integer, 0), "", false, nil},
		{str3, attr(model.Integer, 0), "-", false, nil},
		{str3, attr(model.Integer, 0), "99999999999", false, nil},
		{str3, attr(model.Integer, 0), []byte{1}, false, nil},
		{str3, attr(model.Long, 0), "99999999999", true, int64(99999999999)},
		{str3, attr(model.Long, 0), "9223372036854775807", true, int64(9223372036854775807)},
		{str3, attr(model.Long, 0), "9223372036854775808", false, nil},
		{attr(model.Double, 0), attr(model.Long, 0), 1e19, false, nil},
		{str3, attr(model.Double, 0), "1.5", true, 1.5},
		{str3, attr(model.Double, 0), "1e3", true, 1000.0},
		{str3, attr(model.Double, 0), "-2.5E-3", true, -0.0025},
		{str3, attr(model.Double, 0), "1.2.3", false, nil},
		{str3, attr(model.Double, 0), "e5", false, nil},
		{str3, attr(model.Double, 0), "1e", false, nil},
		{str3, attr(model.Double, 0), "1e999", false, nil},
		{attr(model.Long, 0), attr(model.Double, 0), int64(5), true, 5.0},
		{attr(model.Long, 0), attr(model.Double, 0), int64(9007199254740993), false, nil},
		{str3, attr(model.Currency, 0), "12.3456", true, "12.3456"},
		{str3, attr(model.Currency, 0), "-12.34560", true, "-12.3456"},
		{str3, attr(model.Currency, 0), "+007.50", true, "7.5"},
		{str3, attr(model.Currency, 0), "-0.00", true, "0"},
		{str3, attr(model.Currency, 0), "123456789012345.6789", true, "123456789012345.6789"},
		{str3, attr(model.Currency, 0), "99999999999999.9999", true, "99999999999999.9999"},
		{attr(model.Long, 0), attr(model.Currency, 0), int64(-9223372036854775808), false, nil},
		{attr(model.Long, 0), attr(model.Currency, 0), int64(-999999999999999), true, "-999999999999999"},
		{attr(model.Long, 0), attr(model.Double, 0), int64(-9223372036854775808), false, nil},
		{attr(model.Long, 0), attr(model.Double, 0), int64(-9007199254740992), true, -9007199254740992.0},
		{str3, attr(model.Double, 0), "9007199254740993", false, nil},
		{str3, attr(model.Double, 0), "1e-400", false, nil},
		{str3, attr(model.Double, 0), "0.1", true, 0.1},
		{str3, attr(model.Long, 0), "-9223372036854775808", true, int64(-9223372036854775808)},
		{attr(model.Date, 0), attr(model.DateTime, 0), "2020-01-01T10:00:00", false, nil},
		{attr(model.Date, 0), attr(model.DateTime, 0), "2020-1-1", false, nil},
		{str3, attr(model.DateTime, 0), "2020-01-01T10:00:00.1235Z", false, nil},
		{str3, attr(model.DateTime, 0), "2020-01-01 10:00:00.5+00:00", true, "2020-01-01T10:00:00.500Z"},
		{attr(model.Double, 0), attr(model.String, 30), 1e20, true, "1e+20"},
		{attr(model.Double, 0), attr(model.String, 30), 5.0, true, "5"},
		{str3, attr(model.Currency, 0), "12.34567", false, nil},
		{str3, attr(model.Currency, 0), "1234567890123456", false, nil},
		{attr(model.Double, 0), attr(model.Currency, 0), 1.25, true, "1.25"},
		{attr(model.Double, 0), attr(model.Currency, 0), 5.0, true, "5"},
		{attr(model.Double, 0), attr(model.Currency, 0), 0.30000000000000004, false, nil},
		{attr(model.Double, 0), attr(model.Currency, 0), 123456789012345.67, true, "123456789012345.67"},
		{attr(model.Double, 0), attr(model.Currency, 0), 1234567890123456.7, false, nil},
		{attr(model.Double, 0), attr(model.Currency, 0), 1.23456, false, nil},
		{str3, attr(model.Boolean, 0), "true", true, int64(1)},
		{str3, attr(model.Boolean, 0), "FALSE", true, int64(0)},
		{str3, attr(model.Boolean, 0), "1", true, int64(1)},
		{str3, attr(model.Boolean, 0), "yes", false, nil},
		{attr(model.Integer, 0), attr(model.Boolean, 0), int64(2), false, nil},
		{attr(model.Double, 0), attr(model.Boolean, 0), 0.0, true, int64(0)},
		{str3, attr(model.Date, 0), "2020-02-29", true, "2020-02-29"},
		{str3, attr(model.Date, 0), "2021-02-29", false, nil},
		{attr(model.DateTime, 0), attr(model.Date, 0), "2020-01-01T00:00:00.000Z", true, "2020-01-01"},
		{attr(model.DateTime, 0), attr(model.Date, 0), "2020-01-01T10:00:00Z", false, nil},
		{str3, attr(model.Date, 0), "x", false, nil},
		{attr(model.Integer, 0), attr(model.Date, 0), int64(20200101), false, nil},
		{attr(model.Date, 0), attr(model.DateTime, 0), "2020-01-01", true, "2020-01-01T00:00:00.000Z"},
		{str3, attr(model.DateTime, 0), "1981-03-17T02:00:00Z", true, "1981-03-17T02:00:00.000Z"},
		{str3, attr(model.DateTime, 0), "2020-02-30T00:00:00Z", false, nil},
		{str3, attr(model.DateTime, 0), "12:00", false, nil},
		{attr(model.Long, 0), str3, int64(123), true, "123"},
		{attr(model.Long, 0), str3, int64(1234), false, nil},
		{attr(model.Boolean, 0), str3, int64(1), false, nil},
		{attr(model.Boolean, 0), attr(model.String, 5), int64(0), true, "false"},
		{attr(model.Double, 0), attr(model.String, 10), 2.5, true, "2.5"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s %#v to %s(%d)", tt.from.Type, tt.value, tt.to.Type, tt.to.Length)
		t.Run(name, func(t *testing.T) {
			q := `WITH x(v) AS (SELECT ?) SELECT ` + convertible(`"v"`, tt.from, tt.to) + `, ` + convert(`"v"`, tt.from, tt.to) + ` FROM x`
			var ok bool
			var got any
			if err := db.QueryRow(q, tt.value).Scan(&ok, &got); err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Errorf("convertible = %v; want %v", ok, tt.ok)
			}
			if b, isBytes := got.([]byte); isBytes && tt.to.Type != model.String {
				got = b
			}
			switch {
			case tt.ok && tt.converted != nil && !cmp.Equal(got, tt.converted):
				t.Errorf("converted = %#v; want %#v", got, tt.converted)
			case !tt.ok && !cmp.Equal(got, tt.value):
				t.Errorf("an unconvertible value became %#v; want it unchanged", got)
			}
		})
	}
}

func TestDataChecks(t *testing.T) {
	db, _ := setup(t)
	ctx := context.Background()
	mustExec(t, db, `DROP INDEX ik_idemail`)
	mustExec(t, db, `DROP INDEX "`+model.UniqueIndex("Phone", []string{"PhoneNumber"})+`"`)
	mustExec(t, db, `INSERT INTO profile (customer_id, firstname, emailaddress, age) VALUES
		('c4', 'Ann', 'ann@example.com', 7), ('c5', 'Ann', 'x@example.com', 99), ('c6', NULL, 'x@example.com', NULL)`)
	mustExec(t, db, `INSERT INTO ext_phone (customer_id, phonenumber, description) VALUES ('c1', '5550001', 'again'), ('c3', '5550001', NULL)`)
	d := New().Data(db)

	if n, err := d.Rows(ctx, "profile"); err != nil || n != 6 {
		t.Errorf("Rows = %d, %v; want 6", n, err)
	}
	if n, err := d.NonNull(ctx, "profile", []string{"age"}); err != nil || n != 4 {
		t.Errorf("NonNull = %d, %v; want 4", n, err)
	}
	if n, err := d.NonNull(ctx, "profile", []string{"age", "age"}); err != nil || n != 8 {
		t.Errorf("NonNull over two columns = %d, %v; want their sum, 8", n, err)
	}
	if n, err := d.NonNull(ctx, "profile", nil); err != nil || n != 0 {
		t.Errorf("NonNull over no column = %d, %v; want 0", n, err)
	}
	check := func(name string, f plan.Finding, err error, want plan.Finding) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, f); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	f, err := d.Nulls(ctx, "profile", "age")
	check("Nulls", f, err, plan.Finding{Rows: 2, Customers: 2, CustomerIDs: []string{"c2", "c6"}})
	f, err = d.Duplicates(ctx, "profile", []string{"firstname"}, false)
	check("Duplicates firstname", f, err, plan.Finding{Rows: 3, Groups: 1, Customers: 3, CustomerIDs: []string{"c1", "c4", "c5"}})
	f, err = d.Duplicates(ctx, "profile", []string{"firstname", "emailaddress"}, false)
	check("Duplicates composite", f, err, plan.Finding{Rows: 2, Groups: 1, Customers: 2, CustomerIDs: []string{"c1", "c4"}})
	f, err = d.Duplicates(ctx, "ext_phone", []string{"phonenumber"}, true)
	check("Duplicates per customer", f, err, plan.Finding{Rows: 2, Groups: 1, Customers: 1, CustomerIDs: []string{"c1"}})
	f, err = d.Duplicates(ctx, "ext_phone", []string{"phonenumber"}, false)
	check("Duplicates across customers", f, err, plan.Finding{Rows: 3, Groups: 1, Customers: 2, CustomerIDs: []string{"c1", "c3"}})
	f, err = d.Duplicates(ctx, "ext_phone", []string{"description"}, false)
	check("NULLs never collide", f, err, plan.Finding{})
	f, err = d.TooLong(ctx, "profile", "emailaddress", 14)
	check("TooLong", f, err, plan.Finding{Rows: 3, Customers: 3, CustomerIDs: []string{"c1", "c2", "c4"}})
	f, err = d.MultiRecord(ctx, "ext_phone")
	check("MultiRecord", f, err, plan.Finding{Rows: 3, Groups: 1, Customers: 1, CustomerIDs: []string{"c1"}})
	f, err = d.Unconvertible(ctx, "ext_phone", "description", model.Attribute{Type: model.String, Length: 32}, model.Attribute{Type: model.Integer})
	check("Unconvertible", f, err, plan.Finding{Rows: 3, Customers: 1, CustomerIDs: []string{"c1"}})

	// Up to five customer ids, sorted.
	for i := range 8 {
		mustExec(t, db, fmt.Sprintf(`INSERT INTO profile (customer_id, emailaddress, lastname) VALUES ('z%d', 'e', 'same')`, 7-i))
	}
	f, err = d.Duplicates(ctx, "profile", []string{"lastname"}, false)
	check("five ids", f, err, plan.Finding{Rows: 8, Groups: 1, Customers: 8, CustomerIDs: []string{"z0", "z1", "z2", "z3", "z4"}})

	if _, err := d.Rows(ctx, "missing"); err == nil {
		t.Errorf("Rows of a missing table: no error")
	}
}

// TestDataMissingColumn checks that a check on a column the table does not
// have fails: SQLite would read an unqualified "missing" as a string.
func TestDataMissingColumn(t *testing.T) {
	db, _ := setup(t)
	ctx := context.Background()
	mustExec(t, db, `INSERT INTO profile (customer_id, emailaddress) VALUES ('c7', 'a'), ('c8', 'b')`)
	d := New().Data(db)
	str := model.Attribute{Type: model.String, Length: 3}
	checks := map[string]func() error{
		"NonNull": func() error { _, err := d.NonNull(ctx, "profile", []string{"missing"}); return err },
		"Nulls":   func() error { _, err := d.Nulls(ctx, "profile", "missing"); return err },
		"TooLong": func() error { _, err := d.TooLong(ctx, "profile", "missing", 3); return err },
		"Unconvertible": func() error {
			_, err := d.Unconvertible(ctx, "profile", "missing", str, model.Attribute{Type: model.Integer})
			return err
		},
		"Duplicates": func() error { _, err := d.Duplicates(ctx, "profile", []string{"missing"}, false); return err },
		"Duplicates per customer": func() error {
			_, err := d.Duplicates(ctx, "profile", []string{"emailaddress", "missing"}, true)
			return err
		},
	}
	for name, run := range checks {
		if err := run(); err == nil || !strings.Contains(err.Error(), "no such column") {
			t.Errorf("%s of a missing column: error %v, want no such column", name, err)
		}
	}
}
