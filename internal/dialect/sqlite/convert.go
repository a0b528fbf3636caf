package sqlite

import (
	"strconv"
	"strings"

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
// A drift repair converts a column to its own attribute type by the same
// predicate (a hand-altered column holds what the hand put there).
//
// A value converts when the new value is exactly the old one: the text of
// a number must be the number with nothing around it, and the number must
// fit the new type without rounding. The rules, the same on PostgreSQL
// (the conformance suite runs one matrix of values on both):
//   - no text converts with spaces around it, or any other character that
//     is not part of the value;
//   - integer and long text: digits with an optional sign, in range;
//   - double text: a decimal with an optional exponent and at most 15
//     significant digits (every such decimal survives the round trip
//     through a double), and a normal double (no underflow, no overflow);
//     an integer converts to a double up to 2^53 in magnitude;
//   - currency: at most 15 digits before the point and 4 significant ones
//     after it; a double converts when its shortest text is such a
//     decimal;
//   - boolean text: true or false in any case, 1 or 0;
//   - date text: YYYY-MM-DD; datetime text: ISO 8601 in UTC (Z, +00:00 or
//     no zone) with at most 3 fraction digits, SQLite's canonical datetime
//     text holding milliseconds;
//   - a datetime converts to a date at midnight UTC only; blobs never
//     convert.

// maxExactInteger is 2^53: every integer up to it in magnitude is exact
// in a double.
const maxExactInteger = "9007199254740992"

// convertible is a SQL predicate: true when the non-null value v converts to
// the attribute type to without loss.
func convertible(v string, from, to model.Attribute) string {
	var text, integer, real string
	switch to.Type {
	case model.Integer:
		text = isInteger(v) + " AND " + digitsAtMost(v, 10) + " AND CAST(" + v + " AS INTEGER) BETWEEN -2147483648 AND 2147483647"
		integer = v + " BETWEEN -2147483648 AND 2147483647"
		real = v + " = CAST(" + v + " AS INTEGER) AND " + v + " BETWEEN -2147483648 AND 2147483647"
	case model.Long:
		d := "ltrim(" + v + ", '+-0')"
		text = isInteger(v) + " AND (length(" + d + ") < 19 OR length(" + d + ") = 19 AND (" + d + " <= '9223372036854775807' OR " + v + " GLOB '-*' AND " + d + " = '9223372036854775808'))"
		integer = "1"
		real = v + " = CAST(" + v + " AS INTEGER) AND " + v + " >= -9223372036854775808.0 AND " + v + " < 9223372036854775808.0"
	case model.Double:
		text = isNumber(v) + " AND length(" + significant(v) + ") <= 15 AND (" + significant(v) + " = '' OR abs(CAST(" + v + " AS REAL)) BETWEEN 2.2250738585072014e-308 AND 1.7976931348623157e308)"
		integer = v + " BETWEEN -" + maxExactInteger + " AND " + maxExactInteger
		real = "1"
	case model.Currency:
		text = isCurrency(v)
		// No abs(): abs(-9223372036854775808) fails with "integer overflow".
		integer = v + " BETWEEN -999999999999999 AND 999999999999999"
		s := realText(v)
		real = "abs(" + v + ") < 1e15 AND " + s + " NOT GLOB '*[eE]*' AND " + isCurrency(s)
	case model.Boolean:
		text = "lower(" + v + ") IN ('true', 'false', '0', '1')"
		integer = v + " IN (0, 1)"
		real = v + " IN (0.0, 1.0)"
	case model.Date:
		text = v + " = date(" + v + ")"
		if from.Type == model.DateTime {
			// A datetime at midnight UTC is that day.
			text += " OR " + isISODateTime(v) + " AND substr(" + isoDateTime(v) + ", 11) = 'T00:00:00.000Z'"
		}
		integer, real = "0", "0"
	case model.DateTime:
		if from.Type == model.Date {
			text = v + " = date(" + v + ")"
		} else {
			text = isISODateTime(v)
		}
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
	byType := func(text, other string) string {
		return "CASE WHEN typeof(" + v + ") = 'text' THEN " + text + " ELSE " + other + " END"
	}
	switch to.Type {
	case model.Integer, model.Long:
		return "CAST(" + v + " AS INTEGER)"
	case model.Double:
		return "CAST(" + v + " AS REAL)"
	case model.Currency:
		return "CASE typeof(" + v + ") WHEN 'text' THEN " + canonicalDecimal(v) +
			" WHEN 'real' THEN " + canonicalDecimal(realText(v)) + " ELSE CAST(" + v + " AS TEXT) END"
	case model.Boolean:
		return byType("CASE WHEN lower("+v+") IN ('true', '1') THEN 1 ELSE 0 END", "CAST("+v+" AS INTEGER)")
	case model.Date:
		return "date(" + v + ")"
	case model.DateTime:
		return isoDateTime(v)
	}
	switch from.Type {
	case model.Boolean:
		return "CASE " + v + " WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE CAST(" + v + " AS TEXT) END"
	}
	return byType(v, "CASE WHEN typeof("+v+") = 'real' THEN "+doubleText(v)+" ELSE CAST("+v+" AS TEXT) END")
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

// isISODateTime: the text t is a day of the calendar, T or a space, a time
// with at most 3 fraction digits, and Z, +00:00 or no zone. strftime reads
// each of these forms; the check that its date is t's own refuses days
// that do not exist (2021-02-29, which strftime moves to March).
func isISODateTime(t string) string {
	z := "CASE WHEN " + t + " GLOB '*Z' THEN substr(" + t + ", 1, length(" + t + ") - 1) WHEN " + t + " GLOB '*[+-]00:00' THEN substr(" + t + ", 1, length(" + t + ") - 6) ELSE " + t + " END"
	hms := "[0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
	return "((" + z + ") GLOB '[0-9][0-9]" + hms + "' OR (" + z + ") GLOB '[0-9][0-9]" + hms + ".[0-9]' OR (" + z + ") GLOB '[0-9][0-9]" + hms +
		".[0-9][0-9]' OR (" + z + ") GLOB '[0-9][0-9]" + hms + ".[0-9][0-9][0-9]') AND date(" + t + ") = substr(" + t + ", 1, 10) AND substr(" + t + ", 12, 2) < '24'"
}

// isInteger: t is digits with an optional sign.
func isInteger(t string) string {
	return "(" + t + " <> '' AND " + t + " NOT GLOB '*[^0-9]*' OR length(" + t + ") > 1 AND substr(" + t + ", 1, 1) IN ('+', '-') AND substr(" + t + ", 2) NOT GLOB '*[^0-9]*')"
}

// digitsAtMost: the integer text t has at most n digits after its sign and
// leading zeros, so that CAST cannot saturate.
func digitsAtMost(t string, n int) string {
	return "length(ltrim(" + t + ", '+-0')) <= " + strconv.Itoa(n)
}

// unsigned strips one leading sign from the text t.
func unsigned(t string) string {
	return "CASE WHEN substr(" + t + ", 1, 1) IN ('+', '-') THEN substr(" + t + ", 2) ELSE " + t + " END"
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

// significant is the significant digits of the number text t (for a
// valid one): its mantissa's digits without leading and trailing zeros,
// ” for zero.
func significant(t string) string {
	e := "instr(lower(" + t + "), 'e')"
	mantissa := "CASE WHEN " + e + " > 0 THEN substr(" + t + ", 1, " + e + " - 1) ELSE " + t + " END"
	return "rtrim(ltrim(replace(" + mantissa + ", '.', ''), '+-0'), '0')"
}

// intPart and fracPart split the unsigned decimal text s at its point.
func intPart(s string) string {
	return "CASE WHEN instr(" + s + ", '.') > 0 THEN substr(" + s + ", 1, instr(" + s + ", '.') - 1) ELSE " + s + " END"
}

func fracPart(s string) string {
	return "CASE WHEN instr(" + s + ", '.') > 0 THEN substr(" + s + ", instr(" + s + ", '.') + 1) ELSE '' END"
}

// isCurrency: the text t is a decimal with an optional sign, at most 15
// digits before the point and 4 significant ones after it.
func isCurrency(t string) string {
	s := unsigned(t)
	return "(" + isDecimal(s) + " AND length(ltrim(" + intPart(s) + ", '0')) <= 15 AND length(rtrim(" + fracPart(s) + ", '0')) <= 4)"
}

// canonicalDecimal writes the decimal text t (valid for isCurrency) as the
// canonical currency text: no plus sign, no leading or trailing zeros, no
// point without a fraction, and no minus before a zero (-0.0 is 0).
func canonicalDecimal(t string) string {
	s := unsigned(t)
	ip := "coalesce(nullif(ltrim(" + intPart(s) + ", '0'), ''), '0')"
	fp := "rtrim(" + fracPart(s) + ", '0')"
	digits := ip + " || CASE WHEN " + fp + " = '' THEN '' ELSE '.' || " + fp + " END"
	return "CASE WHEN " + t + " GLOB '-*' AND ltrim(" + s + ", '0.') <> '' THEN '-' ELSE '' END || " + digits
}

// realText is the shortest text that reads back as the real v (SQLite
// writes "5.0" and "1.0e+20").
func realText(v string) string { return "CAST(" + v + " AS TEXT)" }

// doubleText is the real v as a string attribute holds it: its shortest
// text without SQLite's ".0" on whole numbers, as PostgreSQL writes it.
func doubleText(v string) string {
	s := "replace(" + realText(v) + ", '.0e', 'e')"
	return "CASE WHEN " + s + " GLOB '*.0' THEN substr(" + s + ", 1, length(" + s + ") - 2) ELSE " + s + " END"
}

// currencyCheck is the CHECK of a currency column: its text is canonical
// (canonicalDecimal), so that equal amounts are equal texts, and fits
// numeric(19,4). SQLite's NUMERIC would round beyond 15 significant
// digits.
func currencyCheck(col string) string {
	c := quoteIdent(col)
	return strings.Join([]string{
		"(" + c + " GLOB '[0-9]*' OR " + c + " GLOB '-[0-9]*')",
		c + " NOT GLOB '?*[^0-9.]*'",
		c + " NOT GLOB '*.*.*'",
		c + " GLOB '*[0-9]'",
		c + " NOT GLOB '*.*0'",
		c + " NOT GLOB '*.?????*'",
		c + " NOT GLOB '0[0-9]*'",
		c + " NOT GLOB '-0[0-9]*'",
		c + " <> '-0'",
		"length(" + c + ") - (" + c + " GLOB '-*') - CASE WHEN instr(" + c + ", '.') > 0 THEN length(" + c + ") - instr(" + c + ", '.') + 1 ELSE 0 END <= 15",
	}, " AND ")
}
