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

// Without a secret among the arguments, the writers are the callers' own.
func TestRedactingWithoutSecret(t *testing.T) {
	t.Setenv("CTXSCHEMA_DB", "sqlite://x.db")
	var out bytes.Buffer
	stdout, _, _ := Redacting([]string{"ctxschema", "plan", "--dir", "s"}, &out, io.Discard)
	if stdout != io.Writer(&out) {
		t.Errorf("stdout was wrapped without a secret to scrub")
	}
}
