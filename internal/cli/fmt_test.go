package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileAtomicSymlink: rewriting a schema file reached through a
// symbolic link rewrites the file it points to and keeps the link (fmt
// replaced the link with a regular file, and left the shared file as it
// was).
func TestWriteFileAtomicSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "shared", "p.yaml")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "p.yaml")
	if err := os.Symlink(filepath.Join("shared", "p.yaml"), link); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(link, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a symbolic link: %v", link, fi.Mode())
	}
	got, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "new\n" {
		t.Errorf("the link's target holds %q, want the new content", got)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("target mode = %v, %v; want 0640 kept", fi.Mode().Perm(), err)
	}
}
