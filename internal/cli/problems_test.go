package cli

import (
	"bytes"
	"testing"

	"github.com/ctxschema/ctxschema/internal/model"
)

func TestAnnotation(t *testing.T) {
	for _, tc := range []struct {
		p    model.Problem
		want string
	}{
		{model.Problem{Pos: model.Pos{File: "schemas/a.yaml", Line: 3, Col: 7}, Message: `unknown field "lenght"`},
			`::error file=schemas/a.yaml,line=3,col=7::unknown field "lenght"`},
		{model.Problem{Pos: model.Pos{File: "a.yaml", Line: 2, Col: 1}, Severity: model.SeverityWarning, Message: "no unique item"},
			`::warning file=a.yaml,line=2,col=1::no unique item`},
		{model.Problem{Pos: model.Pos{File: "a.yaml"}, Message: "invalid"},
			`::error file=a.yaml::invalid`},
		{model.Problem{Message: `no schema files found in "x"`},
			`::error::no schema files found in "x"`},
		// Messages escape %, CR and LF; properties also : and ,.
		{model.Problem{Pos: model.Pos{File: "C:\\s,1%.yaml", Line: 1, Col: 1}, Message: "100% wrong:\r\nsee, a: b"},
			`::error file=C%3A\s%2C1%25.yaml,line=1,col=1::100%25 wrong:%0D%0Asee, a: b`},
		// Other control characters are escaped too, never printed raw.
		{model.Problem{Pos: model.Pos{File: "a\n::error::\x1b[2J.yaml", Line: 1}, Message: "bad \x1b]0;t\a\u009b\n::warning::x"},
			`::error file=a%0A%3A%3Aerror%3A%3A\x1b[2J.yaml,line=1::bad \x1b]0;t\a\u009b%0A::warning::x`},
	} {
		if got := annotation(tc.p); got != tc.want {
			t.Errorf("annotation(%v)\n got %s\nwant %s", tc.p, got, tc.want)
		}
	}
}

func TestWriteProblemsJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := writeProblemsJSON(&b, nil); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"format_version\": \"1\",\n  \"problems\": []\n}\n"; b.String() != want {
		t.Errorf("no problems give %q, want %q", b.String(), want)
	}
}
