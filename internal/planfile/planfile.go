// Package planfile saves plans for a later `apply FILE` and reads them back.
// A saved plan holds the database it was made for (password redacted), the
// rendered plan for people and tools, the desired schema it reaches, the
// fingerprint of the live state and of the schema files it was made from,
// and a checksum over all of it, so that an edited file is refused.
package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
	"github.com/ctxschema/ctxschema/internal/render"
	"github.com/ctxschema/ctxschema/internal/schemafile"
	"github.com/ctxschema/ctxschema/plan"
)

// Kind marks a ctxschema plan file.
const Kind = "ctxschema-plan"

// FormatVersion is the version of the plan file format. Version 2 binds a
// plan to its database (Database, DatabaseRedacted); Read refuses every
// other version.
const FormatVersion = "2"

// File is a saved plan. Its JSON field names are the file format.
type File struct {
	FormatVersion string `json:"format_version"`
	Kind          string `json:"kind"`
	CreatedAt     string `json:"created_at"`
	// Database is the URL of the database the plan was made for, its
	// password redacted: `apply FILE` applies it there unless told another
	// URL, and refuses a URL that redacts to something else.
	Database string `json:"database"`
	// DatabaseRedacted is true when Database is not the URL as given (a
	// password was redacted): apply then needs the URL again.
	DatabaseRedacted bool `json:"database_redacted"`
	// Fingerprint identifies the live state (catalog, physical layout,
	// mode) and the schema files (Desired) the plan was made from.
	Fingerprint plan.Fingerprint `json:"fingerprint"`
	// Desired is the schema the plan reaches, as schema-file YAML with its
	// renamed_from instructions, so that a saved rename stays a rename.
	Desired string          `json:"desired"`
	Plan    render.Document `json:"plan"`
	// Checksum is the SHA-256 of the file written with an empty checksum.
	Checksum string `json:"checksum"`
}

// ErrNotPlan is returned by Read for a file that is not a plan file, or
// whose content was edited after it was saved.
var ErrNotPlan = errors.New("not a usable ctxschema plan file")

// MaxSize bounds what Read reads: a plan of the largest schema Context
// Services allows, with its SQL, is a few MiB.
const MaxSize = 64 << 20

// Write saves p, made for the schema desired and rendered as doc, to w.
// The database is doc.Database; redacted says whether it lost a password
// to redaction.
func Write(w io.Writer, p *plan.Plan, desired *model.Schema, doc render.Document, redacted bool, now time.Time) error {
	f := File{
		FormatVersion:    FormatVersion,
		Kind:             Kind,
		CreatedAt:        now.UTC().Format(time.RFC3339),
		Database:         doc.Database,
		DatabaseRedacted: redacted,
		Fingerprint:      p.Fingerprint,
		Desired:          string(schemafile.Write(desired)),
		Plan:             doc,
	}
	var err error
	f.Checksum, err = f.sum()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func (f File) sum() (string, error) {
	f.Checksum = ""
	b, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// Read loads a plan file and returns it with the desired schema it
// reaches. It returns an error wrapping ErrNotPlan when the file is not a
// plan file of this version or its checksum does not match.
func Read(r io.Reader) (*File, *model.Schema, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > MaxSize {
		return nil, nil, fmt.Errorf("%w: it is larger than %d MiB, more than any plan file holds", ErrNotPlan, MaxSize>>20)
	}
	// The kind and version first, leniently: a file of another version
	// may have other fields, and deserves the version's message.
	var head struct {
		FormatVersion string `json:"format_version"`
		Kind          string `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotPlan, err)
	}
	if head.Kind != Kind {
		return nil, nil, fmt.Errorf("%w: it has no \"kind\": %q", ErrNotPlan, Kind)
	}
	if head.FormatVersion != FormatVersion {
		return nil, nil, fmt.Errorf("%w: it is in plan file format %s, and this ctxschema reads only format %q (format 2 binds a plan to its database); make the plan again with this ctxschema (plan --out)", ErrNotPlan, quote.Value(head.FormatVersion), FormatVersion)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotPlan, err)
	}
	sum, err := f.sum()
	if err != nil {
		return nil, nil, err
	}
	if sum != f.Checksum {
		return nil, nil, fmt.Errorf("%w: its checksum does not match its content, so it was edited after it was saved; plan again", ErrNotPlan)
	}
	res, err := schemafile.Parse(map[string][]byte{"desired.yaml": []byte(f.Desired)})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: its desired schema is invalid: %v", ErrNotPlan, err)
	}
	return &f, res.Schema.WithoutPositions(), nil
}
