package postgres_test

import (
	"testing"

	"github.com/ctxschema/ctxschema/internal/dialect/dialecttest"
	"github.com/ctxschema/ctxschema/internal/dialect/postgres"
	"github.com/ctxschema/ctxschema/internal/pgtest"
)

func harness() dialecttest.Harness {
	return dialecttest.Harness{Dialect: postgres.New(), NewURL: func(t *testing.T) string { return pgtest.NewDatabase(t) }}
}

func TestConformance(t *testing.T) { dialecttest.Run(t, harness()) }

func TestRefusals(t *testing.T) { dialecttest.RunRefusals(t, harness()) }

func TestHistoryUpgrade(t *testing.T) { dialecttest.RunHistoryUpgrade(t, harness()) }
