package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// maxCustomerIDs is how many offending customer ids a finding names.
const maxCustomerIDs = 5

// Data implements dialect.Dialect.
func (d *Dialect) Data(q dialect.Querier) plan.Data { return data{q} }

// data answers the planner's data checks, one query per call. Findings
// carry counts and customer ids, never stored values.
//
// Every column is qualified by its table's alias ("t"."c"): SQLite reads an
// unqualified double-quoted name that names no column as a string literal,
// so a missing column would make count("c") count every row and "c" IS
// NULL find none, silently. A qualified name that names no column is an
// error ("no such column").
type data struct{ q dialect.Querier }

// col is column of the table aliased "t".
func col(column string) string { return `"t".` + quoteIdent(column) }

// from is the FROM clause over table aliased "t".
func from(table string) string { return " FROM " + quoteIdent(table) + ` AS "t"` }

var _ plan.Data = data{}

// Rows implements plan.Data.
func (d data) Rows(ctx context.Context, table string) (int64, error) {
	return d.count(ctx, "SELECT count(*) FROM "+quoteIdent(table), "counting the rows of %q", table)
}

// NonNull implements plan.Data.
func (d data) NonNull(ctx context.Context, table string, columns []string) (int64, error) {
	if len(columns) == 0 {
		return 0, nil
	}
	counts := make([]string, len(columns))
	for i, c := range columns {
		counts[i] = "count(" + col(c) + ")"
	}
	return d.count(ctx, "SELECT "+strings.Join(counts, " + ")+from(table), "counting the values of %q", table+" ("+strings.Join(columns, ", ")+")")
}

func (d data) count(ctx context.Context, query, what, name string) (int64, error) {
	var n int64
	if err := d.q.QueryRowxContext(ctx, query).Scan(&n); err != nil {
		return 0, fmt.Errorf(what+": %w", name, err)
	}
	return n, nil
}

// Nulls implements plan.Data.
func (d data) Nulls(ctx context.Context, table, column string) (plan.Finding, error) {
	return d.find(ctx, table, col(column)+" IS NULL", "finding NULLs in %q", table+"."+column)
}

// TooLong implements plan.Data. length() counts characters, as the CHECK
// constraint that enforces a string's length does.
func (d data) TooLong(ctx context.Context, table, column string, max int) (plan.Finding, error) {
	return d.find(ctx, table, "length("+col(column)+") > "+strconv.Itoa(max), "finding values longer than "+strconv.Itoa(max)+" in %q", table+"."+column)
}

// Unconvertible implements plan.Data with the same predicate the rebuild
// converts by (see convertible for what it cannot tell).
func (d data) Unconvertible(ctx context.Context, table, column string, from, to model.Attribute) (plan.Finding, error) {
	c := col(column)
	return d.find(ctx, table, c+" IS NOT NULL AND NOT "+convertible(c, from, to), "finding values of %q that do not convert to "+string(to.Type), table+"."+column)
}

// Unrepairable implements plan.Data. SQLite converts values by what they
// hold, not by the column's declared type, so the repair of a drifted
// column converts its values to the attribute's own type by the same
// predicate as a type change (render.go, repair).
func (d data) Unrepairable(ctx context.Context, table, column, _ string, to model.Attribute) (plan.Finding, error) {
	c := col(column)
	return d.find(ctx, table, c+" IS NOT NULL AND NOT "+convertible(c, to, to), "finding values of %q that do not convert back to "+string(to.Type), table+"."+column)
}

// MultiRecord implements plan.Data. Groups counts the customers.
func (d data) MultiRecord(ctx context.Context, table string) (plan.Finding, error) {
	cid := quoteIdent(model.CustomerIDColumn)
	f, err := d.find(ctx, table, col(model.CustomerIDColumn)+` IN (SELECT "m".`+cid+" FROM "+quoteIdent(table)+` AS "m" GROUP BY 1 HAVING count(*) > 1)`, "finding customers with several records in %q", table)
	f.Groups = f.Customers
	return f, err
}

// Duplicates implements plan.Data. Rows whose columns include a NULL never
// collide, as in a unique index.
func (d data) Duplicates(ctx context.Context, table string, columns []string, perCustomer bool) (plan.Finding, error) {
	keys := append([]string(nil), columns...)
	if perCustomer {
		keys = append(keys, model.CustomerIDColumn)
	}
	var sel, notNull, join []string
	for i, k := range keys {
		alias := "k" + strconv.Itoa(i)
		sel = append(sel, col(k)+" AS "+alias)
		notNull = append(notNull, col(k)+" IS NOT NULL")
		join = append(join, col(k)+" = g."+alias)
	}
	group := make([]string, len(keys))
	for i := range keys {
		group[i] = "k" + strconv.Itoa(i)
	}
	query := "WITH g AS (SELECT " + strings.Join(sel, ", ") + from(table) +
		" WHERE " + strings.Join(notNull, " AND ") + " GROUP BY " + strings.Join(group, ", ") + " HAVING count(*) > 1)," +
		" bad AS (SELECT " + col(model.CustomerIDColumn) + " AS c" + from(table) + " JOIN g ON " + strings.Join(join, " AND ") + ")" +
		" SELECT (SELECT count(*) FROM g), " + summary
	f, err := d.scan(ctx, query, true)
	if err != nil {
		return f, fmt.Errorf("finding duplicates of (%s) in %q: %w", strings.Join(columns, ", "), table, err)
	}
	return f, nil
}

// summary selects, from the customer ids of the offending rows in bad(c),
// the row count, the customer count and the first customer ids.
const summary = `(SELECT count(*) FROM bad), (SELECT count(DISTINCT c) FROM bad),
 (SELECT json_group_array(c) FROM (SELECT DISTINCT CAST(c AS TEXT) AS c FROM bad ORDER BY 1 LIMIT 5))`

func (d data) find(ctx context.Context, table, where, what, name string) (plan.Finding, error) {
	query := "WITH bad AS (SELECT " + col(model.CustomerIDColumn) + " AS c" + from(table) + " WHERE " + where + ") SELECT " + summary
	f, err := d.scan(ctx, query, false)
	if err != nil {
		return f, fmt.Errorf(what+": %w", name, err)
	}
	return f, nil
}

func (d data) scan(ctx context.Context, query string, groups bool) (plan.Finding, error) {
	var f plan.Finding
	var ids string
	dest := []any{&f.Rows, &f.Customers, &ids}
	if groups {
		dest = append([]any{&f.Groups}, dest...)
	}
	if err := d.q.QueryRowxContext(ctx, query).Scan(dest...); err != nil {
		return plan.Finding{}, err
	}
	if err := json.Unmarshal([]byte(ids), &f.CustomerIDs); err != nil {
		return plan.Finding{}, fmt.Errorf("reading customer ids: %w", err)
	}
	sort.Strings(f.CustomerIDs)
	if len(f.CustomerIDs) > maxCustomerIDs {
		f.CustomerIDs = f.CustomerIDs[:maxCustomerIDs]
	}
	if len(f.CustomerIDs) == 0 {
		f.CustomerIDs = nil
	}
	return f, nil
}
