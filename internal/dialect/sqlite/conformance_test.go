package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/dialect/sqlite"
)

func TestConformance(t *testing.T) {
	dialecttest.Run(t, dialecttest.Harness{
		Dialect: sqlite.New(),
		NewURL: func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "conformance.db")
		},
	})
}

func TestRefusals(t *testing.T) {
	dialecttest.RunRefusals(t, dialecttest.Harness{
		Dialect: sqlite.New(),
		NewURL: func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "refusals.db")
		},
	})
}

func TestConversions(t *testing.T) {
	dialecttest.RunConversions(t, dialecttest.Harness{
		Dialect: sqlite.New(),
		NewURL: func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "conversions.db")
		},
	})
}

func TestHistoryUpgrade(t *testing.T) {
	dialecttest.RunHistoryUpgrade(t, dialecttest.Harness{
		Dialect: sqlite.New(),
		NewURL: func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "history.db")
		},
	})
}
