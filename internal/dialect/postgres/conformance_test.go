package postgres_test

import (
	"strings"
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

func TestConversions(t *testing.T) { dialecttest.RunConversions(t, harness()) }

// TestConversionsOutsideUTC runs the conversion matrix with sessions in
// another time zone (a URL may set one): a datetime without a zone still
// reads as UTC, and every datetime is written in UTC.
func TestConversionsOutsideUTC(t *testing.T) {
	dialecttest.RunConversions(t, dialecttest.Harness{Dialect: postgres.New(), NewURL: func(t *testing.T) string {
		url := pgtest.NewDatabase(t)
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		return url + sep + "TimeZone=Asia%2FTokyo"
	}})
}

func TestHistoryUpgrade(t *testing.T) { dialecttest.RunHistoryUpgrade(t, harness()) }
