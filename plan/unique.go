package plan

import (
	"context"
	"fmt"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
)

// UniqueCheck is the duplicate-value check of a step that builds a unique
// index, named by the physical table and columns the step leaves behind.
// Apply runs it where the build itself cannot refuse atomically: the
// database enforces a unique index built inside the transaction, so there
// the check only explains a failed build.
type UniqueCheck struct {
	Table       string
	Columns     []string
	PerCustomer bool
	// What names the unique object for people ("unique key idEmail").
	What string
}

// UniqueCheckOf returns the check of a change that builds a unique index:
// a unique key, created or replaced, or a unique item of a multi-valued
// extension.
func UniqueCheckOf(c Change) (UniqueCheck, bool) {
	switch c := c.(type) {
	case CreateKey:
		return keyCheck(c.Key)
	case ReplaceKey:
		return keyCheck(c.To)
	case AddUnique:
		if !c.Table.MultiValued() {
			return UniqueCheck{}, false
		}
		return UniqueCheck{Table: c.Table.Name, Columns: columns(c.Item), PerCustomer: true,
			What: fmt.Sprintf("unique %s(%s)", c.Extension, strings.Join(c.Item, ", "))}, true
	}
	return UniqueCheck{}, false
}

func keyCheck(k model.Key) (UniqueCheck, bool) {
	if !k.Unique {
		return UniqueCheck{}, false
	}
	return UniqueCheck{Table: model.KeyTable(k), Columns: columns(k.Attributes), What: "unique key " + k.Name}, true
}

func columns(attrs []string) []string {
	out := make([]string, len(attrs))
	for i, a := range attrs {
		out[i] = strings.ToLower(a)
	}
	return out
}

// Run runs the check on data and returns its data-check hazard, or nil when
// no value repeats.
func (u UniqueCheck) Run(ctx context.Context, data Data) (*Hazard, error) {
	f, err := data.Duplicates(ctx, u.Table, u.Columns, u.PerCustomer)
	if err != nil {
		return nil, fmt.Errorf("data check on %s: %w", u.Table, err)
	}
	if f.Groups == 0 {
		return nil, nil
	}
	h := dataCheck(duplicateMessage(u.What, u.PerCustomer), f)
	return &h, nil
}

func duplicateMessage(what string, perCustomer bool) string {
	scope := "across customers"
	if perCustomer {
		scope = "within a customer's records"
	}
	return fmt.Sprintf("%s over values duplicated %s", what, scope)
}

func dataCheck(message string, f Finding) Hazard {
	return Hazard{Kind: DataCheck, Message: message, Rows: f.Rows, Values: -1, Groups: f.Groups, Customers: f.Customers, CustomerIDs: f.CustomerIDs}
}
