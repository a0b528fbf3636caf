package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Inspect implements dialect.Dialect. It reads the layout of every table of
// the connection's schema in three catalog queries (the relations with
// their columns; the indexes, primary keys included; the foreign keys),
// then, when the cs_ tables exist, the catalog in one more; the count does
// not depend on the number of tables. Each query reads pg_catalog alone,
// returns plain rows of text and aggregates nothing: attribute numbers are
// turned into column names here, from the first query's rows.
//
// A database is New until an apply recorded a schema: without cs_ tables,
// or with cs_ tables (created by a mode switch or by the apply's own
// transaction) that hold no schema yet. Its Expected layout is then empty,
// since nothing was applied, and its Catalog the empty schema.
//
// Outside a transaction (q is the *sqlx.DB, or the apply lock's
// session: dialect.SessionLock), it sends the queries in one
// round trip, between BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY and
// COMMIT in one message of the simple protocol, so that every query sees
// the same snapshot while an apply changes tables (see inspectConn); and
// it retries, a few times, the internal error that the catalog functions
// it calls (format_type, pg_get_expr, pg_get_indexdef) raise on an object
// dropped since the snapshot was taken: they look objects up as they are
// now. In a transaction (q is a *sqlx.Tx) it sends the queries one by one,
// each in one round trip.
func (d *Dialect) Inspect(ctx context.Context, q dialect.Querier) (*plan.State, error) {
	var conn func() (*sqlx.Conn, func(), error)
	switch q := q.(type) {
	case *sqlx.DB:
		conn = func() (*sqlx.Conn, func(), error) {
			c, err := q.Connx(ctx)
			if err != nil {
				return nil, nil, err
			}
			return c, func() { c.Close() }, nil
		}
	case session: // the apply lock's, outside its transaction
		conn = func() (*sqlx.Conn, func(), error) { return q.Conn, func() {}, nil }
	default:
		return d.inspectEach(ctx, q)
	}
	for attempt := 1; ; attempt++ {
		st, err := d.inspectSnapshot(ctx, conn)
		if err == nil || attempt == inspectAttempts || !droppedMeanwhile(err) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
}

// errDroppedMeanwhile is returned by a read that found an object of its
// snapshot gone from the server's caches (see droppedMeanwhile).
var errDroppedMeanwhile = errors.New("dropped while the catalog was read; plan again")

// inspectAttempts bounds the retries of Inspect (see droppedMeanwhile).
const inspectAttempts = 5

// inspectSnapshot reads the catalog in one snapshot, in one round trip on
// the pgx connection that conn returns, with the function that gives it
// back (Open always connects through pgx; the queries of this dialect
// pass pgx's exec mode as their first argument).
func (d *Dialect) inspectSnapshot(ctx context.Context, conn func() (*sqlx.Conn, func(), error)) (*plan.State, error) {
	c, done, err := conn()
	if err != nil {
		return nil, fmt.Errorf("reading the catalog: %w", err)
	}
	defer done()
	var st *plan.State
	err = c.Raw(func(dc any) error {
		pc, ok := pgConnOf(dc)
		if !ok {
			return fmt.Errorf("reading the catalog: the connection is not pgx's (%T)", dc)
		}
		var err error
		st, err = d.inspectConn(ctx, pc)
		return err
	})
	return st, err
}

// droppedMeanwhile reports whether err is the server's internal error for
// a catalog object that was dropped while a query looked at it ("cache
// lookup failed for attribute 1 of relation 16384", "could not open
// relation with OID 16384"): the same query succeeds once the drop is
// seen.
func droppedMeanwhile(err error) bool {
	if errors.Is(err, errDroppedMeanwhile) {
		return true
	}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || pg.Code != "XX000" {
		return false
	}
	return strings.HasPrefix(pg.Message, "cache lookup failed") || strings.HasPrefix(pg.Message, "could not open relation with OID")
}

// ChangedMeanwhile implements dialect.ChangeDetector: a table or column
// that does not exist (any more), or an object dropped while a query
// looked at it (see droppedMeanwhile).
func (*Dialect) ChangedMeanwhile(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (pg.Code == undefinedTable || pg.Code == undefinedColumn) {
		return true
	}
	return droppedMeanwhile(err)
}

// SQLSTATEs of an object that is not there.
const (
	undefinedTable  = "42P01"
	undefinedColumn = "42703"
)

// The queries of an inspection. Every column is text (cast where it is
// not), so that both ways Inspect sends them read the same bytes: the
// simple protocol's text rows, and database/sql's strings. The schema is
// compared by oid, looked up once (an InitPlan) in the server's cache
// rather than by a join with pg_namespace, which would make a new
// backend's planner open that catalog, its indexes and its statistics.
const (
	schemaOID = `(SELECT quote_ident(current_schema())::regnamespace)`

	// relationsQuery reads the tables with their columns, and, with a row
	// each and no column, the other relations whose names a table or an
	// index cannot take (views, materialized views, sequences, foreign
	// tables, composite types). A sequence that a table's identity or
	// serial column owns is part of its table, and left out.
	relationsQuery = `SELECT c.oid::text, c.relname, c.relkind::text, a.attnum::text, a.attname,
       format_type(a.atttypid, a.atttypmod), a.attnotnull::text, a.attidentity::text,
       a.attgenerated::text, pg_get_expr(d.adbin, d.adrelid)
FROM pg_class c
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = ` + schemaOID + ` AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
  AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend dep
    WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype IN ('a', 'i')))`

	// indexesQuery reads every index of the schema's relations: its
	// table's oid, its key columns' numbers (indkey, "1 3"), and, but for a
	// primary key (which the column definitions show), its definition.
	indexesQuery = `SELECT x.indrelid::text, i.relname, x.indisprimary::text, x.indisunique::text,
       x.indisvalid::text, x.indkey::text, CASE WHEN NOT x.indisprimary THEN pg_get_indexdef(x.indexrelid) END
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
WHERE i.relnamespace = ` + schemaOID

	// foreignKeysQuery reads the foreign keys of the schema's tables: the
	// columns' numbers ("{1,2}") on both sides, and the referenced table.
	foreignKeysQuery = `SELECT con.conrelid::text, con.conkey::text, con.confrelid::text, r.relname,
       con.confkey::text, con.confdeltype::text
FROM pg_constraint con
JOIN pg_class r ON r.oid = con.confrelid
WHERE con.connamespace = ` + schemaOID + ` AND con.contype = 'f'`

	// beginSnapshot starts the transaction of inspectConn.
	beginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
)

// catalogQuery reads the recorded mode and schema; each is NULL when its
// row is missing. The cs_ tables must exist.
var catalogQuery = `SELECT (SELECT value FROM "` + catalog.MetaTable + `" WHERE key = '` + catalog.ModeKey + `'),
       (SELECT definition FROM "` + catalog.SchemaTable + `" WHERE id = 1)`

// attributesQuery reads the column names of tables outside the schema that
// a foreign key references (see reading.missingRelations).
func attributesQuery(oids []string) string {
	return "SELECT attrelid::text, attnum::text, attname FROM pg_attribute WHERE attnum > 0 AND attrelid IN (" + strings.Join(oids, ", ") + ")"
}

// layoutQuery is one query of the layout, what reads its rows, and what
// its errors say it read.
type layoutQuery struct {
	query string
	read  func(r *reading, row [][]byte) error
	what  string
}

var layoutQueries = []layoutQuery{
	{relationsQuery, (*reading).relation, "reading the tables"},
	{indexesQuery, (*reading).index, "reading the indexes"},
	{foreignKeysQuery, (*reading).foreignKey, "reading the keys"},
}

// inspectEach runs the inspection's queries one by one on q, each in one
// round trip of the simple protocol (no statement is prepared: each runs
// once).
func (d *Dialect) inspectEach(ctx context.Context, q dialect.Querier) (*plan.State, error) {
	r := newReading()
	for _, lq := range layoutQueries {
		if err := queryRows(ctx, q, lq.query, func(row [][]byte) error { return lq.read(r, row) }); err != nil {
			return nil, fmt.Errorf("%s: %w", lq.what, err)
		}
	}
	if r.hasCatalog() {
		if err := queryRows(ctx, q, catalogQuery, r.catalogRow); err != nil {
			return nil, fmt.Errorf("reading the catalog: %w", err)
		}
	}
	if missing := r.missingRelations(); len(missing) > 0 {
		if err := queryRows(ctx, q, attributesQuery(missing), r.attribute); err != nil {
			return nil, fmt.Errorf("reading the keys: %w", err)
		}
	}
	return r.state(d)
}

// queryRows runs query on q and hands each row to read, a NULL as nil.
func queryRows(ctx context.Context, q dialect.Querier, query string, read func([][]byte) error) error {
	rows, err := q.QueryxContext(ctx, query, once)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	row := make([][]byte, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			row[i] = v
		}
		if err := read(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

// catalogKnown is the key, in a connection's pgconn CustomData, of whether
// the cs_ tables existed when the connection last looked (Open, then each
// inspection): whether inspectConn sends catalogQuery with the layout's.
const catalogKnown = "ctxschema.catalog"

// pgConnOf returns the pgx connection under a database/sql driver
// connection, if it is pgx's.
func pgConnOf(dc any) (*pgconn.PgConn, bool) {
	c, ok := dc.(*stdlib.Conn)
	if !ok {
		return nil, false
	}
	return c.Conn().PgConn(), true
}

// inspectConn reads the catalog on pc in one snapshot and, usually, one
// round trip: BEGIN, the layout's queries, the catalog's and COMMIT in one
// message. Whether to send the catalog's query is what the connection
// last saw (catalogKnown), as a query on cs_ tables that do not exist
// would fail; the layout's rows then tell: cs_ tables seen but not
// expected cost a second round trip (their query and COMMIT), expected
// but gone the failed query (the layout is read by then) and a ROLLBACK.
func (d *Dialect) inspectConn(ctx context.Context, pc *pgconn.PgConn) (st *plan.State, err error) {
	expect, _ := pc.CustomData()[catalogKnown].(bool)
	r := newReading()
	defer func() {
		// A failed statement leaves the transaction open: end it. Should
		// that fail too, stdlib discards the connection, which is in a
		// transaction or closed.
		if pc.TxStatus() != 'I' && !pc.IsClosed() {
			pc.Exec(ctx, "ROLLBACK").Close() //nolint:errcheck // see above
		}
	}()
	stmts := []layoutQuery{{query: beginSnapshot}}
	stmts = append(stmts, layoutQueries...)
	if expect {
		stmts = append(stmts, layoutQuery{catalogQuery, (*reading).catalogRow, "reading the catalog"}, layoutQuery{query: "COMMIT"})
	}
	failed, err := execMulti(ctx, pc, r, stmts)
	switch {
	case err == nil && !expect && r.hasCatalog():
		_, err = execMulti(ctx, pc, r, []layoutQuery{{catalogQuery, (*reading).catalogRow, "reading the catalog"}, {query: "COMMIT"}})
	case err == nil && !expect:
		_, err = execMulti(ctx, pc, r, []layoutQuery{{query: "COMMIT"}})
	case err != nil && expect && failed == len(stmts)-2 && !r.hasCatalog() && isSQLState(err, undefinedTable):
		err = nil // no cs_ tables: the deferred ROLLBACK ends the transaction
	}
	if err != nil {
		return nil, err
	}
	pc.CustomData()[catalogKnown] = r.hasCatalog()
	if missing := r.missingRelations(); len(missing) > 0 {
		if _, err := execMulti(ctx, pc, r, []layoutQuery{{attributesQuery(missing), (*reading).attribute, "reading the keys"}}); err != nil {
			return nil, err
		}
	}
	return r.state(d)
}

// execMulti sends stmts in one message of the simple protocol and hands
// each one's rows to its read. failed is the index of the statement that
// failed, if one did (those after it are not run).
func execMulti(ctx context.Context, pc *pgconn.PgConn, r *reading, stmts []layoutQuery) (failed int, err error) {
	queries := make([]string, len(stmts))
	for i, s := range stmts {
		queries[i] = s.query
	}
	mrr := pc.Exec(ctx, strings.Join(queries, ";\n"))
	var readErr error
	i := 0
	for ; mrr.NextResult(); i++ {
		rr := mrr.ResultReader()
		for rr.NextRow() {
			if readErr == nil && i < len(stmts) && stmts[i].read != nil {
				if err := stmts[i].read(r, rr.Values()); err != nil {
					readErr = fmt.Errorf("%s: %w", stmts[i].what, err)
				}
			}
		}
		if _, err := rr.Close(); err != nil {
			mrr.Close() //nolint:errcheck // err says why
			return i, wrapWhat(stmts, i, err)
		}
	}
	if err := mrr.Close(); err != nil {
		return i, wrapWhat(stmts, i, err)
	}
	return -1, readErr
}

// wrapWhat says which statement of stmts err is from.
func wrapWhat(stmts []layoutQuery, i int, err error) error {
	if i < len(stmts) && stmts[i].what != "" {
		return fmt.Errorf("%s: %w", stmts[i].what, err)
	}
	return fmt.Errorf("reading the catalog: %w", err)
}

// isSQLState reports whether err is a server error of SQLSTATE code.
func isSQLState(err error, code string) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == code
}

// liveTable gathers what the catalog queries say about one table.
type liveTable struct {
	name    string
	columns []string
	defs    map[string]*colDef
	indexes []plan.PhysicalIndex
}

func (t *liveTable) physical() plan.PhysicalTable {
	pt := plan.PhysicalTable{Name: t.name, Indexes: t.indexes}
	for _, c := range t.columns {
		pt.Columns = append(pt.Columns, plan.PhysicalColumn{Name: c, Definition: t.defs[c].String()})
	}
	return pt
}

// relation is a table of the schema, as the catalog queries name it by
// oid.
type relation struct {
	name string
	// table is the table of the layout; nil for a cs_ table, which is not
	// part of it.
	table *liveTable
	// columns names the columns by number (pg_attribute.attnum as text).
	columns map[string]string
}

// foreignKey is a row of foreignKeysQuery, resolved once every table's
// columns are known.
type foreignKey struct {
	table, cols, refTable, refName, refCols, onDelete string
}

// reading is an inspection's rows, as they arrive.
type reading struct {
	relations map[string]*relation // by oid
	others    []plan.PhysicalObject
	catalog   map[string]bool // the cs_ tables seen
	keys      []foreignKey
	// outside names the columns of tables outside the schema that foreign
	// keys reference, by oid and number.
	outside                map[string]map[string]string
	mode, definition       []byte
	hasMode, hasDefinition bool
}

func newReading() *reading {
	return &reading{relations: map[string]*relation{}, catalog: map[string]bool{}, outside: map[string]map[string]string{}}
}

// otherKinds names the relation kinds of relationsQuery that are not tables.
var otherKinds = map[string]string{"v": "view", "m": "materialized view", "S": "sequence", "f": "foreign table", "c": "type"}

// text is a text column, "" for NULL.
func text(b []byte) string { return string(b) }

// relation reads a row of relationsQuery.
func (r *reading) relation(row [][]byte) error {
	if len(row) != 10 {
		return fmt.Errorf("%d columns, want 10", len(row))
	}
	oid, name, kind := text(row[0]), text(row[1]), text(row[2])
	if k, ok := otherKinds[kind]; ok {
		r.others = append(r.others, plan.PhysicalObject{Name: name, Kind: k})
		return nil
	}
	rel := r.relations[oid]
	if rel == nil {
		rel = &relation{name: name, columns: map[string]string{}}
		if strings.HasPrefix(name, model.CatalogPrefix) {
			r.catalog[name] = true
		} else {
			rel.table = &liveTable{name: name, defs: map[string]*colDef{}}
		}
		r.relations[oid] = rel
	}
	if row[4] == nil {
		return nil // a table without columns
	}
	col := text(row[4])
	rel.columns[text(row[3])] = col
	t := rel.table
	if t == nil {
		return nil
	}
	typ, identity, generated, expr := text(row[5]), text(row[7]), text(row[8]), text(row[9])
	c := &colDef{typ: normaliseType(typ), notNull: text(row[6]) == "true"}
	switch {
	case generated == "s":
		c.generated = "generated always as (" + expr + ") stored"
	case expr != "":
		c.dflt = normaliseDefault(expr, c.typ)
	}
	switch identity {
	case "a":
		c.generated = identityDef
	case "d":
		c.generated = "generated by default as identity"
	}
	t.columns = append(t.columns, col)
	t.defs[col] = c
	return nil
}

// names turns attribute numbers into column names; ok is false when one
// has no name (0 stands for an expression in indkey).
func names(columns map[string]string, nums []string) (cols []string, ok bool) {
	ok = true
	for _, n := range nums {
		c, found := columns[n]
		if !found {
			ok = false
			continue
		}
		cols = append(cols, c)
	}
	return cols, ok
}

// arrayItems splits an int2[] as text ("{1,2}").
func arrayItems(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// index reads a row of indexesQuery: a primary key completes its columns'
// definitions, any other index is added to its table.
func (r *reading) index(row [][]byte) error {
	if len(row) != 7 {
		return fmt.Errorf("%d columns, want 7", len(row))
	}
	rel := r.relations[text(row[0])]
	if rel == nil || rel.table == nil {
		return nil // a cs_ table, or not a table
	}
	t, name := rel.table, text(row[1])
	cols, allNamed := names(rel.columns, strings.Fields(text(row[5])))
	if text(row[2]) == "true" {
		for _, c := range cols {
			if def := t.defs[c]; def != nil {
				def.pk = primaryKey
				if len(cols) > 1 {
					def.pk += " (" + strings.Join(cols, ", ") + ")"
				}
			}
		}
		return nil
	}
	if row[6] == nil {
		// pg_get_indexdef found no index: dropped since the snapshot.
		return fmt.Errorf("index %q: %w", name, errDroppedMeanwhile)
	}
	def := text(row[6])
	d := "(" + strings.Join(cols, ", ") + ")"
	if !allNamed || !isPlainIndex(def, cols) {
		_, tail, _ := strings.Cut(def, " USING ")
		d = "using " + tail
	}
	if text(row[3]) == "true" {
		d = "unique " + d
	}
	t.indexes = append(t.indexes, plan.PhysicalIndex{Name: name, Definition: d, Valid: text(row[4]) == "true"})
	return nil
}

// isPlainIndex reports whether def, as pg_get_indexdef writes it, is a
// plain btree index over cols: CREATE [UNIQUE ]INDEX name ON schema.table
// USING btree (col, ...), each name quoted as quote_ident would, and
// nothing else (no ONLY, operator class, collation, order, INCLUDE,
// storage parameter, NULLS NOT DISTINCT or predicate).
func isPlainIndex(def string, cols []string) bool {
	rest, ok := strings.CutPrefix(def, "CREATE ")
	if !ok {
		return false
	}
	rest = strings.TrimPrefix(rest, "UNIQUE ")
	if rest, ok = strings.CutPrefix(rest, "INDEX "); !ok {
		return false
	}
	var ident string
	if _, rest, ok = cutIdent(rest); !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, " ON "); !ok {
		return false
	}
	if _, rest, ok = cutIdent(rest); !ok { // the schema
		return false
	}
	if rest, ok = strings.CutPrefix(rest, "."); !ok {
		return false
	}
	if _, rest, ok = cutIdent(rest); !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, " USING btree ("); !ok {
		return false
	}
	for i, c := range cols {
		if i > 0 {
			if rest, ok = strings.CutPrefix(rest, ", "); !ok {
				return false
			}
		}
		if ident, rest, ok = cutIdent(rest); !ok || ident != c {
			return false
		}
	}
	return rest == ")"
}

// cutIdent cuts an identifier off the start of s, as quote_ident writes
// one: in double quotes (a quote inside doubled), or bare (lower-case
// letters, digits, _ and $).
func cutIdent(s string) (ident, rest string, ok bool) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			return b.String(), s[i+1:], true
		}
		return "", s, false
	}
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= '0' && s[n] <= '9' || s[n] == '_' || s[n] == '$') {
		n++
	}
	return s[:n], s[n:], n > 0
}

// onDelete spells pg_constraint.confdeltype.
var onDelete = map[string]string{"c": " on delete cascade", "r": " on delete restrict", "n": " on delete set null", "d": " on delete set default"}

// foreignKey reads a row of foreignKeysQuery.
func (r *reading) foreignKey(row [][]byte) error {
	if len(row) != 6 {
		return fmt.Errorf("%d columns, want 6", len(row))
	}
	r.keys = append(r.keys, foreignKey{table: text(row[0]), cols: text(row[1]), refTable: text(row[2]), refName: text(row[3]), refCols: text(row[4]), onDelete: text(row[5])})
	return nil
}

// missingRelations lists the oids of the tables outside the schema whose
// columns a foreign key of the layout references, for attributesQuery.
func (r *reading) missingRelations() []string {
	var oids []string
	seen := map[string]bool{}
	for _, k := range r.keys {
		if rel := r.relations[k.table]; rel == nil || rel.table == nil {
			continue
		}
		if r.relations[k.refTable] == nil && r.outside[k.refTable] == nil && !seen[k.refTable] {
			seen[k.refTable] = true
			oids = append(oids, k.refTable)
		}
	}
	sort.Strings(oids)
	return oids
}

// attribute reads a row of attributesQuery.
func (r *reading) attribute(row [][]byte) error {
	if len(row) != 3 {
		return fmt.Errorf("%d columns, want 3", len(row))
	}
	oid := text(row[0])
	if r.outside[oid] == nil {
		r.outside[oid] = map[string]string{}
	}
	r.outside[oid][text(row[1])] = text(row[2])
	return nil
}

// addForeignKeys adds the foreign keys to the columns they cover.
func (r *reading) addForeignKeys() {
	for _, k := range r.keys {
		rel := r.relations[k.table]
		if rel == nil || rel.table == nil {
			continue
		}
		cols, _ := names(rel.columns, arrayItems(k.cols))
		refColumns := r.outside[k.refTable]
		if ref := r.relations[k.refTable]; ref != nil {
			refColumns = ref.columns
		}
		refCols, _ := names(refColumns, arrayItems(k.refCols))
		for _, c := range cols {
			def := rel.table.defs[c]
			if def == nil {
				continue
			}
			if len(cols) == 1 {
				def.refs = append(def.refs, "references "+k.refName+"("+strings.Join(refCols, ", ")+")"+onDelete[k.onDelete])
			} else {
				def.refs = append(def.refs, "foreign key ("+strings.Join(cols, ", ")+") references "+k.refName+"("+strings.Join(refCols, ", ")+")"+onDelete[k.onDelete])
			}
			sort.Strings(def.refs)
		}
	}
}

// catalogRow reads the row of catalogQuery.
func (r *reading) catalogRow(row [][]byte) error {
	if len(row) != 2 {
		return fmt.Errorf("%d columns, want 2", len(row))
	}
	r.hasMode, r.mode = row[0] != nil, append([]byte(nil), row[0]...)
	r.hasDefinition, r.definition = row[1] != nil, append([]byte(nil), row[1]...)
	return nil
}

// hasCatalog reports whether the two cs_ tables that hold the mode and the
// schema exist.
func (r *reading) hasCatalog() bool {
	return r.catalog[catalog.MetaTable] && r.catalog[catalog.SchemaTable]
}

// state is what the rows say.
func (r *reading) state(d *Dialect) (*plan.State, error) {
	r.addForeignKeys()
	st := plan.NewState()
	for _, rel := range r.relations {
		if rel.table != nil {
			st.Physical.Tables = append(st.Physical.Tables, rel.table.physical())
		}
	}
	sortPhysical(&st.Physical)
	sort.Slice(r.others, func(i, j int) bool { return r.others[i].Name < r.others[j].Name })
	st.Physical.Others = r.others
	if !r.hasCatalog() {
		return st, nil
	}
	mode, err := catalog.ParseMode(string(r.mode), r.hasMode)
	if err != nil {
		return nil, err
	}
	st.Mode, st.Catalog = mode, &model.Schema{}
	if st.New = !r.hasDefinition; !st.New {
		if st.Catalog, err = catalog.Decode(r.definition); err != nil {
			return nil, err
		}
		st.Expected = d.Expected(st.Catalog)
	}
	return st, nil
}

var (
	// quotedConstant is a quoted literal with optional casts, as
	// pg_get_expr writes constants: '-1'::integer, 'x'::character varying.
	// Only an E'...' literal has backslash escapes: in a plain '...' one
	// (standard_conforming_strings is on since PostgreSQL 9.1, and
	// pg_get_expr switches to E'...' when it is off) a backslash is a
	// character like any other, so 'C:\' is the text C:\.
	// Each is compiled on first use, not at every start-up.
	quotedConstant = lazyRegexp(`^'((?:[^']|'')*)'(?:::[a-z][a-z0-9 _(),]*)*$`)
	escapeConstant = lazyRegexp(`^E'((?:[^'\\]|''|\\.)*)'(?:::[a-z][a-z0-9 _(),]*)*$`)
	bareConstant   = lazyRegexp(`^(?:[+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?|true|false)$`)
	nullConstant   = lazyRegexp(`^NULL(?:::[a-z][a-z0-9 _(),]*)?$`)
)

// lazyRegexp returns a function that compiles expr on its first call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// normaliseDefault turns a default expression read back from the server
// into the literal Expected writes for the same canonical default (so that
// '555'::character varying reads '555' and '2020-01-01 02:00:00+00'::
// timestamp with time zone reads '2020-01-01T02:00:00.000Z'). An expression
// that is not a constant of the column's type is kept as it is, and so
// differs from anything Expected writes. A NULL default is no default.
func normaliseDefault(expr, typ string) string {
	if nullConstant().MatchString(expr) {
		return ""
	}
	a, ok := attributeOfType(typ)
	if !ok {
		return expr
	}
	var raw string
	if m := quotedConstant().FindStringSubmatch(expr); m != nil {
		raw = strings.ReplaceAll(m[1], "''", "'")
	} else if m := escapeConstant().FindStringSubmatch(expr); m != nil {
		raw = unescapeE(m[1])
	} else if bareConstant().MatchString(expr) {
		raw = expr
	} else {
		return expr
	}
	if a.Type == model.DateTime {
		t, ok := parseTimestamp(raw)
		if !ok {
			return expr
		}
		raw = model.FormatDateTime(t)
	}
	canon, err := model.CanonicalDefault(a.Type, a.Length, raw)
	if err != nil {
		return expr
	}
	return literal(a.Type, canon)
}

// unescapeE reads the text between the quotes of an E'...' literal, with
// the escapes that quoteLiteral and the server write: \b \f \n \r \t, \xHH,
// octal \ooo, \uXXXX and \UXXXXXXXX, a backslash before any other character,
// and a doubled quote.
func unescapeE(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			if c, ok := eUnescapes[s[i]]; ok {
				b.WriteByte(c)
				continue
			}
			if r, n := numericEscape(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n - 1
				continue
			}
		case s[i] == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var eUnescapes = map[byte]byte{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// numericEscape reads the escape after a backslash at the start of s: xH or
// xHH, one to three octal digits, uXXXX or UXXXXXXXX. n is the number of
// bytes read, 0 when s starts no numeric escape.
func numericEscape(s string) (r rune, n int) {
	digits := func(from, most, base int) (rune, int) {
		end := from
		for end < len(s) && end-from < most {
			if _, err := strconv.ParseUint(s[end:end+1], base, 8); err != nil {
				break
			}
			end++
		}
		v, err := strconv.ParseUint(s[from:end], base, 32)
		if err != nil {
			return 0, 0
		}
		return rune(v), end
	}
	switch {
	case s[0] == 'x':
		return digits(1, 2, 16)
	case s[0] >= '0' && s[0] <= '7':
		return digits(0, 3, 8)
	case s[0] == 'u' && len(s) >= 5:
		if r, n := digits(1, 4, 16); n == 5 {
			return r, n
		}
	case s[0] == 'U' && len(s) >= 9:
		if r, n := digits(1, 8, 16); n == 9 {
			return r, n
		}
	}
	return 0, 0
}

// parseTimestamp reads a timestamptz as the server writes it in ISO
// DateStyle. ok is false when it has more precision than the milliseconds
// ctxschema keeps, so that such a default shows as drift.
func parseTimestamp(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999-07:00:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, t.Nanosecond()%int(time.Millisecond) == 0
		}
	}
	return time.Time{}, false
}
