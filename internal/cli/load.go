package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/ctxschema/ctxschema/internal/quote"
	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// loadSchemas loads the schema files of dir and prints their warnings to
// stderr. Every command that reads schema files goes through it; in a
// fan-out over tenants it returns the files loaded once (env.schema).
// Invalid files give a *model.Problems (its warnings included), which main
// prints.
func loadSchemas(ctx context.Context, e *env, dir string) (*schemafile.Result, error) {
	if e.schema != nil {
		return e.schema, nil
	}
	res, err := schemafile.Load(ctx, dir)
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(e.stderr, quote.Line(w.String()))
	}
	return res, nil
}

// summary describes a loaded schema in one line, like
// "ok: 5 profile attributes, 3 extensions (14 attributes), 3 identification
// keys in 2 files".
func summary(res *schemafile.Result) string {
	s := res.Schema
	extAttrs := 0
	for _, e := range s.Extensions {
		extAttrs += len(e.Attributes)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ok: %s, %s (%s), %s in %s",
		plural(len(s.Profile), "profile attribute"),
		plural(len(s.Extensions), "extension"),
		plural(extAttrs, "attribute"),
		plural(len(s.Keys), "identification key"),
		plural(len(res.Files), "file"))
	if n := len(res.Warnings); n > 0 {
		fmt.Fprintf(&b, ", %s", plural(n, "warning"))
	}
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
