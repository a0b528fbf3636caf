package sqlite

import (
	"iter"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// SQLite keeps no structured record of CHECK constraints or collations:
// only the text of the CREATE TABLE statement in sqlite_master.sql. This
// file holds a small tokenizer for that text and the canonical forms that
// Inspect and Expected both use, so that two spellings of one constraint
// compare equal and a changed one shows as drift.

type tokenKind int

const (
	tokWord   tokenKind = iota // bare word: keyword, identifier or function name
	tokIdent                   // quoted identifier: "x", `x` or [x]
	tokString                  // 'text'
	tokNumber                  // 12, 1.5, 1e3, 0x1F
	tokBlob                    // X'00'
	tokPunct                   // ( ) , and operators
)

type token struct {
	kind tokenKind
	text string // identifiers unquoted; everything else as written
	// pos and end locate the token in the text it was read from, so that
	// a part of a statement can be copied as written.
	pos, end int
}

// tokenize splits SQL text into tokens, dropping whitespace and comments.
// It is lenient: it never fails, and text it does not understand becomes
// punctuation tokens, which still compare as text.
func tokenize(s string) []token {
	return tokenizeInto(make([]token, 0, len(s)/4), s)
}

// tokenizeInto is tokenize appending to out, so that a caller can reuse
// one buffer.
func tokenizeInto(out []token, s string) []token {
	for i := 0; i < len(s); {
		c, start, n := s[i], i, len(out)
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				i = len(s)
			} else {
				i += end + 4
			}
		case (c == 'x' || c == 'X') && i+1 < len(s) && s[i+1] == '\'':
			j := quoted(s, i+1, '\'')
			out = append(out, token{kind: tokBlob, text: "X" + s[i+1:j]})
			i = j
		case c == '\'':
			j := quoted(s, i, '\'')
			out = append(out, token{kind: tokString, text: s[i:j]})
			i = j
		case c == '"' || c == '`':
			j := quoted(s, i, c)
			out = append(out, token{kind: tokIdent, text: unquote(s[i:j], c)})
			i = j
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				// Left open: the identifier runs to the end.
				out = append(out, token{kind: tokIdent, text: s[i+1:]})
				i = len(s)
				break
			}
			out = append(out, token{kind: tokIdent, text: s[i+1 : i+j]})
			i += j + 1
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.' ||
				(s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, token{kind: tokNumber, text: s[i:j]})
			i = j
		case isWordByte(c) || c >= 0x80:
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '$' || s[j] >= 0x80) {
				j++
			}
			out = append(out, token{kind: tokWord, text: s[i:j]})
			i = j
		default:
			j := i + 1
			if j < len(s) && strings.Contains("<>=!|", string(c)) && strings.Contains("<>=|", string(s[j])) {
				j++
			}
			out = append(out, token{kind: tokPunct, text: s[i:j]})
			i = j
		}
		if len(out) > n {
			out[n].pos, out[n].end = start, i
		}
	}
	return out
}

// quoted returns the index just past the quoted text that starts at s[i],
// where a doubled quote stands for one.
func quoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func unquote(s string, q byte) string {
	if len(s) >= 2 && s[len(s)-1] == q {
		s = s[1 : len(s)-1]
	} else {
		s = s[1:]
	}
	return strings.ReplaceAll(s, string([]byte{q, q}), string(q))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordByte(c byte) bool {
	return c == '_' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (t token) is(word string) bool { return t.kind == tokWord && strings.EqualFold(t.text, word) }

func (t token) punct(p string) bool { return t.kind == tokPunct && t.text == p }

// keyword reports whether w, upper-cased, is a bare word of expressions
// that is not an identifier. A switch, not a map filled at every start-up.
func keyword(w string) bool {
	switch w {
	case "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "GLOB", "REGEXP", "MATCH",
		"BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "AS", "COLLATE", "ESCAPE", "EXISTS", "DISTINCT",
		"TRUE", "FALSE", "ISNULL", "NOTNULL", "CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP":
		return true
	}
	return false
}

// canonExpr renders expression tokens in one canonical spelling that is
// still valid SQL: keywords upper-cased, function names lower-cased, every
// identifier lower-cased and double-quoted, one space between tokens but
// none inside parentheses or before a comma. So length(PhoneNumber)<=15 and
// LENGTH ( "phonenumber" ) <= 15 both read length("phonenumber") <= 15.
func canonExpr(ts []token) string {
	var b strings.Builder
	for i, t := range ts {
		var s string
		switch t.kind {
		case tokWord:
			up := strings.ToUpper(t.text)
			switch {
			case keyword(up):
				s = up
			case i+1 < len(ts) && ts[i+1].punct("("):
				s = strings.ToLower(t.text)
			default:
				s = quoteIdent(strings.ToLower(t.text))
			}
		case tokIdent:
			s = quoteIdent(strings.ToLower(t.text))
		default:
			s = t.text
		}
		if i > 0 {
			prev := ts[i-1]
			glue := prev.punct("(") || t.punct(")") || t.punct(",") ||
				(t.punct("(") && prevIsFunc(ts, i-1))
			if !glue {
				b.WriteByte(' ')
			}
		}
		b.WriteString(s)
	}
	return b.String()
}

// prevIsFunc reports whether ts[i] is a function name (a bare non-keyword
// word followed by a parenthesis).
func prevIsFunc(ts []token, i int) bool {
	return ts[i].kind == tokWord && !keyword(strings.ToUpper(ts[i].text))
}

// quoteIdent quotes an identifier for SQL: always double quotes, with
// embedded double quotes doubled.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteString quotes a string literal, doubling embedded single quotes.
// SQLite has no escapes in a literal, so a control character is written as
// char(N) and the literal becomes a parenthesised concatenation,
// ('a' || char(10) || 'b'): no SQL that ctxschema prints or runs holds one
// raw, so a default cannot inject a line or a terminal escape into a log.
// ALTER TABLE ADD COLUMN refuses such a default (see column.addable).
func quoteString(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	var parts, codes []string
	text := 0 // start of the text not yet in parts
	flushCodes := func() {
		if len(codes) > 0 {
			parts = append(parts, "char("+strings.Join(codes, ", ")+")")
			codes = nil
		}
	}
	for i, r := range s {
		if !unicode.IsControl(r) {
			if len(codes) > 0 {
				flushCodes()
				text = i
			}
			continue
		}
		if text < i {
			parts = append(parts, "'"+strings.ReplaceAll(s[text:i], "'", "''")+"'")
		}
		codes = append(codes, strconv.Itoa(int(r)))
		text = i + utf8.RuneLen(r)
	}
	flushCodes()
	if text < len(s) {
		parts = append(parts, "'"+strings.ReplaceAll(s[text:], "'", "''")+"'")
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

// concatenatedString reads string literals and char(N, …) calls joined by
// ||, as quoteString writes them, and returns the text they make.
func concatenatedString(ts []token) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(ts); {
		switch t := ts[i]; {
		case t.kind == tokString:
			b.WriteString(unquote(t.text, '\''))
			i++
		case t.is("char") && i+1 < len(ts) && ts[i+1].punct("("):
			i += 2
			for {
				if i+1 >= len(ts) || ts[i].kind != tokNumber {
					return "", false
				}
				n, err := strconv.ParseInt(ts[i].text, 10, 32)
				if err != nil || n < 0 || n > unicode.MaxRune {
					return "", false
				}
				b.WriteRune(rune(n))
				if ts[i+1].punct(")") {
					i += 2
					break
				}
				if !ts[i+1].punct(",") {
					return "", false
				}
				i += 2
			}
		default:
			return "", false
		}
		if i == len(ts) {
			return b.String(), true
		}
		if !ts[i].punct("||") {
			return "", false
		}
		i++
	}
	return "", false
}

// columnConstraints are the constraints of one column that PRAGMA
// table_info does not report and that are read from the table's SQL.
type columnConstraints struct {
	Checks  []string // canonical CHECK expressions, in order
	Collate string   // upper-cased collation, "" for the default
	Unique  bool
	// Generated is the canonical GENERATED ALWAYS AS (...) VIRTUAL or
	// STORED clause of a generated column, "" for a stored one.
	Generated string
	// Raw is the column's definition after its name as the statement
	// writes it (type and constraints): what a rebuild that carries the
	// column over must write again.
	Raw string
}

// parseCreateTable reads the column constraints of a CREATE TABLE
// statement, by lower-cased column name. A table-level CHECK that names
// exactly one column is attributed to that column; other table-level
// constraints are ignored (ctxschema never writes them, and the primary and
// foreign keys are read from pragmas).
func parseCreateTable(sql string) map[string]*columnConstraints {
	var p tableParser
	return p.parse(sql)
}

// tableParser is parseCreateTable for many statements in a row, as
// Inspect reads them. It remembers what each definition of the column list
// says by its text (from its first token to its last), since the same
// definitions recur from table to table ("customer_id" and its reference,
// a currency's CHECK): what a definition says depends on its tokens alone,
// and equal texts give equal tokens, so a remembered result is the one
// parsing the text again would give. It reuses one token buffer. The zero
// value is ready to use; a tableParser is not safe for concurrent use.
type tableParser struct {
	tokens []token
	memo   map[string]*definitionResult
	out    map[string]*columnConstraints // parse's result, cleared and reused
}

// definitionResult is what one definition of a CREATE TABLE statement's
// column list says.
type definitionResult struct {
	// column is true for a column definition: name is the column's
	// lower-cased name and cc its constraints. Otherwise the definition
	// is a table constraint, whose CHECKs on a single column are checks.
	column bool
	name   string
	cc     *columnConstraints
	checks []columnCheck
}

// columnCheck is a canonical CHECK expression of a table constraint that
// names one column.
type columnCheck struct {
	column, expr string
}

// parse is parseCreateTable. The map it returns is cleared and reused by
// the next call, and the constraints in it may be shared with other
// columns and other calls: the caller must not change them.
func (p *tableParser) parse(sql string) map[string]*columnConstraints {
	if p.memo == nil {
		p.memo = map[string]*definitionResult{}
		p.out = map[string]*columnConstraints{}
	}
	out := p.out
	clear(out)
	// Most statements are split without tokens (splitColumnList); only
	// the definitions not seen before are tokenized.
	if defs, ok := splitColumnList(sql); ok {
		for _, text := range defs {
			r, ok := p.memo[text]
			if !ok {
				ts := tokenizeInto(p.tokens[:0], text)
				p.tokens = ts
				r = definition(text, ts)
				p.memo[text] = r
			}
			r.apply(out)
		}
		return out
	}
	ts := tokenizeInto(p.tokens[:0], sql)
	p.tokens = ts
	start := -1
	for i, t := range ts {
		if t.punct("(") {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return out
	}
	for def := range splitTopSeq(ts[start:]) {
		if len(def) == 0 {
			continue
		}
		text := sql[def[0].pos:def[len(def)-1].end]
		r, ok := p.memo[text]
		if !ok {
			r = definition(sql, def)
			p.memo[text] = r
		}
		r.apply(out)
	}
	return out
}

// definition reads one definition of a column list, def, non-empty tokens
// of sql.
func definition(sql string, def []token) *definitionResult {
	first := def[0]
	if first.kind == tokWord && (first.is("CONSTRAINT") || first.is("PRIMARY") || first.is("UNIQUE") || first.is("CHECK") || first.is("FOREIGN")) {
		r := &definitionResult{}
		for _, chk := range checks(def) {
			if col, ok := singleColumn(chk); ok {
				r.checks = append(r.checks, columnCheck{column: col, expr: canonExpr(chk)})
			}
		}
		return r
	}
	cc := columnDefinition(sql, def)
	return &definitionResult{column: true, name: strings.ToLower(first.text), cc: &cc}
}

// apply adds what the definition says to the constraints of the columns
// defined before it, out. A table-level CHECK on a single column is
// added to a copy of the column's constraints, with Checks at full
// capacity so that the append copies them too: the remembered
// constraints stay as they were.
func (r *definitionResult) apply(out map[string]*columnConstraints) {
	if r.column {
		out[r.name] = r.cc
		return
	}
	for _, chk := range r.checks {
		if cc := out[chk.column]; cc != nil {
			c := *cc
			c.Checks = append(c.Checks[:len(c.Checks):len(c.Checks)], chk.expr)
			out[chk.column] = &c
		}
	}
}

// splitColumnList splits the column list of a CREATE TABLE statement
// (after the first parenthesis, up to the one that closes it) into the
// texts of its definitions, trimmed of whitespace and empty ones left
// out, without tokenizing: the texts are those that tokenizing and
// splitTop give, from a definition's first token to its last. It only
// tracks quotes and parentheses, so it gives up (ok false) on text where
// that could differ from the tokens: a comment (-- or /*, which the
// tokens drop) or a [bracketed] identifier outside quotes. Elsewhere a
// parenthesis or a comma outside quotes is always a token of its own
// (words, numbers and operators hold none), and a quote outside quotes
// always starts a quoted token that ends where quoted says. It gives up
// too on a quote that ends the text, which may be one left open: such a
// token runs to the end, whitespace and all, which trimming would cut.
func splitColumnList(sql string) (defs []string, ok bool) {
	i := 0
	for ; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '\'' || c == '"' || c == '`':
			if i = quoted(sql, i, c) - 1; i == len(sql)-1 {
				return nil, false // perhaps unclosed: see above
			}
		case c == '(':
			goto list
		case c == '[' || c == '-' && i+1 < len(sql) && sql[i+1] == '-' || c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			return nil, false
		}
	}
	return nil, false // no list: the tokens say so
list:
	depth, from := 0, i+1
	add := func(to int) {
		if d := trimSpace(sql[from:to]); d != "" {
			defs = append(defs, d)
		}
	}
	for i++; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '\'' || c == '"' || c == '`':
			if i = quoted(sql, i, c) - 1; i == len(sql)-1 {
				return nil, false // perhaps unclosed: see above
			}
		case c == '[' || c == '-' && i+1 < len(sql) && sql[i+1] == '-' || c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			return nil, false
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				add(i)
				return defs, true
			}
			depth--
		case c == ',' && depth == 0:
			add(i)
			from = i + 1
		}
	}
	add(len(sql))
	return defs, true
}

// trimSpace trims the bytes that tokenize skips as whitespace.
func trimSpace(s string) string {
	return strings.Trim(s, " \t\n\r\f")
}

// columnDefinition reads the constraints of one column definition, def,
// tokens of sql that start with the column's name.
func columnDefinition(sql string, def []token) columnConstraints {
	var cc columnConstraints
	if len(def) > 1 {
		cc.Raw = sql[def[1].pos:def[len(def)-1].end]
	}
	if expr, kind, ok := generated(def); ok {
		cc.Generated = "GENERATED ALWAYS AS (" + canonExpr(expr) + ") " + kind
	}
	for _, chk := range checks(def) {
		cc.Checks = append(cc.Checks, canonExpr(chk))
	}
	depth := 0
	for i, t := range def {
		switch {
		case t.punct("("):
			depth++
		case t.punct(")"):
			depth--
		case depth == 0 && t.is("COLLATE") && i+1 < len(def):
			cc.Collate = strings.ToUpper(def[i+1].text)
		case depth == 0 && t.is("UNIQUE"):
			cc.Unique = true
		}
	}
	return cc
}

// splitTop splits the tokens of a parenthesised list (starting after its
// opening parenthesis) at top-level commas, up to the closing parenthesis.
func splitTop(ts []token) [][]token {
	var out [][]token
	for part := range splitTopSeq(ts) {
		out = append(out, part)
	}
	return out
}

// splitTopSeq is splitTop as a sequence, which allocates nothing.
func splitTopSeq(ts []token) iter.Seq[[]token] {
	return func(yield func([]token) bool) {
		depth, from := 0, 0
		for i, t := range ts {
			switch {
			case t.punct("("):
				depth++
			case t.punct(")"):
				if depth == 0 {
					yield(ts[from:i])
					return
				}
				depth--
			case t.punct(",") && depth == 0:
				if !yield(ts[from:i]) {
					return
				}
				from = i + 1
			}
		}
		yield(ts[from:])
	}
}

// checks returns the expressions of the CHECK constraints in a column or
// table constraint definition.
func checks(def []token) [][]token {
	var out [][]token
	for i := 0; i < len(def); i++ {
		if def[i].is("CHECK") && i+1 < len(def) && def[i+1].punct("(") {
			body := splitTop(def[i+2:])
			n := 0
			for _, part := range body {
				n += len(part) + 1
			}
			expr := def[i+2 : i+1+n]
			out = append(out, expr)
			i += n
		}
	}
	return out
}

// generated finds the expression of a generated column's definition,
// [GENERATED ALWAYS] AS (expr) [VIRTUAL | STORED], and its kind (VIRTUAL
// when unsaid). Only a generated column has AS outside parentheses.
func generated(def []token) (expr []token, kind string, ok bool) {
	depth := 0
	for i, t := range def {
		switch {
		case t.punct("("):
			depth++
		case t.punct(")"):
			depth--
		case depth == 0 && t.is("AS") && i+1 < len(def) && def[i+1].punct("("):
			n := 0
			for _, part := range splitTop(def[i+2:]) {
				n += len(part) + 1
			}
			n = min(n, len(def)-i-1) // an unclosed parenthesis
			expr, kind = def[i+2:i+1+n], "VIRTUAL"
			if j := i + 2 + n; j < len(def) && def[j].is("STORED") {
				kind = "STORED"
			}
			return expr, kind, true
		}
	}
	return nil, "", false
}

// singleColumn returns the only identifier an expression names, if it names
// exactly one (ignoring function names and keywords).
func singleColumn(expr []token) (string, bool) {
	col := ""
	for i, t := range expr {
		name := ""
		switch {
		case t.kind == tokIdent:
			name = strings.ToLower(t.text)
		case t.kind == tokWord && !keyword(strings.ToUpper(t.text)) && !(i+1 < len(expr) && expr[i+1].punct("(")):
			name = strings.ToLower(t.text)
		default:
			continue
		}
		if col != "" && col != name {
			return "", false
		}
		col = name
	}
	return col, col != ""
}

// indexTail returns the canonical column list and WHERE clause of a CREATE
// INDEX statement: the parts of an index that pragmas do not spell out for
// expressions and partial indexes.
func indexTail(sql string) (cols []string, where string) {
	ts := tokenize(sql)
	for i, t := range ts {
		if t.punct("(") {
			parts := splitTop(ts[i+1:])
			n := 0
			for _, p := range parts {
				cols = append(cols, canonExpr(p))
				n += len(p) + 1
			}
			rest := ts[i+1+n:]
			if len(rest) > 0 && rest[0].is("WHERE") {
				where = canonExpr(rest[1:])
			}
			return cols, where
		}
	}
	return nil, ""
}

// canonicalInteger reports whether s is an unsigned decimal integer
// without leading zeros, or "" (no default): text that normDefault returns
// as it is.
func canonicalInteger(s string) bool {
	if len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// numberRE is compiled on first use, not at every start-up.
var numberRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([+-]?)0*(\d*)(?:\.(\d*?)0*)?([eE][+-]?\d+)?$`)
})

// normDefault is the canonical text of a column default as SQLite reports
// it in PRAGMA table_info (the SQL text of the DEFAULT clause) or as Render
// writes it. Numbers lose superfluous zeros and signs, strings are re-quoted,
// TRUE/FALSE become 1/0, and DEFAULT NULL is no default (""); anything else
// is a canonical expression.
func normDefault(sql string) string {
	if canonicalInteger(sql) {
		return sql // what the number's case below makes of it, without the regexp
	}
	ts := tokenize(sql)
	for len(ts) >= 2 && ts[0].punct("(") && ts[len(ts)-1].punct(")") && len(splitTop(ts[1:])) == 1 {
		ts = ts[1 : len(ts)-1]
	}
	sign := ""
	if len(ts) == 2 && (ts[0].punct("-") || ts[0].punct("+")) && ts[1].kind == tokNumber {
		sign, ts = ts[0].text, ts[1:]
	}
	if len(ts) > 1 {
		if v, ok := concatenatedString(ts); ok {
			return quoteString(v)
		}
	}
	if len(ts) == 1 {
		t := ts[0]
		switch {
		case t.is("NULL"):
			return ""
		case t.is("TRUE"):
			return "1"
		case t.is("FALSE"):
			return "0"
		case t.kind == tokString:
			return quoteString(unquote(t.text, '\''))
		case t.kind == tokNumber:
			if m := numberRE().FindStringSubmatch(sign + t.text); m != nil {
				n := m[2]
				if n == "" {
					n = "0"
				}
				if m[3] != "" {
					n += "." + m[3]
				}
				n += strings.ToLower(m[4])
				if m[1] == "-" && strings.Trim(n, "0.") != "" {
					n = "-" + n
				}
				return n
			}
		}
	}
	return canonExpr(ts)
}
