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

// UniqueChecksOf returns the checks of a change that builds unique
// indexes: a unique key, created or replaced, a unique item of a
// multi-valued extension, or a drift repair that builds such an index
// again (missing, changed or invalid) over the rows the table holds.
func UniqueChecksOf(c Change) []UniqueCheck {
	switch c := c.(type) {
	case CreateKey:
		return keyCheck(c.Key)
	case ReplaceKey:
		return keyCheck(c.To)
	case AddUnique:
		if !c.Table.MultiValued() {
			return nil
		}
		return []UniqueCheck{itemCheck(c.Table.Name, c.Extension, c.Item)}
	case RepairTable:
		var out []UniqueCheck
		for _, u := range repairedUniques(c) {
			if u.key != nil {
				out = append(out, keyCheck(*u.key)...)
			} else {
				out = append(out, itemCheck(c.Table.Name, c.Table.Extension.Name, u.item))
			}
		}
		return out
	}
	return nil
}

func keyCheck(k model.Key) []UniqueCheck {
	if !k.Unique {
		return nil
	}
	return []UniqueCheck{{Table: model.KeyTable(k), Columns: columns(k.Attributes), What: "unique key " + k.Name}}
}

func itemCheck(table, extension string, item []string) UniqueCheck {
	return UniqueCheck{Table: table, Columns: columns(item), PerCustomer: true,
		What: fmt.Sprintf("unique %s(%s)", extension, strings.Join(item, ", "))}
}

// repairedUnique is a unique index that a drift repair builds again: a
// unique key, or (key nil) a unique item of a multi-valued extension.
type repairedUnique struct {
	key  *model.Key
	item []string
}

// repairedUniques lists the unique indexes that repair c builds again over
// existing rows: those of its missing, changed or invalid indexes. A
// missing table is created empty, so its indexes hold no rows.
func repairedUniques(c RepairTable) []repairedUnique {
	var out []repairedUnique
	items := c.Table.UniqueIndexes()
	for _, d := range c.Drift {
		switch d.Kind {
		case MissingTable:
			return nil
		case MissingIndex, ChangedIndex, InvalidIndex:
		default:
			continue
		}
		for i, k := range c.Table.Keys {
			if k.Unique && k.Index() == d.Name {
				out = append(out, repairedUnique{key: &c.Table.Keys[i]})
			}
		}
		if item, ok := items[d.Name]; ok {
			out = append(out, repairedUnique{item: item})
		}
	}
	return out
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
