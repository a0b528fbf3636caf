package postgres

import (
	"strconv"

	"github.com/ctxschema/ctxschema/internal/model"
)

// Type conversions of an attribute's column. using is the expression an
// ALTER COLUMN ... TYPE ... USING converts each value with; badValue is the
// predicate that Data.Unconvertible counts: true for a non-null value that
// using would reject or change. The two live together so that the data check
// describes exactly what the conversion does.
//
// PostgreSQL 16 has pg_input_is_valid, but ctxschema supports 15, so string
// values are checked with regular expressions and range tests, evaluated in
// CASE branches so that no cast can fail. The checks are stricter than the
// casts where the schema files are: dates must be YYYY-MM-DD and datetimes
// ISO 8601, even though PostgreSQL would also read 'Jan 2 2020'; a string
// converts to a boolean when it is one of PostgreSQL's boolean spellings
// (true/false, yes/no, on/off, 1/0 and their prefixes).

// isoDateTimeFormat writes a timestamptz as canonical ISO 8601 UTC text, the
// form ctxschema uses for datetimes.
const isoDateTimeFormat = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`

// numeric reports whether t is stored as a number.
func numeric(t model.Type) bool {
	return t == model.Integer || t == model.Long || t == model.Double || t == model.Currency
}

// asText is the text form a value of type t takes in a string column.
func asText(col string, t model.Type) string {
	switch t {
	case model.Date:
		return "to_char(" + col + ", 'YYYY-MM-DD')"
	case model.DateTime:
		return "to_char(" + col + " AT TIME ZONE 'UTC', " + isoDateTimeFormat + ")"
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
	case from.Type == model.String:
		// Assignment of text to the target type: it fails on bad values
		// instead of silently truncating as an explicit varchar cast would.
		return col + "::" + target
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

// Regular expressions of convertible strings (PostgreSQL ARE syntax).
const (
	intRE      = `'^\s*[+-]?[0-9]+\s*$'`
	floatRE    = `'^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$'`
	currencyRE = `'^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)\s*$'`
	boolRE     = `'^\s*(t|tr|tru|true|f|fa|fal|fals|false|y|ye|yes|n|no|on|of|off|1|0)\s*$'`
	dateRE     = `'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'`
	// dateTimeRE: a date, T or space, a time, optional fraction and a UTC
	// zone (Z or +00[:00]); without a zone the value is read as UTC.
	dateTimeRE = `'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]00(:?00)?)?$'`
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
		return "char_length(" + asText(col, from.Type) + ") > " + strconv.Itoa(to.Length)
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
		return "CASE WHEN " + col + " ~ " + intRE + " THEN trim(" + col + ")::numeric NOT BETWEEN " + rangeOf(t) + " ELSE true END"
	case model.Double:
		return "CASE WHEN " + col + " ~ " + floatRE + " THEN abs(trim(" + col + ")::numeric) > 1.7976931348623157e308 ELSE true END"
	case model.Currency:
		return "CASE WHEN " + col + " ~ " + currencyRE + " THEN trim(" + col + ")::numeric NOT BETWEEN " + currencyRange +
			" OR trim(" + col + ")::numeric <> round(trim(" + col + ")::numeric, 4) ELSE true END"
	case model.Boolean:
		return col + " !~* " + boolRE
	case model.Date:
		return "CASE WHEN " + col + " ~ " + dateRE + " THEN NOT " + validDay(col) + " ELSE true END"
	case model.DateTime:
		return "CASE WHEN " + col + " ~ " + dateTimeRE + " THEN NOT " + validDay(col) + " ELSE true END"
	}
	return "true"
}

// badNumber is the predicate for a number of type from that type to cannot
// hold exactly.
func badNumber(col string, from, to model.Type) string {
	switch to {
	case model.Integer, model.Long, model.Currency:
		var conds []string
		if from == model.Double {
			// NaN and infinities have no exact numeric value.
			conds = append(conds, col+" IN ('NaN', 'Infinity', '-Infinity')")
		}
		if (from == model.Double || from == model.Currency) && to != model.Currency {
			conds = append(conds, col+"::numeric <> trunc("+col+"::numeric)")
		}
		if from == model.Double && to == model.Currency {
			conds = append(conds, col+"::numeric <> round("+col+"::numeric, 4)")
		}
		if widerThan(from, to) {
			conds = append(conds, col+"::numeric NOT BETWEEN "+rangeOf(to))
		}
		if len(conds) == 0 {
			return ""
		}
		// CASE keeps the numeric casts from seeing NaN or infinity.
		if from == model.Double {
			return "CASE WHEN " + conds[0] + " THEN true ELSE " + join(conds[1:], " OR ", "false") + " END"
		}
		return join(conds, " OR ", "")
	case model.Double:
		switch from {
		case model.Integer:
			return ""
		default:
			// Long and currency values beyond 15 or so significant digits
			// do not survive the round trip through a double.
			return col + "::numeric <> " + col + "::double precision::numeric"
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
