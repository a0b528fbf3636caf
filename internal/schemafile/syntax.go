package schemafile

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ctxschema/ctxschema/internal/model"
)

// yamlLineRE is compiled on first use, not at every start-up.
var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). yaml.v3 prints the 0-based line of a parser error, and the
// 1-based line of a scanner error; see syntaxProblem.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
	"found undefined tag handle",
}

// syntaxProblem turns a yaml.v3 syntax error into a positioned problem.
//
// yaml.v3 reports a line but no column, and words it differently by stage:
// scanner errors carry the 1-based line; parser errors carry the 0-based
// line of the construct being parsed (so one is added); errors on the
// first line carry none (yaml.v3 treats line 0 as unknown); reader errors
// (bad encoding, control characters) carry none either, and are located
// here by scanning the bytes. The column is 1 unless it is known.
func syntaxProblem(file string, data []byte, err error) model.Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := model.Pos{File: file, Line: 1, Col: 1}
	if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
		msg = m[2]
		pos.Line, _ = strconv.Atoi(m[1])
		for _, p := range parserProblems {
			if msg == p {
				pos.Line++
			}
		}
	} else {
		switch {
		case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters"):
			if off := badByte(data); off >= 0 {
				pos = offsetPos(file, data, off)
			}
		case strings.HasPrefix(msg, "unknown anchor '"):
			name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
			if off := bytes.Index(data, []byte("*"+name)); off >= 0 {
				pos = offsetPos(file, data, off)
			}
		}
	}
	if lines := bytes.Count(data, []byte("\n")) + 1; pos.Line > lines {
		pos.Line = lines
	}
	return model.Problem{Pos: pos, Severity: model.SeverityError, Message: "invalid YAML: " + msg}
}

// badByte returns the offset of the first byte that is not valid UTF-8 or
// is a control character that YAML does not allow, or -1.
func badByte(data []byte) int {
	for off := 0; off < len(data); {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			return off
		}
		if !printable(r) && (r != 0xFEFF || off > 0) {
			return off
		}
		off += size
	}
	return -1
}

// offsetPos converts a byte offset of data into a 1-based line and column
// (in runes).
func offsetPos(file string, data []byte, off int) model.Pos {
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return model.Pos{File: file, Line: line, Col: utf8.RuneCount(data[start:off]) + 1}
}

// printable reports whether YAML allows r in a stream (YAML 1.2, 5.1, as
// yaml.v3's reader checks it).
func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xd7ff, r >= 0x10000 && r <= 0x10ffff:
		return true
	case r >= 0xe000 && r <= 0xfffd:
		return r != 0xfeff
	}
	return false
}

// SyntaxProblem turns a yaml.v3 error about data, read from file, into a
// problem at file:line:col, for the other YAML inputs of the CLI (the
// project file) and for fmt, which parse YAML themselves.
func SyntaxProblem(file string, data []byte, err error) model.Problem {
	return syntaxProblem(file, data, err)
}
