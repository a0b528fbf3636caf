package cli

import (
	"testing"

	"github.com/ctxschema/ctxschema/internal/render"
)

func TestFormatsChoose(t *testing.T) {
	fs := planFormats()
	for _, s := range []string{"text", "json", "markdown", "sql", " JSON "} {
		if f, err := fs.choose("plan", s); err != nil || f == "" {
			t.Errorf("choose(%q) = %q, %v", s, f, err)
		}
	}
	if f, _ := fs.choose("plan", "Markdown"); f != render.Markdown {
		t.Errorf("choose(Markdown) = %q", f)
	}
	_, err := fs.choose("plan", "yaml")
	if want := `unknown format "yaml" for plan; use text, json, markdown or sql`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	// Every command's --format flag lists and completes its own formats.
	f := fs.flag().(*choiceFlag)
	if f.Value != "text" || f.Usage != "output format: text, json, markdown or sql" || len(f.Choices()) != 4 {
		t.Errorf("flag = %+v, choices %q", f.StringFlag, f.Choices())
	}
}
