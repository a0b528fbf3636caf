package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
)

// Fingerprint identifies what a plan was made from: the live catalog, the
// physical layout, the mode and the desired schema. A saved or approved plan
// is applied only while all four are unchanged.
type Fingerprint struct {
	Catalog  string `json:"catalog"`
	Physical string `json:"physical"`
	Mode     string `json:"mode"`
	Desired  string `json:"desired"`
}

// Diff names what differs between two fingerprints ("" when equal).
func (f Fingerprint) Diff(g Fingerprint) string {
	var what []string
	if f.Catalog != g.Catalog {
		what = append(what, "the catalog (another apply ran)")
	}
	if f.Physical != g.Physical {
		what = append(what, "the database's tables or indexes")
	}
	if f.Mode != g.Mode {
		what = append(what, "the server mode")
	}
	if f.Desired != g.Desired {
		what = append(what, "the schema files")
	}
	return strings.Join(what, " and ")
}

// FingerprintOf computes the fingerprint of a state and a desired schema.
func FingerprintOf(st *State, desired *model.Schema) Fingerprint {
	cat := st.Catalog
	if cat == nil {
		cat = &model.Schema{}
	}
	return Fingerprint{
		Catalog:  SchemaHash(cat),
		Physical: hash(st.Physical),
		Mode:     string(st.Mode),
		Desired:  SchemaHash(desired),
	}
}

// SchemaHash is a hash of what a schema declares, renamed_from included
// (a rename and a delete-and-create are different plans), positions left
// out and extensions and keys sorted.
func SchemaHash(s *model.Schema) string {
	c := s.WithoutPositions()
	c.Sort()
	return hash(c)
}

func hash(v any) string {
	// The model holds only strings, numbers, bools and slices, which
	// always marshal.
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
