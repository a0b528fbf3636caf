package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Data implements dialect.Dialect.
func (*Dialect) Data(q dialect.Querier) plan.Data { return data{q} }

// data answers the planner's data checks, one query per call. Table and
// column names are physical names (lower case); they are lower-cased and
// quoted here, so a declared name works too. Findings carry counts and up to
// five customer ids in sorted order, never stored values.
type data struct {
	q dialect.Querier
}

// maxCustomerIDs is how many offending customer ids a finding lists.
const maxCustomerIDs = 5

func ident(name string) string { return quoteIdent(strings.ToLower(name)) }

func (d data) count(ctx context.Context, what, query string) (int64, error) {
	var n int64
	if err := d.q.QueryRowxContext(ctx, query, once).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// Rows implements plan.Data.
func (d data) Rows(ctx context.Context, table string) (int64, error) {
	return d.count(ctx, fmt.Sprintf("counting the rows of %q", table), "SELECT count(*) FROM "+ident(table))
}

// NonNull implements plan.Data.
func (d data) NonNull(ctx context.Context, table string, columns []string) (int64, error) {
	if len(columns) == 0 {
		return 0, nil
	}
	counts := make([]string, len(columns))
	for i, c := range columns {
		counts[i] = "count(" + ident(c) + ")"
	}
	return d.count(ctx, fmt.Sprintf("counting the values of %q (%s)", table, strings.Join(columns, ", ")),
		"SELECT "+strings.Join(counts, " + ")+" FROM "+ident(table))
}

// finding runs a query over the offending rows, given as a CTE "bad" of
// their customer ids (and the groups "g" for Groups when grouped), and
// reads the counts and the first customer ids.
func (d data) finding(ctx context.Context, what, ctes, groups string) (plan.Finding, error) {
	query := "WITH " + ctes + `
SELECT (SELECT count(*) FROM bad),
       ` + groups + `,
       (SELECT count(DISTINCT customer_id) FROM bad),
       coalesce(to_json(ARRAY(SELECT DISTINCT customer_id FROM bad ORDER BY 1 LIMIT ` + fmt.Sprint(maxCustomerIDs) + `))::text, '[]')`
	var f plan.Finding
	var ids string
	if err := d.q.QueryRowxContext(ctx, query, once).Scan(&f.Rows, &f.Groups, &f.Customers, &ids); err != nil {
		return plan.Finding{}, fmt.Errorf("%s: %w", what, err)
	}
	if err := json.Unmarshal([]byte(ids), &f.CustomerIDs); err != nil {
		return plan.Finding{}, fmt.Errorf("%s: %w", what, err)
	}
	if len(f.CustomerIDs) == 0 {
		f.CustomerIDs = nil
	}
	return f, nil
}

// where finds the rows of table matching cond.
func (d data) where(ctx context.Context, what, table, cond string) (plan.Finding, error) {
	return d.finding(ctx, what, "bad AS (SELECT customer_id FROM "+ident(table)+" WHERE "+cond+")", "0")
}

// Nulls implements plan.Data.
func (d data) Nulls(ctx context.Context, table, column string) (plan.Finding, error) {
	return d.where(ctx, fmt.Sprintf("finding NULLs in %q.%q", table, column), table, ident(column)+" IS NULL")
}

// TooLong implements plan.Data. Non-string columns are measured in their
// text form.
func (d data) TooLong(ctx context.Context, table, column string, max int) (plan.Finding, error) {
	return d.where(ctx, fmt.Sprintf("finding values of %q.%q longer than %d", table, column, max), table,
		fmt.Sprintf("char_length(%s::text) > %d", ident(column), max))
}

// Unconvertible implements plan.Data with the predicates of convert.go:
// values that the type change would reject or alter. A change every value
// survives runs no query.
func (d data) Unconvertible(ctx context.Context, table, column string, from, to model.Attribute) (plan.Finding, error) {
	col := ident(column)
	bad := badValue(col, from, to)
	if bad == "" {
		return plan.Finding{}, nil
	}
	return d.where(ctx, fmt.Sprintf("finding values of %q.%q that do not convert from %s to %s", table, column, from.Type, to.Type), table,
		col+" IS NOT NULL AND ("+bad+")")
}

// Unrepairable implements plan.Data with the predicates of convert.go, for
// the conversion the repair of a drifted column runs (repair.go).
func (d data) Unrepairable(ctx context.Context, table, column, live string, to model.Attribute) (plan.Finding, error) {
	from, col := liveAttribute(ident(column), parseDef(live).typ)
	bad := badValue(col, from, to)
	if bad == "" {
		return plan.Finding{}, nil
	}
	return d.where(ctx, fmt.Sprintf("finding values of %q.%q that do not convert back to %s", table, column, to.Type), table,
		ident(column)+" IS NOT NULL AND ("+bad+")")
}

// Duplicates implements plan.Data: groups of two or more rows with the same
// values of columns (and customer_id, with perCustomer). A row with a NULL
// in any of the columns is in no group: a unique index lets NULLs repeat.
func (d data) Duplicates(ctx context.Context, table string, columns []string, perCustomer bool) (plan.Finding, error) {
	if len(columns) == 0 {
		return plan.Finding{}, fmt.Errorf("finding duplicates in %q: no columns", table)
	}
	group := make([]string, 0, len(columns)+1)
	if perCustomer {
		group = append(group, ident(model.CustomerIDColumn))
	}
	var notNull []string
	for _, c := range columns {
		group = append(group, ident(c))
		notNull = append(notNull, ident(c)+" IS NOT NULL")
	}
	cols := strings.Join(group, ", ")
	t := ident(table)
	ctes := "g AS (SELECT " + cols + " FROM " + t + " WHERE " + strings.Join(notNull, " AND ") +
		" GROUP BY " + cols + " HAVING count(*) > 1),\n" +
		"bad AS (SELECT t.customer_id FROM " + t + " t JOIN g USING (" + cols + "))"
	return d.finding(ctx, fmt.Sprintf("finding duplicates of (%s) in %q", strings.Join(columns, ", "), table), ctes, "(SELECT count(*) FROM g)")
}

// MultiRecord implements plan.Data: customers holding more than one
// record; Rows counts their records and Groups equals Customers.
func (d data) MultiRecord(ctx context.Context, table string) (plan.Finding, error) {
	t := ident(table)
	ctes := "g AS (SELECT customer_id FROM " + t + " GROUP BY customer_id HAVING count(*) > 1),\n" +
		"bad AS (SELECT t.customer_id FROM " + t + " t JOIN g USING (customer_id))"
	return d.finding(ctx, fmt.Sprintf("finding customers with several records in %q", table), ctes, "(SELECT count(*) FROM g)")
}
