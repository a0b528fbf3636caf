package plan

import (
	"context"

	"github.com/ctxschema/ctxschema/internal/model"
)

// askingData is the Data of a Build, which records whether Build asked it
// anything (Plan.Asked).
type askingData struct {
	data  Data
	asked bool
}

func (a *askingData) Rows(ctx context.Context, table string) (int64, error) {
	a.asked = true
	return a.data.Rows(ctx, table)
}

func (a *askingData) NonNull(ctx context.Context, table string, columns []string) (int64, error) {
	a.asked = true
	return a.data.NonNull(ctx, table, columns)
}

func (a *askingData) Nulls(ctx context.Context, table, column string) (Finding, error) {
	a.asked = true
	return a.data.Nulls(ctx, table, column)
}

func (a *askingData) Duplicates(ctx context.Context, table string, columns []string, perCustomer bool) (Finding, error) {
	a.asked = true
	return a.data.Duplicates(ctx, table, columns, perCustomer)
}

func (a *askingData) TooLong(ctx context.Context, table, column string, max int) (Finding, error) {
	a.asked = true
	return a.data.TooLong(ctx, table, column, max)
}

func (a *askingData) Unconvertible(ctx context.Context, table, column string, from, to model.Attribute) (Finding, error) {
	a.asked = true
	return a.data.Unconvertible(ctx, table, column, from, to)
}

func (a *askingData) Unrepairable(ctx context.Context, table, column, live string, to model.Attribute) (Finding, error) {
	a.asked = true
	return a.data.Unrepairable(ctx, table, column, live, to)
}

func (a *askingData) MultiRecord(ctx context.Context, table string) (Finding, error) {
	a.asked = true
	return a.data.MultiRecord(ctx, table)
}
