package cli

import (
	"strings"
	"testing"

	"github.com/ctxschema/ctxschema/internal/planfile"
)

// TestSavedDatabase: apply FILE uses the plan's database unless given
// another, refuses a database other than the plan's, and asks for the URL
// again when the plan keeps it without its password.
func TestSavedDatabase(t *testing.T) {
	plain := &planfile.File{Database: "sqlite://sp.db"}
	secret := &planfile.File{Database: "postgres://app:xxxxx@db:5432/cs", DatabaseRedacted: true}
	tests := []struct {
		name    string
		saved   *planfile.File
		given   string
		set     bool
		want    string
		wantErr []string
	}{
		{"the plan's own", plain, "sqlite://ctxschema.db", false, "sqlite://sp.db", nil},
		{"the same, given", plain, "sqlite://sp.db", true, "sqlite://sp.db", nil},
		{"another", plain, "sqlite://other.db", true, "", []string{"p.bin was made for sqlite://sp.db, not sqlite://other.db", "plan again"}},
		{"redacted, not given", secret, "sqlite://ctxschema.db", false, "", []string{"postgres://app:xxxxx@db:5432/cs", "does not keep its password", "--db or CTXSCHEMA_DB"}},
		{"redacted, given", secret, "postgres://app:s3cret@db:5432/cs", true, "postgres://app:s3cret@db:5432/cs", nil},
		{"redacted, another given", secret, "postgres://app:s3cret@other:5432/cs", true, "", []string{"not postgres://app:xxxxx@other:5432/cs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := savedDatabase("p.bin", tt.saved, tt.given, tt.set)
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %q, want an error", got)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q not in %q", s, err)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the password is in the error: %v", err)
			}
		})
	}
}
