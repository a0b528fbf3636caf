package cli

import (
	"bytes"
	"io"
	"testing"
)

// A secret written in pieces, as a tabwriter or a progress line may write
// it, is scrubbed all the same.
func TestRedactingWriterSplitWrites(t *testing.T) {
	t.Setenv("CTXSCHEMA_DB", "")
	url := "postgres://root:S3cretPw@h/db"
	text := "got " + url + "; the server said: password S3cretPw is wrong; S3cre" + "\n"
	want := "got postgres://root:xxxxx@h/db; the server said: password xxxxx is wrong; S3cre\n"
	for _, size := range []int{1, 2, 3, 7, len(text)} {
		var out bytes.Buffer
		stdout, _, flush := Redacting([]string{"ctxschema", "plan", "--db", url}, &out, io.Discard)
		for s := text; s != ""; {
			n := min(size, len(s))
			if _, err := stdout.Write([]byte(s[:n])); err != nil {
				t.Fatal(err)
			}
			s = s[n:]
		}
		flush()
		if out.String() != want {
			t.Errorf("writes of %d bytes: got %q, want %q", size, out.String(), want)
		}
	}
}

// A URL the command reads from elsewhere (a project file) is scrubbed once
// protected, even when the command line held no secret.
func TestRedactingProtect(t *testing.T) {
	t.Setenv("CTXSCHEMA_DB", "")
	var out bytes.Buffer
	stdout, stderr, flush := Redacting([]string{"ctxschema", "plan", "--env", "prod"}, &out, io.Discard)
	e := &env{stdout: stdout, stderr: stderr}
	io.WriteString(stdout, "before: S3cretPw\n")
	e.protect("postgres://u:S3cretPw@h/db")
	io.WriteString(stdout, "cannot connect to postgres://u:S3cretPw@h/db: password S3cretPw\n")
	flush()
	want := "before: S3cretPw\ncannot connect to postgres://u:xxxxx@h/db: password xxxxx\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// The HTTP target's token is masked wherever some code path would print it.
func TestRedactingAPIToken(t *testing.T) {
	t.Setenv("CTXSCHEMA_DB", "")
	t.Setenv("CTXSCHEMA_API_TOKEN", "tok-9f86d081884c")
	var out bytes.Buffer
	stdout, _, flush := Redacting([]string{"ctxschema", "plan", "--db", "http://127.0.0.1:1/cms"}, &out, io.Discard)
	io.WriteString(stdout, "GET /metadata: Authorization: Bearer tok-9f86d081884c\n")
	flush()
	if want := "GET /metadata: Authorization: Bearer xxxxx\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
