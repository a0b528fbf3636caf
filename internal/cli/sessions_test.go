package cli

import (
	"testing"

	"github.com/ctxschema/ctxschema/internal/pgtest"
)

// TestApplyOneSessionPostgres pins the sessions (server backends) that
// `apply` opens on PostgreSQL: one, whatever the plan. The read of the
// database while the schema files load is made on the connection the
// apply then runs on (dialect.QuietOpener), and the lock, the
// transaction, the online builds and the convergence check share it
// (dialect.SessionLock). It was three: a read-only read-ahead, the lock's
// and the transaction's.
func TestApplyOneSessionPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const withFax = `
profile:
  attributes:
    - { name: EmailAddress, type: string, length: 64 }
extensions:
  - name: Fax
    type: single-valued
    attributes:
      - { name: FaxNumber, type: string, length: 20 }
`
	for _, c := range []struct {
		name, schema string
		// rows, when set, fills the profile first.
		rows string
	}{
		{"first apply", withFax, ""},
		{"nothing to change", withFax, ""},
		{"online build of a unique key", withFax + `
identification_keys:
  - { name: idEmail, attributes: [EmailAddress], unique: true }
`, `INSERT INTO "profile" ("customer_id", "emailaddress") SELECT 'c' || g, 'u' || g FROM generate_series(1, 1000) g`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.rows != "" {
				pgtest.Exec(t, url, c.rows)
			}
			dir := writeSchemaDir(t, c.schema)
			sessions := pgtest.CountSessions(t, url)
			if _, stderr, err := runApp(t, "apply", "--dir", dir, "--db", sessions.URL, "--auto-approve"); err != nil {
				t.Fatalf("apply: %v\n%s", err, stderr)
			}
			if n := sessions.Count(); n != 1 {
				t.Errorf("apply opened %d sessions, want 1", n)
			}
		})
	}
}
