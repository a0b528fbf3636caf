package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// Inspect implements dialect.Dialect. It reads the layout of every table of
// the connection's schema in three catalog queries (columns, keys,
// indexes), then, when the cs_ tables exist, the catalog in three more;
// the count does not depend on the number of tables.
//
// A database is New until an apply recorded a schema: without cs_ tables,
// or with cs_ tables (created by a mode switch or by the apply's own
// transaction) that hold no schema yet. Its Expected layout is then empty,
// since nothing was applied, and its Catalog the empty schema.
//
// Outside a transaction (q is the *sqlx.DB), it reads in one REPEATABLE
// READ, read-only transaction, so that every query sees the same
// snapshot while an apply changes tables; and it retries, a few times,
// the internal error that the catalog functions it calls (format_type,
// pg_get_expr, pg_get_indexdef) raise on an object dropped since the
// snapshot was taken: they look objects up as they are now.
func (d *Dialect) Inspect(ctx context.Context, q dialect.Querier) (*plan.State, error) {
	db, ok := q.(*sqlx.DB)
	if !ok {
		return d.inspect(ctx, q)
	}
	for attempt := 1; ; attempt++ {
		st, err := d.inspectSnapshot(ctx, db)
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

// inspectSnapshot runs inspect in a REPEATABLE READ, read-only
// transaction of its own.
func (d *Dialect) inspectSnapshot(ctx context.Context, db *sqlx.DB) (*plan.State, error) {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading the catalog: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	return d.inspect(ctx, tx)
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

func (d *Dialect) inspect(ctx context.Context, q dialect.Querier) (*plan.State, error) {
	tables, others, hasCatalog, err := readColumns(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := readConstraints(ctx, q, tables); err != nil {
		return nil, err
	}
	if err := readIndexes(ctx, q, tables); err != nil {
		return nil, err
	}
	st := plan.NewState()
	for _, t := range tables {
		st.Physical.Tables = append(st.Physical.Tables, t.physical())
	}
	sortPhysical(&st.Physical)
	st.Physical.Others = others
	if !hasCatalog {
		return st, nil
	}
	st.Catalog, st.Mode, err = catalog.Read(ctx, q)
	if err != nil {
		return nil, err
	}
	var recorded int
	if err := q.QueryRowxContext(ctx, `SELECT count(*) FROM "`+catalog.SchemaTable+`"`).Scan(&recorded); err != nil {
		return nil, fmt.Errorf("reading the catalog schema: %w", err)
	}
	if st.New = recorded == 0; !st.New {
		st.Expected = d.Expected(st.Catalog)
	}
	return st, nil
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

// columnsQuery reads the tables with their columns, and, with a row each
// and no column, the other relations whose names a table or an index
// cannot take (views, materialized views, sequences, foreign tables,
// composite types). A sequence that a table's identity or serial column
// owns is part of its table, and left out.
const columnsQuery = `
SELECT c.relname,
       c.relkind::text,
       coalesce(a.attname, ''),
       coalesce(format_type(a.atttypid, a.atttypmod), ''),
       coalesce(a.attnotnull, false),
       coalesce(a.attidentity::text, ''),
       coalesce(a.attgenerated::text, ''),
       coalesce(pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend dep
    WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype IN ('a', 'i')))
ORDER BY c.relname, a.attnum`

// otherKinds names the relation kinds of columnsQuery that are not tables.
var otherKinds = map[string]string{"v": "view", "m": "materialized view", "S": "sequence", "f": "foreign table", "c": "type"}

// readColumns reads every table of the schema with its columns. The cs_
// tables are not part of the layout; hasCatalog reports whether the two
// that hold the mode and the schema exist.
func readColumns(ctx context.Context, q dialect.Querier) (tables map[string]*liveTable, others []plan.PhysicalObject, hasCatalog bool, err error) {
	rows, err := q.QueryxContext(ctx, columnsQuery)
	if err != nil {
		return nil, nil, false, fmt.Errorf("reading the tables: %w", err)
	}
	defer rows.Close()
	tables = map[string]*liveTable{}
	seen := map[string]bool{}
	for rows.Next() {
		var table, kind, col, typ, identity, generated, expr string
		var notNull bool
		if err := rows.Scan(&table, &kind, &col, &typ, &notNull, &identity, &generated, &expr); err != nil {
			return nil, nil, false, fmt.Errorf("reading the tables: %w", err)
		}
		if k, ok := otherKinds[kind]; ok {
			others = append(others, plan.PhysicalObject{Name: table, Kind: k})
			continue
		}
		if strings.HasPrefix(table, model.CatalogPrefix) {
			seen[table] = true
			continue
		}
		t := tables[table]
		if t == nil {
			t = &liveTable{name: table, defs: map[string]*colDef{}}
			tables[table] = t
		}
		if col == "" {
			continue // a table without columns
		}
		c := &colDef{typ: normaliseType(typ), notNull: notNull}
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
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, fmt.Errorf("reading the tables: %w", err)
	}
	return tables, others, seen[catalog.MetaTable] && seen[catalog.SchemaTable], nil
}

const constraintsQuery = `
SELECT t.relname,
       con.contype::text,
       (SELECT json_agg(a.attname ORDER BY k.o) FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n)::text,
       coalesce(r.relname, ''),
       coalesce((SELECT json_agg(a.attname ORDER BY k.o) FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n)::text, '[]'),
       con.confdeltype::text
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_class r ON r.oid = con.confrelid
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f') AND NOT starts_with(t.relname, 'cs_')
ORDER BY t.relname, con.conname`

// onDelete spells pg_constraint.confdeltype.
var onDelete = map[string]string{"c": " on delete cascade", "r": " on delete restrict", "n": " on delete set null", "d": " on delete set default"}

// readConstraints adds primary and foreign keys to the columns they cover.
func readConstraints(ctx context.Context, q dialect.Querier, tables map[string]*liveTable) error {
	rows, err := q.QueryxContext(ctx, constraintsQuery)
	if err != nil {
		return fmt.Errorf("reading the keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, kind, colsJSON, refTable, refColsJSON, del string
		if err := rows.Scan(&table, &kind, &colsJSON, &refTable, &refColsJSON, &del); err != nil {
			return fmt.Errorf("reading the keys: %w", err)
		}
		var cols, refCols []string
		if err := json.Unmarshal([]byte(colsJSON), &cols); err != nil {
			return fmt.Errorf("reading the keys of %q: %w", table, err)
		}
		if err := json.Unmarshal([]byte(refColsJSON), &refCols); err != nil {
			return fmt.Errorf("reading the keys of %q: %w", table, err)
		}
		t := tables[table]
		if t == nil {
			continue
		}
		for _, c := range cols {
			def := t.defs[c]
			if def == nil {
				continue
			}
			switch {
			case kind == "p" && len(cols) == 1:
				def.pk = primaryKey
			case kind == "p":
				def.pk = primaryKey + " (" + strings.Join(cols, ", ") + ")"
			case len(cols) == 1:
				def.refs = append(def.refs, "references "+refTable+"("+strings.Join(refCols, ", ")+")"+onDelete[del])
			default:
				def.refs = append(def.refs, "foreign key ("+strings.Join(cols, ", ")+") references "+refTable+"("+strings.Join(refCols, ", ")+")"+onDelete[del])
			}
			sort.Strings(def.refs)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the keys: %w", err)
	}
	return nil
}

// indexesQuery reads every index but primary keys (which column
// definitions show). plain is the pg_get_indexdef text a plain btree index
// over the listed columns would have: when it equals def, the index is
// described by its columns alone.
const indexesQuery = `
SELECT t.relname,
       i.relname,
       x.indisunique,
       x.indisvalid,
       pg_get_indexdef(x.indexrelid),
       format('CREATE %sINDEX %s ON %s.%s USING btree (%s)',
              CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END,
              quote_ident(i.relname), quote_ident(n.nspname), quote_ident(t.relname),
              (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.o)
                 FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n)),
       coalesce((SELECT string_agg(a.attname, ', ' ORDER BY k.o)
                 FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n), '')
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') AND NOT x.indisprimary
  AND NOT starts_with(t.relname, 'cs_')
ORDER BY t.relname, i.relname`

func readIndexes(ctx context.Context, q dialect.Querier, tables map[string]*liveTable) error {
	rows, err := q.QueryxContext(ctx, indexesQuery)
	if err != nil {
		return fmt.Errorf("reading the indexes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, plain, cols string
		var def sql.NullString
		var unique, valid bool
		if err := rows.Scan(&table, &name, &unique, &valid, &def, &plain, &cols); err != nil {
			return fmt.Errorf("reading the indexes: %w", err)
		}
		if !def.Valid {
			// pg_get_indexdef found no index: dropped since the snapshot.
			return fmt.Errorf("reading the indexes: index %q: %w", name, errDroppedMeanwhile)
		}
		t := tables[table]
		if t == nil {
			continue
		}
		d := "(" + cols + ")"
		if def.String != plain {
			_, tail, _ := strings.Cut(def.String, " USING ")
			d = "using " + tail
		}
		if unique {
			d = "unique " + d
		}
		t.indexes = append(t.indexes, plan.PhysicalIndex{Name: name, Definition: d, Valid: valid})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the indexes: %w", err)
	}
	return nil
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
