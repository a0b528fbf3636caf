package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
)

// harness gives each case a new SQLite file named name in a temporary
// directory of its own.
func harness(name string) dialecttest.Harness {
	return dialecttest.Harness{
		Dialect: sqlite.New(),
		NewURL: func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), name)
		},
	}
}

func TestConformance(t *testing.T) { dialecttest.Run(t, harness("conformance.db")) }

func TestRefusals(t *testing.T) { dialecttest.RunRefusals(t, harness("refusals.db")) }

func TestConversions(t *testing.T) { dialecttest.RunConversions(t, harness("conversions.db")) }

func TestHistoryUpgrade(t *testing.T) { dialecttest.RunHistoryUpgrade(t, harness("history.db")) }
