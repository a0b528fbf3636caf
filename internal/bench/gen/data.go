package gen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/model"
)

// maxParams bounds the bind parameters of one INSERT: SQLite allows 32766
// (since 3.32), PostgreSQL 65535.
const maxParams = 30000

// maxBatch bounds the rows of one INSERT.
const maxBatch = 1000

// CustomerID is the customer id of the i-th generated profile row: 16
// characters, the most a customer id may have.
func CustomerID(i int) string {
	s := strconv.Itoa(i)
	return "cust" + strings.Repeat("0", 12-len(s)) + s
}

// FillProfile inserts rows rows of realistic data into the profile table
// of s (which must exist, as an apply creates it) in one transaction, with
// batched multi-row INSERTs through a prepared statement; bind parameters
// are rebound for db's driver, so it runs on SQLite and PostgreSQL.
//
// Mandatory attributes always hold a value, others are NULL in 5% to 35%
// of the rows. EmailAttribute and AccountAttribute, when s has them, hold
// values that are unique across the rows (NULLs aside); customer ids are
// CustomerID(0) to CustomerID(rows-1). The data depends on seed only.
func FillProfile(ctx context.Context, db *sqlx.DB, s *model.Schema, rows int, seed uint64) error {
	cols := []string{quote(model.CustomerIDColumn)}
	for _, a := range s.Profile {
		cols = append(cols, quote(a.Column()))
	}
	batch := min(maxBatch, maxParams/len(cols), max(rows, 1))
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("filling the profile table: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	full, err := tx.PreparexContext(ctx, insertSQL(db, cols, batch))
	if err != nil {
		return fmt.Errorf("filling the profile table: preparing the insert: %w", err)
	}
	defer full.Close()
	g := newRowGen(s.Profile, seed)
	args := make([]any, 0, batch*len(cols))
	for start := 0; start < rows; start += batch {
		n := min(batch, rows-start)
		args = args[:0]
		for i := start; i < start+n; i++ {
			args = g.row(args, i)
		}
		stmt := full
		if n < batch {
			part, err := tx.PreparexContext(ctx, insertSQL(db, cols, n))
			if err != nil {
				return fmt.Errorf("filling the profile table: preparing the insert: %w", err)
			}
			defer part.Close()
			stmt = part
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("filling the profile table: rows %d to %d: %w", start, start+n-1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("filling the profile table: committing: %w", err)
	}
	return nil
}

func quote(name string) string { return `"` + name + `"` }

// insertSQL is INSERT INTO "profile" (cols) VALUES (?, …), … for n rows,
// rebound for db's driver.
func insertSQL(db *sqlx.DB, cols []string, n int) string {
	one := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	var b strings.Builder
	b.WriteString("INSERT INTO " + quote(model.ProfileTable) + " (" + strings.Join(cols, ", ") + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return db.Rebind(b.String())
}

// rowGen generates profile rows.
type rowGen struct {
	attrs []model.Attribute
	// nulls is the share of NULLs per attribute, in percent.
	nulls []int
	r     *rand.Rand
	// perm scatters the unique values so that they are not in row order.
	perm func(i int) int
}

func newRowGen(attrs []model.Attribute, seed uint64) *rowGen {
	g := &rowGen{attrs: attrs, r: rand.New(rand.NewPCG(seed, 0x5eed))}
	for _, a := range attrs {
		n := 0
		if !a.Mandatory {
			n = 5 + g.r.IntN(31)
		}
		g.nulls = append(g.nulls, n)
	}
	// An odd multiplier modulo 2^32 is a bijection.
	g.perm = func(i int) int { return int(uint32(i) * 2654435761) }
	return g
}

var (
	firstNames = []string{"Anna", "Ben", "Chloé", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko", "Liam", "Maria", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara"}
	lastNames  = []string{"Smith", "García", "Müller", "Rossi", "Dubois", "Kowalski", "Nguyen", "Johansson", "O'Neil", "Tanaka", "Silva", "Novak", "Hansen", "Popescu", "Costa"}
	cities     = []string{"Paris", "Berlin", "Lisbon", "Toronto", "Austin", "Osaka", "Dublin", "Kraków", "Lyon", "Porto", "Seville", "Graz"}
	countries  = []string{"FR", "DE", "PT", "CA", "US", "JP", "IE", "PL", "ES", "AT"}
	titles     = []string{"Mr", "Ms", "Mrs", "Dr", "Prof"}
	languages  = []string{"en", "fr", "de", "pt", "es", "ja"}
	notes      = []string{"prefers e-mail", "call after 6pm", "VIP since 2019; handle with care", "asked about the new plan", "moved recently, check the address"}
)

// row appends the values of row i to args.
func (g *rowGen) row(args []any, i int) []any {
	args = append(args, CustomerID(i))
	for j, a := range g.attrs {
		if g.nulls[j] > 0 && g.r.IntN(100) < g.nulls[j] {
			args = append(args, nil)
			continue
		}
		args = append(args, g.value(a, i))
	}
	return args
}

// value is a realistic value of attribute a for row i, valid for its type
// and length.
func (g *rowGen) value(a model.Attribute, i int) any {
	r := g.r
	switch {
	case strings.EqualFold(a.Name, EmailAttribute):
		return fit(strings.ToLower(pick(r, firstNames))+"."+strconv.Itoa(g.perm(i))+"@example.com", a.Length)
	case strings.EqualFold(a.Name, AccountAttribute):
		return fit("ACC-"+strconv.Itoa(g.perm(i)), a.Length)
	}
	switch a.Type {
	case model.Integer:
		return r.IntN(100)
	case model.Long:
		return r.Int64N(1_000_000_000_000)
	case model.Double:
		return float64(r.IntN(10000)) / 100
	case model.Currency:
		// Canonical text, as a currency column holds it on SQLite.
		v, _ := model.CanonicalDefault(model.Currency, 0, strconv.Itoa(r.IntN(100000))+"."+strconv.Itoa(10+r.IntN(90)))
		return v
	case model.Boolean:
		return r.IntN(2) == 0
	case model.Date:
		return fmt.Sprintf("%04d-%02d-%02d", 1940+r.IntN(70), 1+r.IntN(12), 1+r.IntN(28))
	case model.DateTime:
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.000Z", 2000+r.IntN(25), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
	}
	var v string
	switch strings.ToLower(a.Name) {
	case "firstname":
		v = pick(r, firstNames)
	case "lastname":
		v = pick(r, lastNames)
	case "city":
		v = pick(r, cities)
	case "country":
		v = pick(r, countries)
	case "title":
		v = pick(r, titles)
	case "language":
		v = pick(r, languages)
	case "phonenumber":
		v = "+33" + strconv.Itoa(100000000+r.IntN(900000000))
	case "postcode":
		v = strconv.Itoa(10000 + r.IntN(90000))
	case "notes":
		v = pick(r, notes)
	default:
		v = pick(r, lastNames) + " " + strconv.Itoa(r.IntN(1000))
	}
	return fit(v, a.Length)
}

func pick(r *rand.Rand, from []string) string { return from[r.IntN(len(from))] }

// fit cuts v to at most n characters (n <= 0: no limit).
func fit(v string, n int) string {
	if n <= 0 || len(v) <= n {
		return v
	}
	if rs := []rune(v); len(rs) > n {
		return string(rs[:n])
	}
	return v
}
