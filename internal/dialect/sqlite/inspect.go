package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// The inspection queries read every table at once: SQLite's table-valued
// pragma functions (pragma_table_info and friends) can be joined with
// sqlite_master, so the number of queries does not grow with the number of
// tables. Tables named sqlite_% belong to SQLite; cs_% to the catalog. The
// backslash escapes _, a LIKE wildcard.
const (
	userTables = `m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'`

	// pragma_table_xinfo, unlike pragma_table_info, lists generated
	// columns (hidden 2 for VIRTUAL, 3 for STORED); hidden 1 marks the
	// hidden columns of virtual tables, which are left out.
	// catalogTablesQuery counts the catalog tables that Inspect reads
	// (cs_meta and cs_schema): 2 when both exist.
	catalogTablesQuery = `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND lower(name) IN ('` + catalog.MetaTable + `', '` + catalog.SchemaTable + `')`

	// The declared types that ctxschema writes come as numbers (see
	// declType): every text cell is a string the driver allocates.
	columnsQuery = `SELECT m.name, CASE WHEN p.cid = 0 THEN coalesce(m.sql, '') ELSE '' END, p.name,
  CASE p.type WHEN 'INTEGER' THEN 1 WHEN 'TEXT' THEN 2 WHEN 'REAL' THEN 3 ELSE p.type END, p."notnull", p.dflt_value, p.pk
FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS p
WHERE ` + userTables + ` AND p.hidden <> 1
ORDER BY m.name, p.cid`

	// origin 'c' keeps the indexes made by CREATE INDEX and leaves out the
	// automatic ones behind PRIMARY KEY and UNIQUE constraints; key = 1
	// keeps the indexed columns and leaves out the rowid that
	// pragma_index_xinfo appends. The triggers of the tables follow, one
	// row each with their SQL, so that the count of queries stays fixed.
	// The kind is 0 for an index, 1 for a trigger; an index's SQL is
	// there only where readIndexes reads it (a partial index, an
	// expression), and its collation only when not BINARY, the default:
	// every text cell is a string the driver allocates.
	indexesQuery = `SELECT 0, m.name, il.name, il."unique", il.partial, CASE WHEN il.partial OR x.cid = -2 THEN coalesce(i.sql, '') ELSE '' END, x.cid, coalesce(x.name, ''), x."desc", CASE WHEN x.coll = 'BINARY' COLLATE NOCASE THEN '' ELSE coalesce(x.coll, '') END, x.seqno
FROM sqlite_master AS m
JOIN pragma_index_list(m.name) AS il
JOIN pragma_index_xinfo(il.name) AS x
LEFT JOIN sqlite_master AS i ON i.type = 'index' AND i.name = il.name
WHERE ` + userTables + ` AND m.name NOT LIKE 'cs\_%' ESCAPE '\' AND il.origin = 'c' AND x.key = 1
UNION ALL
SELECT 1, m.tbl_name, m.name, 0, 0, coalesce(m.sql, ''), 0, '', 0, '', 0
FROM sqlite_master AS m
WHERE m.type = 'trigger' AND m.tbl_name NOT LIKE 'cs\_%' ESCAPE '\'
ORDER BY 2, 1, 3, 11`

	// othersQuery lists the views: they share the tables' and indexes'
	// names, so that none of those can be created under a view's name.
	othersQuery = `SELECT name, type AS kind FROM sqlite_master WHERE type = 'view' ORDER BY name`

	// ON UPDATE NO ACTION, the default that refDefinition leaves out,
	// reads as '', which the driver need not allocate.
	foreignKeysQuery = `SELECT m.name, f."from", f."table", coalesce(f."to", ''), f.on_delete, CASE WHEN f.on_update = 'NO ACTION' THEN '' ELSE f.on_update END
FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f
WHERE ` + userTables + ` AND m.name NOT LIKE 'cs\_%' ESCAPE '\'
ORDER BY m.name, f.id, f.seq`
)

// Inspect implements dialect.Dialect in seven queries whatever the number
// of tables: whether the catalog tables exist, whether a schema was
// recorded, the catalog's mode and schema, columns, indexes and triggers,
// and foreign keys.
//
// State.New is true when no schema has been recorded yet (no cs_ tables, or
// cs_schema still empty); its Catalog is then empty, its Mode the recorded
// one (maintenance by default) and its Expected empty: nothing was
// declared, so nothing can have drifted.
func (d *Dialect) Inspect(ctx context.Context, q dialect.Querier) (*plan.State, error) {
	// The catalog is read first, and decoded, with the layout it expects
	// derived from it, on a goroutine of its own while the columns,
	// indexes and foreign keys are read; so are the CREATE TABLE
	// statements once read. That is CPU work (about a third of a plan at
	// 1000 extensions) that need not wait for the database, and it
	// touches neither q nor the tables being read.
	st := plan.NewState()
	// The schema's version first (see Stamp): a change made while the
	// queries below read gives a stamp that differs from this one.
	version, err := schemaVersion(ctx, q)
	if err != nil {
		return nil, err
	}
	var catalogTables int
	if err := sqlx.GetContext(ctx, q, &catalogTables, catalogTablesQuery); err != nil {
		return nil, fmt.Errorf("inspecting the catalog: %w", err)
	}
	st.Stamp = stampOf(version, nil, "", false)
	var catalogDone chan decodedCatalog
	if catalogTables == 2 {
		var n int
		if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM "`+catalog.SchemaTable+`"`); err != nil {
			return nil, fmt.Errorf("inspecting the catalog: %w", err)
		}
		def, mode, found, err := catalog.ReadDocument(ctx, q)
		if err != nil {
			return nil, err
		}
		// The stamp of the very document decoded below.
		st.Stamp = stampOf(version, def, mode, n > 0 && found)
		st.Mode = mode
		if n > 0 && found {
			catalogDone = make(chan decodedCatalog, 1) // the sender never blocks
			go func() {
				s, err := catalog.Decode(def)
				r := decodedCatalog{schema: s, err: err}
				if err == nil {
					r.expected = d.Expected(s)
				}
				catalogDone <- r
			}()
		}
	}
	tables, createSQLs, err := readColumns(ctx, q)
	if err != nil {
		return nil, err
	}
	// The parsed constraints are applied on the goroutine too: it writes
	// only the columns' Checks, Collate, Unique and Generated fields and
	// the tables' raw definitions, which readIndexes and readForeignKeys
	// neither read nor write (they only look columns up, add references
	// and indexes).
	parsedDone := make(chan struct{}, 1) // the sender never blocks
	go func() {
		applyConstraints(tables, createSQLs)
		parsedDone <- struct{}{}
	}()
	if err := readIndexes(ctx, q, tables); err != nil {
		return nil, err
	}
	if err := readForeignKeys(ctx, q, tables); err != nil {
		return nil, err
	}
	<-parsedDone
	if catalogDone != nil {
		r := <-catalogDone
		if r.err != nil {
			return nil, r.err
		}
		st.Catalog, st.New, st.Expected = r.schema, false, r.expected
	}
	// The columns of a managed table that the catalog does not declare
	// are described as the CREATE TABLE statement writes them, so that a
	// rebuild of the table carries them over exactly (see rebuild).
	managed := map[string]map[string]bool{}
	for _, t := range st.Expected.Tables {
		cols := map[string]bool{}
		for _, c := range t.Columns {
			cols[c.Name] = true
		}
		managed[t.Name] = cols
	}
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st.Physical.Tables = append(st.Physical.Tables, tables[n].physical(managed[n]))
	}
	if err := sqlx.SelectContext(ctx, q, &st.Physical.Others, othersQuery); err != nil {
		return nil, fmt.Errorf("inspecting views: %w", err)
	}
	return st, nil
}

// Stamp implements dialect.Stamper: SQLite's schema version, which every
// change of a table, column, index, trigger or view increments (and which
// is 0 in a database that never held any), with the mode and a digest of
// the recorded schema, which are rows of the catalog tables and so no
// part of the schema. In a transaction that holds the write lock (the
// apply's BEGIN IMMEDIATE) nothing can change it meanwhile.
func (d *Dialect) Stamp(ctx context.Context, q dialect.Querier) (string, error) {
	version, err := schemaVersion(ctx, q)
	if err != nil {
		return "", err
	}
	var catalogTables int
	if err := sqlx.GetContext(ctx, q, &catalogTables, catalogTablesQuery); err != nil {
		return "", fmt.Errorf("reading the catalog's stamp: %w", err)
	}
	if catalogTables != 2 {
		return stampOf(version, nil, "", false), nil
	}
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM "`+catalog.SchemaTable+`"`); err != nil {
		return "", fmt.Errorf("reading the catalog's stamp: %w", err)
	}
	def, mode, found, err := catalog.ReadDocument(ctx, q)
	if err != nil {
		return "", err
	}
	return stampOf(version, def, mode, n > 0 && found), nil
}

// EmptyStamp implements dialect.Stamper: schema version 0, no catalog.
func (d *Dialect) EmptyStamp() string { return stampOf(0, nil, "", false) }

// schemaVersion reads PRAGMA schema_version.
func schemaVersion(ctx context.Context, q dialect.Querier) (int64, error) {
	var v int64
	if err := sqlx.GetContext(ctx, q, &v, `PRAGMA schema_version`); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return v, nil
}

// stampOf is the stamp of a database at schema version version whose
// catalog holds mode and the recorded schema def (recorded false when
// none is); mode is "" when the catalog tables do not exist.
func stampOf(version int64, def []byte, mode model.Mode, recorded bool) string {
	if mode == "" {
		return fmt.Sprintf("v%d", version)
	}
	if !recorded {
		return fmt.Sprintf("v%d %s", version, mode)
	}
	return fmt.Sprintf("v%d %s %x", version, mode, sha256.Sum256(def))
}

// decodedCatalog is the recorded schema and its expected layout, decoded
// while Inspect queries the database.
type decodedCatalog struct {
	schema   *model.Schema
	expected plan.Physical
	err      error
}

// liveTable gathers what the inspection queries say about one table.
type liveTable struct {
	name     string
	order    []string
	columns  map[string]*liveColumn
	indexes  map[string]*liveIndex
	triggers []liveTrigger
}

// liveColumn is what the inspection queries say about one column.
type liveColumn struct {
	columnInfo
	// raw is the column's definition as the CREATE TABLE statement
	// writes it (after the name), when hasRaw.
	raw    string
	hasRaw bool
}

// liveTrigger is a trigger on a table: its name and its CREATE TRIGGER
// statement as sqlite_master holds it.
type liveTrigger struct {
	name, sql string
}

// triggerSuffix marks a trigger among the indexes of a table. The plan has
// no place for triggers, yet a rebuild must create them again (DROP TABLE
// drops them): Inspect lists each trigger as an index named "<name>
// (trigger)" whose Definition is its CREATE TRIGGER statement, so that it
// reaches the plan as an unmanaged object of its table and the rebuild
// finds its SQL there. The suffix keeps it apart from an index of the same
// name (triggers have names of their own).
const triggerSuffix = " (trigger)"

type liveIndex struct {
	unique bool
	cols   []string
	where  string
}

// physical is the table as the plan sees it. managed lists the columns the
// catalog declares (nil for a table it does not know): the others are
// described by their definition as written, not normalised.
func (t *liveTable) physical(managed map[string]bool) plan.PhysicalTable {
	pt := plan.PhysicalTable{Name: t.name}
	for _, c := range t.order {
		lc := t.columns[c]
		def := lc.definition()
		if lc.hasRaw && managed != nil && !managed[c] {
			def = lc.raw
		}
		pt.Columns = append(pt.Columns, plan.PhysicalColumn{Name: c, Definition: def})
	}
	sort.Slice(pt.Columns, func(i, j int) bool { return pt.Columns[i].Name < pt.Columns[j].Name })
	for name, ix := range t.indexes {
		pt.Indexes = append(pt.Indexes, plan.PhysicalIndex{Name: name, Definition: indexDefinition(ix.unique, ix.cols, ix.where), Valid: true})
	}
	for _, tr := range t.triggers {
		pt.Indexes = append(pt.Indexes, plan.PhysicalIndex{Name: tr.name + triggerSuffix, Definition: tr.sql, Valid: true})
	}
	sort.Slice(pt.Indexes, func(i, j int) bool { return pt.Indexes[i].Name < pt.Indexes[j].Name })
	return pt
}

// readColumns reads every column of every table, and the CREATE TABLE
// statement of each table (the constraints the pragmas do not report),
// which applyConstraints applies once parsed.
func readColumns(ctx context.Context, q dialect.Querier) (tables map[string]*liveTable, createSQLs map[string]string, err error) {
	rows, err := q.QueryxContext(ctx, columnsQuery)
	if err != nil {
		return nil, nil, fmt.Errorf("inspecting tables: %w", err)
	}
	defer rows.Close()
	tables = map[string]*liveTable{}
	createSQLs = map[string]string{}
	// The values are scanned into the same variables row after row: each
	// variable that Scan takes the address of lives on the heap, and
	// fresh ones for each of thousands of rows cost as much as the rows'
	// strings.
	var table, createSQL, name string
	var typ declType
	var notNull, pk int
	var dflt sql.NullString
	// The defaults of the columns recur (0, 1, '' and the like):
	// normDefault, a pure function, runs once for each text.
	defaults := map[string]string{}
	// The columns' infos are cut from slabs, not allocated one by one;
	// a full slab is left to the infos it holds, never grown.
	var infos []liveColumn
	for rows.Next() {
		if err := rows.Scan(&table, &createSQL, &name, &typ, &notNull, &dflt, &pk); err != nil {
			return nil, nil, fmt.Errorf("inspecting tables: %w", err)
		}
		table, name = strings.ToLower(table), strings.ToLower(name)
		if strings.HasPrefix(table, model.CatalogPrefix) {
			continue
		}
		t := tables[table]
		if t == nil {
			// Sized for a table of up to 16 columns, which most are.
			t = &liveTable{name: table, columns: make(map[string]*liveColumn, 16), indexes: map[string]*liveIndex{}}
			tables[table] = t
		}
		if createSQL != "" {
			createSQLs[table] = createSQL
		}
		if len(infos) == cap(infos) {
			infos = make([]liveColumn, 0, 256)
		}
		infos = append(infos, liveColumn{columnInfo: columnInfo{Type: string(typ), PK: pk > 0, NotNull: notNull != 0}})
		ci := &infos[len(infos)-1]
		if dflt.Valid {
			d, ok := defaults[dflt.String]
			if !ok {
				d = normDefault(dflt.String)
				defaults[dflt.String] = d
			}
			ci.Default = d
		}
		t.order = append(t.order, name)
		t.columns[name] = ci
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("inspecting tables: %w", err)
	}
	return tables, createSQLs, nil
}

// declType is a column's declared type as columnsQuery reads it: 1, 2
// and 3 for INTEGER, TEXT and REAL, spelled so (CASE compares exactly);
// any other type as its text.
type declType string

// Scan implements sql.Scanner.
func (t *declType) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		switch v {
		case 1:
			*t = "INTEGER"
		case 2:
			*t = "TEXT"
		case 3:
			*t = "REAL"
		default:
			return fmt.Errorf("declared type %d: want 1, 2 or 3", v)
		}
	case string:
		*t = declType(v)
	case []byte:
		*t = declType(v)
	default:
		return fmt.Errorf("declared type of Go type %T: want a number or text", src)
	}
	return nil
}

// applyConstraints completes the columns that readColumns read with what
// their table's CREATE TABLE statement says of them. Each statement is
// parsed and applied before the next one is parsed, so that only one
// table's tokens are live at a time (and what the parser remembers, one
// result for each distinct definition): Inspect runs this while the
// schema files load, when the heap is at its largest.
func applyConstraints(tables map[string]*liveTable, createSQLs map[string]string) {
	var p tableParser
	for name, stmt := range createSQLs {
		t := tables[name]
		if t == nil {
			continue
		}
		cols := p.parse(stmt)
		for col, ci := range t.columns {
			if cc := cols[col]; cc != nil {
				ci.Checks, ci.Collate, ci.Unique, ci.Generated = cc.Checks, cc.Collate, cc.Unique, cc.Generated
				ci.raw, ci.hasRaw = cc.Raw, true
			}
		}
	}
}

func readIndexes(ctx context.Context, q dialect.Querier, tables map[string]*liveTable) error {
	rows, err := q.QueryxContext(ctx, indexesQuery)
	if err != nil {
		return fmt.Errorf("inspecting indexes: %w", err)
	}
	defer rows.Close()
	tails := map[string][]string{}
	var table, name, indexSQL, col, coll string // reused: see readColumns
	var kind, unique, partial, cid, desc, seqno int
	for rows.Next() {
		if err := rows.Scan(&kind, &table, &name, &unique, &partial, &indexSQL, &cid, &col, &desc, &coll, &seqno); err != nil {
			return fmt.Errorf("inspecting indexes: %w", err)
		}
		t := tables[strings.ToLower(table)]
		if t == nil {
			continue
		}
		name = strings.ToLower(name)
		if kind == 1 { // a trigger
			t.triggers = append(t.triggers, liveTrigger{name: name, sql: indexSQL})
			continue
		}
		ix := t.indexes[name]
		if ix == nil {
			ix = &liveIndex{unique: unique != 0}
			t.indexes[name] = ix
			if partial != 0 {
				_, ix.where = indexTail(indexSQL)
			}
		}
		var part string
		if cid == -2 {
			// An expression: pragmas do not render it, the SQL does.
			cols, ok := tails[name]
			if !ok {
				cols, _ = indexTail(indexSQL)
				tails[name] = cols
			}
			if n := len(ix.cols); n < len(cols) {
				part = cols[n]
			}
		} else {
			part = quoteIdent(strings.ToLower(col))
			if coll != "" && !strings.EqualFold(coll, "BINARY") {
				part += " COLLATE " + strings.ToUpper(coll)
			}
			if desc != 0 {
				part += " DESC"
			}
		}
		ix.cols = append(ix.cols, part)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("inspecting indexes: %w", err)
	}
	return nil
}

func readForeignKeys(ctx context.Context, q dialect.Querier, tables map[string]*liveTable) error {
	rows, err := q.QueryxContext(ctx, foreignKeysQuery)
	if err != nil {
		return fmt.Errorf("inspecting foreign keys: %w", err)
	}
	defer rows.Close()
	var table, from, parent, to, onDelete, onUpdate string // reused: see readColumns
	for rows.Next() {
		if err := rows.Scan(&table, &from, &parent, &to, &onDelete, &onUpdate); err != nil {
			return fmt.Errorf("inspecting foreign keys: %w", err)
		}
		t := tables[strings.ToLower(table)]
		if t == nil {
			continue
		}
		if ci := t.columns[strings.ToLower(from)]; ci != nil {
			ci.Refs = append(ci.Refs, refDefinition(parent, to, onDelete, onUpdate))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("inspecting foreign keys: %w", err)
	}
	return nil
}

// Expected implements dialect.Dialect: the tables of s (the profile table
// always, one per extension) with their columns and managed indexes, in
// name order, normalised as Inspect normalises what it reads. Columns are
// listed by name, not position: ALTER TABLE ADD COLUMN appends, so the
// position of a column says nothing about drift.
func (d *Dialect) Expected(s *model.Schema) plan.Physical {
	var p plan.Physical
	e := newExpecter()
	for _, t := range s.Tables() {
		p.Tables = append(p.Tables, e.table(t))
	}
	sort.Slice(p.Tables, func(i, j int) bool { return p.Tables[i].Name < p.Tables[j].Name })
	return p
}
