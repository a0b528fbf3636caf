package postgres

import (
	"strconv"

	"github.com/ctxschema/ctxschema/internal/model"
)

// Type conversions of an attribute's column. using is the expression an
// ALTER COLUMN ... TYPE ... USING converts each value with; badValue is the
// predicate that Data.Unconvertible counts: true for a non-null value that
// using would reject or change. The two live together so that the data check
// describes exactly what the conversion does, and a value converts only
// when the new value is exactly the old one: the rules are SQLite's
// (sqlite/convert.go), and the conformance suite runs one matrix of values
// on both dialects. No cast in a check can fail on a stored value (its
// error would carry the value): each one runs in a CASE branch after a
// regular expression and range test passed.
//
// PostgreSQL 16 has pg_input_is_valid, but ctxschema supports 15, so string
// values are checked with regular expressions and range tests. The checks
// are stricter than the casts where the schema files are: no spaces around
// a value (PostgreSQL would trim some, but not U+2003), dates must be
// YYYY-MM-DD and datetimes ISO 8601 in UTC, even though PostgreSQL would
// also read 'Jan 2 2020'; a string converts to a boolean when it is true or
// false (any case), 1 or 0.

// isoDateTimeFormat writes a timestamptz as canonical ISO 8601 UTC text, the
// form ctxschema uses for datetimes.
const isoDateTimeFormat = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`

// isoDateTimeMicros is isoDateTimeFormat with microseconds, for the
// values that hold some: a datetime turned to a string keeps them.
const isoDateTimeMicros = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`

// numeric reports whether t is stored as a number.
func numeric(t model.Type) bool {
	return t == model.Integer || t == model.Long || t == model.Double || t == model.Currency
}

// asText is the text form a value of type t takes in a string column.
func asText(col string, t model.Type) string {
	switch t {
	case model.Date:
		return "to_char(" + col + ", 'YYYY-MM-DD')"
	case model.Currency:
		// numeric(19,4) writes 4 decimals; the canonical amount has none
		// to spare (12.5), as the schema files and SQLite write it.
		return "trim_scale(" + col + ")::text"
	case model.DateTime:
		utc := col + " AT TIME ZONE 'UTC'"
		return "to_char(" + utc + ", CASE WHEN extract(microseconds FROM " + utc + ")::bigint % 1000 = 0 THEN " + isoDateTimeFormat + " ELSE " + isoDateTimeMicros + " END)"
	}
	return col + "::text"
}

// using is the USING expression converting column col from one attribute
// type to another, or "" when the new type needs none (string to string).
func using(col string, from, to model.Attribute) string {
	target := columnType(to)
	switch {
	case to.Type == model.String && from.Type == model.String:
		return ""
	case to.Type == model.String:
		return asText(col, from.Type)
	case from.Type == model.String && to.Type == model.DateTime:
		// The zone is UTC or absent (read as UTC), never the session's.
		return "(regexp_replace(" + col + ", '(Z|[+-]00:00)$', '')::timestamp AT TIME ZONE 'UTC')"
	case from.Type == model.String:
		// Assignment of text to the target type: it fails on bad values
		// instead of silently truncating as an explicit varchar cast would.
		return col + "::" + target
	case from.Type == model.Double && to.Type == model.Currency:
		// float8::numeric keeps 15 significant digits; the shortest text
		// of a double is exact.
		return col + "::text::" + target
	case from.Type == to.Type:
		return col + "::" + target
	case numeric(from.Type) && numeric(to.Type):
		return col + "::" + target
	case from.Type == model.Boolean && numeric(to.Type):
		return col + "::integer::" + target
	case numeric(from.Type) && to.Type == model.Boolean:
		return "(" + col + " <> 0)"
	case from.Type == model.Date && to.Type == model.DateTime:
		return "(" + col + "::timestamp AT TIME ZONE 'UTC')"
	case from.Type == model.DateTime && to.Type == model.Date:
		return "(" + col + " AT TIME ZONE 'UTC')::date"
	}
	// No meaningful conversion (a date to a number): going through text
	// fails on any stored value, which the data check reported already.
	return col + "::text::" + target
}

// liveAttribute is the attribute type a drifted column of physical type
// typ holds, and the expression its repair converts from: a type ctxschema
// never creates (text, json, an array) is read through its text form, so
// that a value that does not read as the attribute's type is refused by
// the data check instead of being rounded or truncated.
func liveAttribute(col, typ string) (model.Attribute, string) {
	if a, ok := attributeOfType(typ); ok {
		return a, col
	}
	return model.Attribute{Type: model.String}, col + "::text"
}

// Regular expressions of convertible strings (PostgreSQL ARE syntax).
const (
	intRE = `'^[+-]?[0-9]+$'`
	// floatRE: the exponent has at most 3 digits, so that ::numeric never
	// overflows (every double is below 1e309).
	floatRE    = `'^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$'`
	currencyRE = `'^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$'`
	boolRE     = `'^(true|false|1|0)$'`
	dateRE     = `'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'`
	// dateTimeRE: a date, T or space, a time, up to 6 fraction digits (a
	// timestamptz holds microseconds) and a UTC zone (Z or +00:00);
	// without a zone the value is read as UTC.
	dateTimeRE = `'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]00:00)?$'`
	// plainDecimalRE: the shortest text of a double that is a currency
	// amount (no exponent, at most 4 decimals).
	plainDecimalRE = `'^-?[0-9]+(\.[0-9]{1,4})?$'`
	// maxExactInteger is 2^53: every integer up to it in magnitude is
	// exact in a double.
	maxExactInteger = "9007199254740992"
)

// Ranges of the integer types and of numeric(19,4).
const (
	int32Range    = "-2147483648 AND 2147483647"
	int64Range    = "-9223372036854775808 AND 9223372036854775807"
	currencyRange = "-999999999999999.9999 AND 999999999999999.9999"
)

// rangeOf is the BETWEEN range of a numeric type, or "" for double.
func rangeOf(t model.Type) string {
	switch t {
	case model.Integer:
		return int32Range
	case model.Long:
		return int64Range
	case model.Currency:
		return currencyRange
	}
	return ""
}

// validDay is true when the YYYY-MM-DD prefix of col (which matched a date
// pattern) is a day of the calendar: year 0 does not exist and the day must
// exist in its month.
func validDay(col string) string {
	return "(substr(" + col + ", 1, 4) <> '0000' AND substr(" + col + ", 9, 2)::int <= extract(day from make_date(substr(" + col + ", 1, 4)::int, substr(" + col + ", 6, 2)::int, 1) + interval '1 month - 1 day'))"
}

// badValue is the SQL predicate, over a non-null column col, that holds for
// values that do not convert from one attribute to the other without loss;
// "" when every value converts.
func badValue(col string, from, to model.Attribute) string {
	if to.Type == model.String {
		if from.Type == model.String && (to.Length <= 0 || from.Length > 0 && from.Length <= to.Length) {
			return ""
		}
		tooLong := "char_length(" + asText(col, from.Type) + ") > " + strconv.Itoa(to.Length)
		if from.Type == model.Date || from.Type == model.DateTime {
			// Their text has no room for infinity or a year before 1 AD
			// (to_char writes '' and drops BC).
			return "NOT isfinite(" + col + ") OR " + col + " < '0001-01-01' OR " + tooLong
		}
		return tooLong
	}
	if from.Type == to.Type {
		return ""
	}
	if from.Type == model.String {
		return badString(col, to.Type)
	}
	switch {
	case from.Type == model.Boolean:
		if numeric(to.Type) {
			return ""
		}
	case numeric(from.Type) && to.Type == model.Boolean:
		return col + " NOT IN (0, 1)"
	case numeric(from.Type) && numeric(to.Type):
		return badNumber(col, from.Type, to.Type)
	case from.Type == model.Date && to.Type == model.DateTime:
		return ""
	case from.Type == model.DateTime && to.Type == model.Date:
		return "(" + col + " AT TIME ZONE 'UTC')::time <> '00:00'"
	}
	return "true"
}

// badString is the predicate for a string value that does not read as t.
func badString(col string, t model.Type) string {
	switch t {
	case model.Integer, model.Long:
		return "CASE WHEN " + col + " ~ " + intRE + " THEN " + col + "::numeric NOT BETWEEN " + rangeOf(t) + " ELSE true END"
	case model.Double:
		// At most 15 significant digits: every such decimal survives the
		// round trip through a double; a normal double (no underflow).
		return "CASE WHEN " + col + " ~ " + floatRE + " THEN length(" + significant(col) + ") > 15 OR " + col + "::numeric <> 0 AND abs(" + col + "::numeric) NOT BETWEEN 2.2250738585072014e-308 AND 1.7976931348623157e308 ELSE true END"
	case model.Currency:
		return "CASE WHEN " + col + " ~ " + currencyRE + " THEN " + col + "::numeric NOT BETWEEN " + currencyRange +
			" OR " + col + "::numeric <> round(" + col + "::numeric, 4) ELSE true END"
	case model.Boolean:
		return col + " !~* " + boolRE
	case model.Date:
		return "CASE WHEN " + col + " ~ " + dateRE + " THEN NOT " + validDay(col) + " ELSE true END"
	case model.DateTime:
		return "CASE WHEN " + col + " ~ " + dateTimeRE + " THEN NOT " + validDay(col) + " ELSE true END"
	}
	return "true"
}

// significant is the significant digits of the number text col: its
// mantissa's digits without sign, leading and trailing zeros.
func significant(col string) string {
	return "rtrim(ltrim(replace(regexp_replace(" + col + ", '[eE].*$', ''), '.', ''), '+-0'), '0')"
}

// badNumber is the predicate for a number of type from that type to cannot
// hold exactly.
func badNumber(col string, from, to model.Type) string {
	switch to {
	case model.Integer, model.Long:
		if from == model.Double {
			// Compared as doubles: no cast that could fail. 2^63 is the
			// first double beyond bigint.
			lo, hi := "-2147483648", "2147483647"
			if to == model.Long {
				return "NOT (" + col + " = trunc(" + col + ") AND " + col + " >= -9223372036854775808::float8 AND " + col + " < 9223372036854775808::float8)"
			}
			return "NOT (" + col + " = trunc(" + col + ") AND " + col + " BETWEEN " + lo + " AND " + hi + ")"
		}
		var conds []string
		if from == model.Currency {
			conds = append(conds, col+" <> trunc("+col+")")
		}
		if widerThan(from, to) {
			conds = append(conds, col+"::numeric NOT BETWEEN "+rangeOf(to))
		}
		return join(conds, " OR ", "")
	case model.Currency:
		switch from {
		case model.Double:
			// The shortest text of the double is the amount: no exponent,
			// at most 4 decimals; and it reads back as the same double.
			return "CASE WHEN abs(" + col + ") < 1e15 AND " + col + "::text ~ " + plainDecimalRE +
				" THEN " + col + "::text::numeric::float8 <> " + col + " ELSE true END"
		case model.Long:
			return col + " NOT BETWEEN " + currencyRange
		}
		return ""
	case model.Double:
		switch from {
		case model.Integer:
			return ""
		case model.Long:
			return col + " NOT BETWEEN -" + maxExactInteger + " AND " + maxExactInteger
		default:
			// A currency keeps its value in a double when it has at most
			// 15 significant digits.
			return "length(" + significant(col+"::text") + ") > 15"
		}
	}
	return ""
}

// widerThan reports whether from can hold values outside to's range.
func widerThan(from, to model.Type) bool {
	rank := map[model.Type]int{model.Integer: 1, model.Currency: 2, model.Long: 3, model.Double: 4}
	return rank[from] > rank[to]
}

func join(parts []string, sep, empty string) string {
	if len(parts) == 0 {
		return empty
	}
	s := parts[0]
	for _, p := range parts[1:] {
		s += sep + p
	}
	return s
}
