package plan

import "github.com/ctxschema/ctxschema/internal/model"

// leftovers finds, for every step that builds the index of a new key or
// unique item, an index of the same name on the same table that the
// catalog does not record, and attaches it to the step as Existing. An
// online build runs after the apply's transaction committed, and records
// its key only once it finished: an apply killed or cancelled during the
// build leaves the index (invalid, or valid when the build had just
// finished) without its key, and the next plan builds it again under the
// same name.
func (b *builder) leftovers(st *State) {
	for i, s := range b.steps {
		var table, index string
		switch c := s.Change.(type) {
		case CreateKey:
			table, index = model.KeyTable(c.Key), c.Key.Index()
		case AddUnique:
			table, index = model.ExtensionTable(c.Extension), model.UniqueIndex(c.Extension, c.Item)
		default:
			continue
		}
		if recorded(st.Expected, table, index) {
			continue
		}
		t, ok := st.Physical.Table(table)
		if !ok {
			continue
		}
		for _, ix := range t.Indexes {
			if ix.Name == index {
				ix := ix
				b.steps[i].Existing = &ix
			}
		}
	}
}

// recorded reports whether the catalog's layout has index on table.
func recorded(expected Physical, table, index string) bool {
	t, ok := expected.Table(table)
	if !ok {
		return false
	}
	for _, ix := range t.Indexes {
		if ix.Name == index {
			return true
		}
	}
	return false
}
