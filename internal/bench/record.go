package bench

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Query is one query a dialect sent to the database, with its arguments.
type Query struct {
	SQL  string
	Args []any
}

// Recorder is a *sqlx.DB that records the queries sent through it, so that
// a floor can replay exactly what ctxschema asked the database.
type Recorder struct {
	*sqlx.DB
	Queries []Query
}

func (r *Recorder) add(q string, args []any) {
	r.Queries = append(r.Queries, Query{q, append([]any(nil), args...)})
}

// QueryContext records q and runs it.
func (r *Recorder) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r.add(q, args)
	return r.DB.QueryContext(ctx, q, args...)
}

// QueryxContext records q and runs it.
func (r *Recorder) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	r.add(q, args)
	return r.DB.QueryxContext(ctx, q, args...)
}

// QueryRowxContext records q and runs it.
func (r *Recorder) QueryRowxContext(ctx context.Context, q string, args ...any) *sqlx.Row {
	r.add(q, args)
	return r.DB.QueryRowxContext(ctx, q, args...)
}

// ExecContext records q and runs it.
func (r *Recorder) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r.add(q, args)
	return r.DB.ExecContext(ctx, q, args...)
}

// PlanQueries returns the queries of one plan of desired against t, made
// as apply.Prepare makes it: the inspection and the plan's data checks.
func PlanQueries(ctx context.Context, t apply.Target, desired *model.Schema) ([]Query, error) {
	rec := &Recorder{DB: t.DB}
	st, err := t.Dialect.Inspect(ctx, rec)
	if err != nil {
		return nil, err
	}
	if _, err := plan.Build(ctx, st, desired, t.Dialect.Data(rec)); err != nil {
		return nil, err
	}
	return rec.Queries, nil
}
