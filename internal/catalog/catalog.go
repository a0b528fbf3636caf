// Package catalog reads and writes ctxschema's own tables (prefixed cs_),
// which every dialect keeps in the same shape: the server mode, the declared
// schema as applied, and the history. The SQL here is portable; it is bound
// with sqlx.Rebind, so dialects only supply the DDL that differs.
package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
)

// The catalog tables.
const (
	MetaTable    = model.CatalogPrefix + "meta"
	SchemaTable  = model.CatalogPrefix + "schema"
	HistoryTable = model.CatalogPrefix + "history"
)

// FormatVersion is the version of the catalog layout, stored in cs_meta.
const FormatVersion = "1"

// Entry is one row of cs_history.
type Entry struct {
	ID      int64
	At      time.Time
	Kind    string
	Actor   string
	Summary string
	Detail  string
	// Revision is the source revision (git commit) the entry was made
	// from, and Run the CI run that made it; "" when unknown. Databases
	// whose cs_history predates them read as "" (see HistoryColumns).
	Revision string
	Run      string
}

// HistoryColumns are the columns cs_history gained after its first layout,
// each text. A dialect's EnsureCatalog adds those missing from an older
// database, so that its history keeps working; History reads whichever
// columns a table has.
var HistoryColumns = []string{"revision", "run"}

// document is the JSON form of a declared schema in cs_schema. Its field
// names are part of the on-disk format: never rename them.
type document struct {
	Profile    []attribute `json:"profile"`
	Extensions []extension `json:"extensions"`
	Keys       []key       `json:"keys"`
}

type attribute struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Length    int     `json:"length,omitempty"`
	Default   *string `json:"default,omitempty"`
	Mandatory bool    `json:"mandatory,omitempty"`
	Encrypt   bool    `json:"encrypt,omitempty"`
}

type extension struct {
	Name       string      `json:"name"`
	Type       string      `json:"type"`
	Attributes []attribute `json:"attributes"`
	Unique     [][]string  `json:"unique,omitempty"`
}

type key struct {
	Name       string   `json:"name"`
	Source     string   `json:"source"`
	Attributes []string `json:"attributes"`
	Unique     bool     `json:"unique,omitempty"`
}

// Encode renders s as the catalog's JSON document. Positions and rename
// instructions are not part of the stored state.
func Encode(s *model.Schema) ([]byte, error) {
	var d document
	d.Profile = encodeAttributes(s.Profile)
	d.Extensions = []extension{}
	d.Keys = []key{}
	for _, e := range s.Extensions {
		d.Extensions = append(d.Extensions, extension{Name: e.Name, Type: string(e.Type), Attributes: encodeAttributes(e.Attributes), Unique: e.Unique})
	}
	for _, k := range s.Keys {
		src := k.Source
		if src == "" {
			src = model.ProfileSource
		}
		d.Keys = append(d.Keys, key{Name: k.Name, Source: src, Attributes: k.Attributes, Unique: k.Unique})
	}
	return json.Marshal(d)
}

func encodeAttributes(as []model.Attribute) []attribute {
	out := []attribute{}
	for _, a := range as {
		out = append(out, attribute{Name: a.Name, Type: string(a.Type), Length: a.Length, Default: a.Default, Mandatory: a.Mandatory, Encrypt: a.Encrypt})
	}
	return out
}

// Decode parses a catalog JSON document.
func Decode(b []byte) (*model.Schema, error) {
	d, ok := decodeDocument(b)
	if !ok {
		// Not as Encode writes it: json.Unmarshal reads it, or says why
		// it cannot.
		d = document{}
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("catalog %s holds an unreadable schema: %w", SchemaTable, err)
		}
	}
	s := &model.Schema{Profile: decodeAttributes(d.Profile)}
	if len(d.Extensions) > 0 {
		s.Extensions = make([]model.Extension, 0, len(d.Extensions))
	}
	if len(d.Keys) > 0 {
		s.Keys = make([]model.Key, 0, len(d.Keys))
	}
	for _, e := range d.Extensions {
		s.Extensions = append(s.Extensions, model.Extension{Name: e.Name, Type: model.ExtensionType(e.Type), Attributes: decodeAttributes(e.Attributes), Unique: e.Unique})
	}
	for _, k := range d.Keys {
		s.Keys = append(s.Keys, model.Key{Name: k.Name, Source: k.Source, Attributes: k.Attributes, Unique: k.Unique})
	}
	s.Sort()
	return s, nil
}

func decodeAttributes(as []attribute) []model.Attribute {
	if len(as) == 0 {
		return nil
	}
	out := make([]model.Attribute, 0, len(as))
	for _, a := range as {
		out = append(out, model.Attribute{Name: a.Name, Type: model.Type(a.Type), Length: a.Length, Default: a.Default, Mandatory: a.Mandatory, Encrypt: a.Encrypt})
	}
	return out
}

// Read returns the recorded schema and mode. A database whose catalog
// tables exist but hold no schema yet has an empty schema; a missing mode
// row means maintenance.
func Read(ctx context.Context, q sqlx.QueryerContext) (*model.Schema, model.Mode, error) {
	def, mode, found, err := ReadDocument(ctx, q)
	if err != nil {
		return nil, "", err
	}
	if !found {
		return &model.Schema{}, mode, nil
	}
	s, err := Decode(def)
	return s, mode, err
}

// ReadDocument is Read without decoding the schema: it returns the JSON
// document that Decode reads (found is false when no schema is recorded)
// and the mode, so that a caller can decode the document while it queries
// something else.
func ReadDocument(ctx context.Context, q sqlx.QueryerContext) (def []byte, mode model.Mode, found bool, err error) {
	if mode, err = ReadMode(ctx, q); err != nil {
		return nil, "", false, err
	}
	if def, found, err = ReadDefinition(ctx, q); err != nil {
		return nil, "", false, err
	}
	return def, mode, found, nil
}

// DefinitionQuery reads the JSON document of the recorded schema: no row
// when none is recorded. It takes no argument, so that a reader that runs
// it often can prepare it.
const DefinitionQuery = "SELECT definition FROM " + SchemaTable + " WHERE id = 1"

// ReadDefinition returns the JSON document of the recorded schema, which
// Decode reads, in one query; found is false when no schema is recorded.
// The catalog tables must exist.
func ReadDefinition(ctx context.Context, q sqlx.QueryerContext) (def []byte, found bool, err error) {
	var d string
	return definition(sqlx.GetContext(ctx, q, &d, DefinitionQuery), d)
}

// ReadDefinitionWith is ReadDefinition with DefinitionQuery prepared as
// stmt.
func ReadDefinitionWith(ctx context.Context, stmt *sqlx.Stmt) (def []byte, found bool, err error) {
	var d string
	return definition(stmt.GetContext(ctx, &d), d)
}

func definition(err error, d string) ([]byte, bool, error) {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("reading the catalog schema: %w", err)
	}
	return []byte(d), true, nil
}

// ModeKey is the key of the server mode's row in cs_meta.
const ModeKey = "mode"

// ReadMode returns the recorded server mode; maintenance when none is
// recorded. The catalog tables must exist.
func ReadMode(ctx context.Context, q sqlx.QueryerContext) (model.Mode, error) {
	var m string
	err := sqlx.GetContext(ctx, q, &m, sqlx.Rebind(bindOf(q), "SELECT value FROM "+MetaTable+" WHERE key = ?"), ModeKey)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ParseMode("", false)
	case err != nil:
		return "", fmt.Errorf("reading the server mode: %w", err)
	}
	return ParseMode(m, true)
}

// ParseMode reads the value of the mode's row in cs_meta (found is false
// when there is no row: maintenance), for a dialect that reads the row
// itself.
func ParseMode(value string, found bool) (model.Mode, error) {
	if !found {
		return model.Maintenance, nil
	}
	mode := model.Mode(value)
	if !mode.Valid() {
		return "", fmt.Errorf("catalog %s holds an unknown mode %s", MetaTable, quote.Value(value))
	}
	return mode, nil
}

// Write records s as the applied schema.
func Write(ctx context.Context, q sqlx.ExtContext, s *model.Schema) error {
	b, err := Encode(s)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if _, err := q.ExecContext(ctx, "DELETE FROM "+SchemaTable); err != nil {
		return fmt.Errorf("writing the catalog schema: %w", err)
	}
	_, err = q.ExecContext(ctx, q.Rebind("INSERT INTO "+SchemaTable+" (id, definition, updated_at) VALUES (1, ?, ?)"), string(b), now)
	if err != nil {
		return fmt.Errorf("writing the catalog schema: %w", err)
	}
	return nil
}

// SetMode records the server mode.
func SetMode(ctx context.Context, q sqlx.ExtContext, m model.Mode) error {
	if _, err := q.ExecContext(ctx, q.Rebind("DELETE FROM "+MetaTable+" WHERE key = ?"), ModeKey); err != nil {
		return fmt.Errorf("writing the server mode: %w", err)
	}
	if _, err := q.ExecContext(ctx, q.Rebind("INSERT INTO "+MetaTable+" (key, value) VALUES (?, ?)"), ModeKey, string(m)); err != nil {
		return fmt.Errorf("writing the server mode: %w", err)
	}
	return nil
}

// Append adds one entry to the history; At defaults to now.
func Append(ctx context.Context, q sqlx.ExtContext, e Entry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := q.ExecContext(ctx, q.Rebind("INSERT INTO "+HistoryTable+" (at, kind, actor, summary, detail, revision, run) VALUES (?, ?, ?, ?, ?, ?, ?)"),
		e.At.UTC().Format(time.RFC3339Nano), e.Kind, e.Actor, e.Summary, e.Detail, e.Revision, e.Run)
	if err != nil {
		return fmt.Errorf("writing the history: %w", err)
	}
	return nil
}

// History lists the history, oldest first. It reads the columns by name,
// so that a database whose cs_history predates a column (HistoryColumns)
// reads without it, as "": reading never alters the database.
func History(ctx context.Context, q sqlx.QueryerContext) ([]Entry, error) {
	const query = "SELECT * FROM " + HistoryTable + " ORDER BY id"
	rows, err := q.QueryxContext(ctx, query)
	if err != nil {
		// A connection that read the history before an apply added a
		// column holds a prepared statement of the old shape: PostgreSQL
		// refuses it once ("cached plan must not change result type") and
		// the driver drops it, so the query runs again, prepared anew.
		if rows, err = q.QueryxContext(ctx, query); err != nil {
			return nil, fmt.Errorf("reading the history: %w", err)
		}
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("reading the history: %w", err)
	}
	var out []Entry
	for rows.Next() {
		var e Entry
		var id sql.NullInt64
		text := map[string]*sql.NullString{}
		dest := make([]any, len(cols))
		for i, c := range cols {
			if c == "id" {
				dest[i] = &id
				continue
			}
			v := new(sql.NullString)
			text[c] = v
			dest[i] = v
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("reading the history: %w", err)
		}
		get := func(c string) string {
			if v, ok := text[c]; ok {
				return v.String
			}
			return ""
		}
		e.ID = id.Int64
		e.At, _ = time.Parse(time.RFC3339Nano, get("at"))
		e.Kind, e.Actor, e.Summary, e.Detail = get("kind"), get("actor"), get("summary"), get("detail")
		e.Revision, e.Run = get("revision"), get("run")
		out = append(out, e)
	}
	return out, rows.Err()
}

// bindOf returns the bind type of q when it knows its driver.
func bindOf(q sqlx.QueryerContext) int {
	if d, ok := q.(interface{ DriverName() string }); ok {
		return sqlx.BindType(d.DriverName())
	}
	return sqlx.QUESTION
}
