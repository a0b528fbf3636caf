package sqlite

import (
	"strconv"

	"github.com/ctxschema/ctxschema/internal/model"
)

// SQLite types values, not columns: any column may hold a text, an
// integer, a real or a blob whatever its declared type (the declared type
// only nudges values that convert cleanly, "type affinity"). So a type
// change converts each value by what it holds, typeof(v), not by the type
// the attribute had.
//
// convertible is the one definition of "converts without loss": the data
// check Unconvertible counts the values for which it is false, and the
// rebuild converts only the values for which it is true and copies the
// others unchanged, so a rebuild never destroys a value even when no data
// check ran (an unconverted text then fails a CHECK or stays as it was).
//
// Limits, all on the safe side (a value may be reported that would have
// converted, never the other way round):
//   - integer text must be digits with an optional sign ("+5", "007" pass;
//     " 5 " passes, being trimmed; "5.0" does not);
//   - long text of 19 digits above 9223372036854775807 is refused, and so
//     is the one value -9223372036854775808;
//   - a real converts to long only below 9.2e18 in magnitude, and an
//     integer to double only up to 2^53;
//   - datetimes with an offset other than UTC are converted to UTC; one
//     whose date differs from its UTC date is refused;
//   - blobs never convert.

// convertible is a SQL predicate: true when the non-null value v converts to
// the attribute type to without loss.
func convertible(v string, from, to model.Attribute) string {
	t := "trim(" + v + ")"
	var text, integer, real string
	switch to.Type {
	case model.Integer:
		text = isInteger(t) + " AND CAST(" + t + " AS INTEGER) BETWEEN -2147483648 AND 2147483647"
		integer = v + " BETWEEN -2147483648 AND 2147483647"
		real = v + " = CAST(" + v + " AS INTEGER) AND " + v + " BETWEEN -2147483648 AND 2147483647"
	case model.Long:
		d := "ltrim(ltrim(" + t + ", '+-'), '0')"
		text = isInteger(t) + " AND (length(" + d + ") < 19 OR length(" + d + ") = 19 AND " + d + " <= '9223372036854775807')"
		integer = "1"
		real = v + " = CAST(" + v + " AS INTEGER) AND abs(" + v + ") < 9.2e18"
	case model.Double:
		text = isNumber(t) + " AND abs(CAST(" + t + " AS REAL)) <= 1.7976931348623157e308"
		integer = "abs(" + v + ") <= 9007199254740992"
		real = "1"
	case model.Currency:
		s := unsigned(t)
		ip := "CASE WHEN instr(" + s + ", '.') > 0 THEN substr(" + s + ", 1, instr(" + s + ", '.') - 1) ELSE " + s + " END"
		fp := "CASE WHEN instr(" + s + ", '.') > 0 THEN substr(" + s + ", instr(" + s + ", '.') + 1) ELSE '' END"
		text = isDecimal(s) + " AND length(ltrim(" + ip + ", '0')) <= 15 AND length(rtrim(" + fp + ", '0')) <= 4"
		integer = "abs(" + v + ") < 1e15"
		real = "abs(" + v + ") < 1e15 AND round(" + v + ", 4) = " + v
	case model.Boolean:
		text = "lower(" + t + ") IN ('true', 'false', '0', '1')"
		integer = v + " IN (0, 1)"
		real = v + " IN (0.0, 1.0)"
	case model.Date:
		text = "date(" + t + ") IS NOT NULL AND (date(" + t + ") = " + t +
			" OR strftime('%H:%M:%f', " + t + ") = '00:00:00.000' AND date(" + t + ") = substr(" + t + ", 1, 10))"
		integer, real = "0", "0"
	case model.DateTime:
		text = isoDateTime(t) + " IS NOT NULL AND date(" + t + ") = substr(" + t + ", 1, 10)"
		integer, real = "0", "0"
	default: // string
		ok := "1"
		if to.Length > 0 {
			ok = "length(" + converted(v, from, to) + ") <= " + strconv.Itoa(to.Length)
		}
		text, integer, real = ok, ok, ok
	}
	return "coalesce(CASE typeof(" + v + ") WHEN 'text' THEN " + text +
		" WHEN 'integer' THEN " + integer + " WHEN 'real' THEN " + real + " ELSE 0 END, 0)"
}

// converted is the SQL expression of v converted to the type to, for values
// that are convertible.
func converted(v string, from, to model.Attribute) string {
	t := "trim(" + v + ")"
	byType := func(text, other string) string {
		return "CASE WHEN typeof(" + v + ") = 'text' THEN " + text + " ELSE " + other + " END"
	}
	switch to.Type {
	case model.Integer, model.Long:
		return byType("CAST("+t+" AS INTEGER)", "CAST("+v+" AS INTEGER)")
	case model.Double:
		return byType("CAST("+t+" AS REAL)", "CAST("+v+" AS REAL)")
	case model.Currency:
		return byType("CAST("+t+" AS NUMERIC)", "CAST("+v+" AS NUMERIC)")
	case model.Boolean:
		return byType("CASE WHEN lower("+t+") IN ('true', '1') THEN 1 ELSE 0 END", "CAST("+v+" AS INTEGER)")
	case model.Date:
		return "date(" + t + ")"
	case model.DateTime:
		return isoDateTime(t)
	}
	if from.Type == model.Boolean {
		return "CASE " + v + " WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE CAST(" + v + " AS TEXT) END"
	}
	return byType(v, "CAST("+v+" AS TEXT)")
}

// convert is the value copied by a rebuild that changes an attribute's
// type: the converted value where it converts without loss, else the value
// unchanged.
func convert(v string, from, to model.Attribute) string {
	return "CASE WHEN " + v + " IS NOT NULL AND " + convertible(v, from, to) + " THEN " + converted(v, from, to) + " ELSE " + v + " END"
}

// isoDateTime renders a SQLite time value as ISO 8601 UTC with
// milliseconds, the canonical datetime text (NULL when it is no time).
func isoDateTime(t string) string { return "strftime('%Y-%m-%dT%H:%M:%fZ', " + t + ")" }

// unsigned strips one leading sign from the text t.
func unsigned(t string) string {
	return "CASE WHEN substr(" + t + ", 1, 1) IN ('+', '-') THEN substr(" + t + ", 2) ELSE " + t + " END"
}

// isInteger: t is digits with an optional sign.
func isInteger(t string) string {
	return "(" + t + " <> '' AND " + t + " NOT GLOB '*[^0-9]*' OR length(" + t + ") > 1 AND substr(" + t + ", 1, 1) IN ('+', '-') AND substr(" + t + ", 2) NOT GLOB '*[^0-9]*')"
}

// isDecimal: the unsigned text s is digits with at most one decimal point.
func isDecimal(s string) string {
	return "(" + s + " GLOB '*[0-9]*' AND " + s + " NOT GLOB '*[^0-9.]*' AND " + s + " NOT GLOB '*.*.*')"
}

// isNumber: t is a decimal with an optional sign and exponent.
func isNumber(t string) string {
	s := unsigned(t)
	e := "instr(lower(" + s + "), 'e')"
	mantissa := "CASE WHEN " + e + " > 0 THEN substr(" + s + ", 1, " + e + " - 1) ELSE " + s + " END"
	exponent := "CASE WHEN " + e + " > 0 THEN substr(" + s + ", " + e + " + 1) ELSE '0' END"
	return "(" + isDecimal("("+mantissa+")") + " AND " + isInteger("("+exponent+")") + ")"
}
