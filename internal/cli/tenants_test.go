package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fan-out runs the commands of one database concurrently, in process:
// every tenant's block comes out whole, and the JSON document has a result
// per tenant in the file's order. Run with -race, it checks that the
// commands share no state.
func TestFanoutInProcess(t *testing.T) {
	t.Setenv("CTXSCHEMA_DB", "")
	t.Setenv("CTXSCHEMA_TENANTS", "")
	dir := t.TempDir()
	schemas := filepath.Join(dir, "schemas")
	if err := os.MkdirAll(schemas, 0o755); err != nil {
		t.Fatal(err)
	}
	schema := "profile:\n  attributes:\n    - {name: FirstName, type: string, length: 64}\nidentification_keys:\n  - {name: idFirst, attributes: [FirstName]}\n"
	if err := os.WriteFile(filepath.Join(schemas, "s.yaml"), []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	var tf strings.Builder
	tf.WriteString("tenants:\n")
	const n = 8
	for i := 0; i < n; i++ {
		fmt.Fprintf(&tf, "  - {id: %d, name: t%d, db: \"sqlite://t%d.db\"}\n", 100+i, i, i)
	}
	file := filepath.Join(dir, "tenants.yaml")
	if err := os.WriteFile(file, []byte(tf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := NewApp(strings.NewReader(""), &stdout, &stderr).RunContext(context.Background(), append([]string{"ctxschema"}, args...))
		return stdout.String(), stderr.String(), err
	}

	out, errOut, err := run("apply", "--tenants", file, "--all-tenants", "--dir", schemas, "--auto-approve", "--parallel", "4")
	if err != nil {
		t.Fatalf("apply --all-tenants: %v\n%s", err, errOut)
	}
	// Each block is its heading, the plan, the summary line, a blank line.
	blocks := strings.Split(strings.TrimSpace(strings.Split(out, "Summary of apply")[0]), "\n\n=== ")
	if len(blocks) != n {
		t.Fatalf("%d blocks, want %d:\n%s", len(blocks), n, out)
	}
	for _, b := range blocks {
		if !strings.Contains(b, "tenant 10") || !strings.Contains(b, "+ identification key  idFirst") || !strings.HasSuffix(b, "Apply complete! 2 created, 0 updated, 0 deleted.") {
			t.Errorf("a block is not whole:\n%s", b)
		}
	}

	out, errOut, err = run("plan", "--tenants", file, "--all-tenants", "--dir", schemas, "--format", "json", "--parallel", "8")
	if err != nil {
		t.Fatalf("plan --all-tenants: %v\n%s", err, errOut)
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Tenants       []struct {
			ID      int64  `json:"id"`
			Outcome string `json:"outcome"`
			Plan    struct {
				Changes []any `json:"changes"`
			} `json:"plan"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan --all-tenants --format json: %v\n%s", err, out)
	}
	if doc.FormatVersion == "" || len(doc.Tenants) != n {
		t.Fatalf("document: %+v", doc)
	}
	for i, tn := range doc.Tenants {
		if tn.ID != int64(100+i) || tn.Outcome != "no changes" || len(tn.Plan.Changes) != 0 {
			t.Errorf("tenant %d: %+v", i, tn)
		}
	}
}
