package model

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ctxschema/ctxschema/internal/quote"
)

// CanonicalDefault checks that raw is a valid default for an attribute of
// type t (and, for strings, at most length characters) and returns its
// canonical text: the form that is stored in the catalog and compared by the
// planner, so that `0`, `00` and `+0` are one default. The error says what is
// wrong with the value, without position.
func CanonicalDefault(t Type, length int, raw string) (string, error) {
	switch t {
	case String:
		if n := len([]rune(raw)); length > 0 && n > length {
			return "", fmt.Errorf("default %s is %d characters, longer than the length %d", quote.Value(raw), n, length)
		}
		if strings.ContainsRune(raw, 0) {
			return "", fmt.Errorf("default %q holds a NUL character, which PostgreSQL cannot store; remove it", raw)
		}
		return raw, nil
	case Integer, Long:
		bits, what := 64, "a long"
		if t == Integer {
			bits, what = 32, "an integer"
		}
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, bits)
		if err != nil {
			return "", fmt.Errorf("default %s is not %s (a whole number of %d bits)", quote.Value(raw), what, bits)
		}
		return strconv.FormatInt(n, 10), nil
	case Double:
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "", fmt.Errorf("default %s is not a finite double", quote.Value(raw))
		}
		out := strconv.FormatFloat(f, 'g', -1, 64)
		// The default is what the database stores: a decimal that a double
		// cannot hold (1e-400 underflows to 0, 9007199254740993 rounds) is
		// refused rather than changed.
		if want, ok := new(big.Rat).SetString(strings.TrimSpace(raw)); !ok || want.Cmp(mustRat(out)) != 0 {
			return "", fmt.Errorf("default %q is not exactly a double (it would be stored as %s); write the value a double holds", raw, out)
		}
		// Negative zero is zero: -0 == 0, and neither dialect keeps the
		// sign through a DEFAULT (PostgreSQL reads -0 as the integer 0
		// negated, SQLite stores the integer 0), so a canonical -0 would
		// never read back as written.
		if f == 0 {
			out = "0"
		}
		return out, nil
	case Currency:
		return canonicalCurrency(raw)
	case Boolean:
		b, ok := ParseBool(raw)
		if !ok {
			return "", fmt.Errorf("default %s is not a boolean (true or false)", quote.Value(raw))
		}
		return strconv.FormatBool(b), nil
	case Date:
		d, err := time.Parse("2006-01-02", raw)
		if err != nil {
			return "", fmt.Errorf("default %s is not a date (YYYY-MM-DD)", quote.Value(raw))
		}
		if d.Year() < 1 {
			return "", fmt.Errorf("default %q is in year 0, which no calendar of the databases has; use a date from 0001-01-01 to 9999-12-31", raw)
		}
		return d.Format("2006-01-02"), nil
	case DateTime:
		ts, err := ParseDateTime(raw)
		if err != nil {
			return "", fmt.Errorf("default %s is not an ISO 8601 UTC datetime (like 1981-03-17T02:00:00.000Z)", quote.Value(raw))
		}
		if ts.Year() < 1 {
			return "", fmt.Errorf("default %q is in year 0, which no calendar of the databases has; use a datetime from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z", raw)
		}
		if ts.Nanosecond()%int(time.Millisecond) != 0 {
			// The canonical text holds milliseconds, as Context Services
			// and SQLite do: finer digits would be dropped.
			return "", fmt.Errorf("default %q is finer than a millisecond; write at most 3 fraction digits", raw)
		}
		return FormatDateTime(ts), nil
	}
	return "", fmt.Errorf("unknown type %q", t)
}

// mustRat reads a decimal that strconv wrote.
func mustRat(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

// currencyRE is compiled on first use, not at every start-up.
var currencyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[+-]?(\d+)(\.(\d+))?$`) })

// canonicalCurrency accepts a decimal with at most 15 integer and 4 fraction
// digits (numeric(19,4)) and writes it without superfluous zeros.
func canonicalCurrency(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	m := currencyRE().FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("default %s is not a currency amount (a decimal like 12.50)", quote.Value(raw))
	}
	intPart := strings.TrimLeft(m[1], "0")
	frac := strings.TrimRight(m[3], "0")
	if len(intPart) > 15 || len(frac) > 4 {
		return "", fmt.Errorf("default %s does not fit a currency (15 digits before the point, 4 after)", quote.Value(raw))
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", fmt.Errorf("default %s is not a currency amount", quote.Value(raw))
	}
	out := r.FloatString(len(frac))
	return out, nil
}

// ParseBool accepts the booleans of the schema files: true and false in any
// case (the Context Services documents write them as strings).
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// ParseDateTime parses an ISO 8601 datetime in UTC: a trailing Z or a zero
// offset, with or without fractional seconds.
func ParseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	if _, off := t.Zone(); off != 0 {
		return time.Time{}, errors.New("not UTC")
	}
	return t.UTC(), nil
}

// FormatDateTime writes t as the canonical ISO 8601 UTC text with
// milliseconds, the form Context Services uses.
func FormatDateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// reserved reports whether w is one of the words refused as names; w is
// lower-cased. A switch, not a map: the compiler builds its search, where a
// map would be filled at every start-up.
func reserved(w string) bool {
	switch w {
	case "extension", "none", "profile", "service", "state", "task",
		"alter", "by", "comment", "constraint", "create", "cursor", "database", "delete", "from", "having",
		"identity", "index", "inner", "insert", "is", "join", "left", "null", "order", "outer", "prepare",
		"primary", "procedure", "return", "right", "select", "set", "size", "table", "truncate", "union",
		"update", "when", "where",
		"bigint", "binary", "bit", "blob", "boolean", "char", "clob", "currency", "date", "datetime",
		"decimal", "double", "float", "int", "integer", "long", "longvarbinary", "money", "nchar",
		"number", "numeric", "real", "smalldatetime", "smallint", "smallmoney", "string", "time",
		"timestamp", "tinyint", "varbinary", "varchar", "varchar2":
		return true
	}
	return false
}

// Reserved reports whether name is a reserved word (case-insensitive).
func Reserved(name string) bool {
	var buf [16]byte // longer than any reserved word
	if len(name) > len(buf) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return reserved(string(buf[:len(name)]))
}

// ownedColumns are the column names, lower-cased, that the layout or a
// database engine owns in a table, and who owns each. record_id is refused
// in every table, not only in multi-valued extensions, because an
// extension can become multi-valued later.
var ownedColumns = map[string]string{
	CustomerIDColumn: "the column that holds the customer id in every table",
	RecordIDColumn:   "the record key of multi-valued extensions (any extension may become one)",
	"ctid":           "a PostgreSQL system column",
	"xmin":           "a PostgreSQL system column",
	"xmax":           "a PostgreSQL system column",
	"cmin":           "a PostgreSQL system column",
	"cmax":           "a PostgreSQL system column",
	"tableoid":       "a PostgreSQL system column",
	"oid":            "a name of SQLite's row key, and a system column of PostgreSQL before version 12",
	"rowid":          "SQLite's name for the row key, which a column so named would hide",
	"_rowid_":        "SQLite's name for the row key, which a column so named would hide",
}

// CheckAttributeName returns a problem with name as the name of an
// attribute, or nil when it is valid: CheckName's, or that the column it
// becomes (the name lower-cased) is owned by the layout or by a database
// engine, or starts with CatalogPrefix.
func CheckAttributeName(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	// CheckName passed: name is ASCII, at most MaxNameLength bytes. It is
	// lowered on the stack: every attribute of the files is checked.
	var buf [MaxNameLength]byte
	col := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		col[i] = c
	}
	if owner, ok := ownedColumns[string(col)]; ok {
		return fmt.Errorf("name %q is the column %s, %s", name, string(col), owner)
	}
	if strings.HasPrefix(string(col), CatalogPrefix) {
		return fmt.Errorf("name %q starts with %s, which ctxschema reserves for its own names", name, CatalogPrefix)
	}
	return nil
}

// plainName reports whether name matches ^[A-Za-z][A-Za-z0-9_]*$ (a loop:
// every attribute's name is checked several times while loading, and a
// regular expression would also be compiled at every start-up).
func plainName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return name != ""
}

// CheckName returns a problem with name as the name of an extension, key or
// attribute, or nil when it is valid.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case !plainName(name):
		return fmt.Errorf("name %s must start with a letter and hold only letters, digits and underscores", quote.Value(name))
	case len(name) > MaxNameLength:
		return fmt.Errorf("name %s is %d characters, longer than %d", quote.Value(name), len(name), MaxNameLength)
	case Reserved(name):
		return fmt.Errorf("name %s is a reserved word", quote.Value(name))
	}
	return nil
}
