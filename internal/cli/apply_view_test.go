package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runApp runs the app in-process with args and returns stdout, stderr and
// the error.
func runApp(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := NewApp(strings.NewReader(""), &stdout, &stderr).Run(append([]string{"ctxschema"}, args...))
	return stdout.String(), stderr.String(), err
}

// writeSchemaDir writes one schema file into a new directory.
func writeSchemaDir(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// events decodes the lines of apply --format json, checking the fields
// every event has.
func events(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", i+1, err, line)
		}
		if ev["format_version"] != "1" {
			t.Errorf("line %d: format_version %v, want \"1\"", i+1, ev["format_version"])
		}
		ts, _ := ev["time"].(string)
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") {
			t.Errorf("line %d: time %q is not RFC 3339 in UTC", i+1, ts)
		}
		if m, _ := ev["message"].(string); m == "" {
			t.Errorf("line %d: no message", i+1)
		}
		out = append(out, ev)
	}
	return out
}

func types(evs []map[string]any) string {
	var ts []string
	for _, ev := range evs {
		s := ev["type"].(string)
		if c, ok := ev["change"].(map[string]any); ok {
			s += " " + c["object"].(map[string]any)["name"].(string)
		}
		ts = append(ts, s)
	}
	return strings.Join(ts, "\n")
}

// TestApplyJSONEvents: apply --format json writes one JSON event per line
// on stdout, and nothing on stderr: the plan, each change as it starts
// and finishes, the commit, and the outcome.
func TestApplyJSONEvents(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "t.db")
	dir := writeSchemaDir(t, "profile:\n  attributes:\n    - { name: Email, type: string }\n")
	if _, _, err := runApp(t, "apply", "--db", db, "--dir", dir, "--auto-approve"); err != nil {
		t.Fatal(err)
	}
	dir = writeSchemaDir(t, "profile:\n  attributes:\n    - { name: Email, type: string }\n    - { name: Title, type: string }\n"+
		"identification_keys:\n  - { name: idEmail, attributes: [Email] }\n")
	stdout, stderr, err := runApp(t, "apply", "--db", db, "--dir", dir, "--auto-approve", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if stderr != "" {
		t.Errorf("stderr is not empty:\n%s", stderr)
	}
	evs := events(t, stdout)
	want := "plan\nchange_start Title\nchange_done Title\nchange_start idEmail\nchange_done idEmail\ncommit\napply_complete"
	if got := types(evs); got != want {
		t.Fatalf("events:\n%s\nwant:\n%s", got, want)
	}
	plan := evs[0]["plan"].(map[string]any)
	if plan["format_version"] != "1" || len(plan["changes"].([]any)) != 2 {
		t.Errorf("the plan event does not hold the plan document: %v", plan)
	}
	if _, ok := evs[2]["elapsed_ms"].(float64); !ok {
		t.Errorf("change_done has no elapsed_ms: %v", evs[2])
	}
	if s := evs[6]["summary"].(map[string]any); s["create"] != 2.0 {
		t.Errorf("apply_complete summary %v, want 2 created", s)
	}
}

// TestApplyJSONRefusal: a refused apply ends its stream with an error
// event holding the refusal; main prints nothing more (a ReportedError),
// so the refusal appears once.
func TestApplyJSONRefusal(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "t.db")
	dir := writeSchemaDir(t, "profile:\n  attributes:\n    - { name: Email, type: string }\n    - { name: Fax, type: string }\n")
	if _, _, err := runApp(t, "apply", "--db", db, "--dir", dir, "--auto-approve"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runApp(t, "mode", "--db", db, "production"); err != nil {
		t.Fatal(err)
	}
	dir = writeSchemaDir(t, "profile:\n  attributes:\n    - { name: Email, type: string }\n")
	stdout, stderr, err := runApp(t, "apply", "--db", db, "--dir", dir, "--auto-approve", "--format", "json")
	var reported *ReportedError
	if !errors.As(err, &reported) {
		t.Fatalf("apply = %v; want a *ReportedError", err)
	}
	if stderr != "" {
		t.Errorf("stderr is not empty:\n%s", stderr)
	}
	evs := events(t, stdout)
	if got := types(evs); got != "plan\nerror" {
		t.Fatalf("events:\n%s\nwant plan, error", got)
	}
	if r, _ := evs[1]["refusal"].(map[string]any); r["reason"] != "production" {
		t.Errorf("the error event's refusal is %v, want production", evs[1]["refusal"])
	}
	// Without --auto-approve nobody could answer the prompt.
	if _, _, err := runApp(t, "apply", "--db", db, "--dir", dir, "--format", "json"); err == nil || !strings.Contains(err.Error(), "--auto-approve") {
		t.Errorf("apply --format json without --auto-approve = %v; want a refusal naming --auto-approve", err)
	}
}
