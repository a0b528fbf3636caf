package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ctxschema/ctxschema/internal/quote"
	"github.com/ctxschema/ctxschema/plan"
)

// FormatVersion is the format_version of the JSON documents this package
// writes and the only one ReadDocument accepts. It changes only when a
// field changes meaning or goes away; adding a field keeps it.
const FormatVersion = "1"

// Document is the JSON view of a plan, also embedded in saved plans. Its
// fields are tagged explicitly: renaming a Go field never changes the
// document. Arrays are never null.
type Document struct {
	// FormatVersion is FormatVersion.
	FormatVersion string `json:"format_version"`
	// Database is the database URL with its password redacted; "" for an
	// offline diff.
	Database string `json:"database"`
	// Dialect is "sqlite", "postgres", "http" (a Context Services server),
	// or "" for an offline diff.
	Dialect string `json:"dialect"`
	// Calls is true when each change's "sql" lists API calls, not SQL
	// statements (a Context Services server); absent otherwise.
	Calls bool `json:"calls,omitempty"`
	// Mode is the server mode when planned ("maintenance", "production"),
	// or "" when unknown.
	Mode string `json:"mode"`
	// Changes are the plan's steps in the order apply runs them.
	Changes []ChangeDoc `json:"changes"`
	// Summary counts the changes like the text view's "Plan:" line.
	Summary SummaryDoc `json:"summary"`
	// Unmanaged lists objects ctxschema did not create and never touches.
	Unmanaged []UnmanagedDoc `json:"unmanaged"`
	// Refusal is why apply would refuse or refused the plan, or null.
	Refusal *RefusalDoc `json:"refusal"`
}

// RefusalDoc is a refusal in the JSON document.
type RefusalDoc struct {
	// Reason is "data-check", "production", "stale-plan" or
	// "destructive".
	Reason string `json:"reason"`
	// Message says what is refused and what to do, in one sentence.
	Message string `json:"message"`
	// Flag is the flag that allows the refused changes
	// ("--allow-destructive"), or "" when no flag does.
	Flag string `json:"flag"`
}

// NewRefusalDoc is the JSON view of a refusal.
func NewRefusalDoc(r plan.Refusal) RefusalDoc {
	return RefusalDoc{Reason: string(r.Reason), Message: r.Message(), Flag: r.Flag()}
}

// ChangeDoc is one step of a plan in the JSON document.
type ChangeDoc struct {
	// Action is "create", "update", "delete", "replace", "rename" or
	// "repair".
	Action string `json:"action"`
	// Object is what the change is about.
	Object ObjectDoc `json:"object"`
	// Description is the change's details for people, or "".
	Description string `json:"description"`
	// Risk is "blocked" (a data check fails), "destructive" (loses data:
	// needs --allow-destructive), "narrowing" (offline only: fails on data
	// that does not fit) or "safe".
	Risk string `json:"risk"`
	// Hazards are the change's risks with their measured counts.
	Hazards []HazardDoc `json:"hazards"`
	// SQL runs inside the apply's transaction, as the dialect wrote it.
	SQL []string `json:"sql"`
	// After runs after the transaction commits (online index builds).
	After []string `json:"after"`
}

// ObjectDoc identifies a changed object.
type ObjectDoc struct {
	// Kind is "profile", "profile attribute", "extension", "extension
	// attribute", "extension unique", "identification key" or "drift".
	Kind string `json:"kind"`
	// Name is the declared name: "Phone", "Phone.PhoneNumber", "idEmail".
	Name string `json:"name"`
}

// HazardDoc is one hazard of a change. A count is null when it was not
// measured (an offline diff).
type HazardDoc struct {
	// Kind is "destructive", "data-check", "blocking" or "narrowing"
	// (offline only).
	Kind string `json:"kind"`
	// Message says what is at risk, without the counts.
	Message string `json:"message"`
	// Rows is how many rows (records, profiles) are affected or lost.
	Rows *int64 `json:"rows"`
	// Values is how many non-null values are lost or offending.
	Values *int64 `json:"values"`
	// Groups is how many duplicate groups a uniqueness check found.
	Groups *int64 `json:"groups"`
	// Customers is how many customers hold offending data.
	Customers *int64 `json:"customers"`
	// CustomerIDs are up to five offending customer ids, never values.
	CustomerIDs []string `json:"customer_ids"`
}

// SummaryDoc counts a plan's changes: a replace counts as one create and
// one delete, renames and repairs as updates.
type SummaryDoc struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
}

// UnmanagedDoc is an object in the database that ctxschema did not create.
type UnmanagedDoc struct {
	// Kind is the kind of finding, e.g. "unmanaged table".
	Kind string `json:"kind"`
	// Table is the table, Name the column or index in it ("" for a table).
	Table string `json:"table"`
	Name  string `json:"name"`
}

// NewDocument builds the JSON document of p. It does not validate p; a step
// without a change is skipped.
func NewDocument(p *plan.Plan, o Options) Document {
	d := Document{
		FormatVersion: FormatVersion,
		Database:      o.Database,
		Dialect:       o.Dialect,
		Calls:         o.Calls,
		Changes:       []ChangeDoc{},
		Unmanaged:     []UnmanagedDoc{},
	}
	if o.Refusal != nil {
		r := NewRefusalDoc(*o.Refusal)
		d.Refusal = &r
	}
	if p == nil {
		return d
	}
	d.Mode = string(p.Mode)
	for _, s := range p.Steps {
		if s.Change == nil {
			continue
		}
		obj := s.Change.Object()
		c := ChangeDoc{
			Action:      s.Change.Action().String(),
			Object:      ObjectDoc{Kind: string(obj.Kind), Name: obj.Name},
			Description: s.Change.Describe(),
			Risk:        string(riskOf(s)),
			Hazards:     make([]HazardDoc, len(s.Hazards)),
			SQL:         nonNil(s.SQL),
			After:       nonNil(s.After),
		}
		for i, h := range s.Hazards {
			c.Hazards[i] = HazardDoc{
				Kind:        string(h.Kind),
				Message:     h.Message,
				Rows:        measured(h.Rows),
				Values:      measured(h.Values),
				Groups:      measured(h.Groups),
				Customers:   measured(h.Customers),
				CustomerIDs: nonNil(h.CustomerIDs),
			}
		}
		d.Changes = append(d.Changes, c)
	}
	s := p.Summary()
	d.Summary = SummaryDoc{Create: s.Create, Update: s.Update, Delete: s.Delete}
	for _, u := range p.Unmanaged {
		d.Unmanaged = append(d.Unmanaged, UnmanagedDoc{Kind: string(u.Kind), Table: u.Table, Name: u.Name})
	}
	return d
}

// measured is n, or nil when n is negative (not measured).
func measured(n int64) *int64 {
	if n < 0 {
		return nil
	}
	return &n
}

// nonNil copies ss so that it marshals as [] rather than null.
func nonNil(ss []string) []string {
	return append([]string{}, ss...)
}

// ReadDocument decodes a JSON plan document. It refuses a document whose
// format_version is not FormatVersion (a plan written by another version of
// ctxschema), and trailing data after the document. Absent arrays come back
// empty, not nil.
func ReadDocument(r io.Reader) (Document, error) {
	var d Document
	dec := json.NewDecoder(r)
	if err := dec.Decode(&d); err != nil {
		return Document{}, fmt.Errorf("read plan document: %w", err)
	}
	if dec.More() {
		return Document{}, fmt.Errorf("read plan document: unexpected data after the document")
	}
	if d.FormatVersion != FormatVersion {
		if d.FormatVersion == "" {
			return Document{}, fmt.Errorf("read plan document: no format_version: not a ctxschema plan document")
		}
		return Document{}, fmt.Errorf("read plan document: format_version %s is not supported (this ctxschema reads %q): plan again with this version", quote.Value(d.FormatVersion), FormatVersion)
	}
	if d.Changes == nil {
		d.Changes = []ChangeDoc{}
	}
	if d.Unmanaged == nil {
		d.Unmanaged = []UnmanagedDoc{}
	}
	for i := range d.Changes {
		c := &d.Changes[i]
		if c.Hazards == nil {
			c.Hazards = []HazardDoc{}
		}
		c.SQL, c.After = nonNil(c.SQL), nonNil(c.After)
		for j := range c.Hazards {
			c.Hazards[j].CustomerIDs = nonNil(c.Hazards[j].CustomerIDs)
		}
	}
	return d, nil
}

// Write writes d as indented JSON (two spaces) with a trailing newline.
// HTML characters are not escaped: SQL like `<=` stays readable.
func (d Document) Write(w io.Writer) error {
	var buf bytes.Buffer
	if err := encodeDocument(&buf, d); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// encodeDocument writes d into buf.
func encodeDocument(buf *bytes.Buffer, d Document) error {
	return encodeJSON(buf, d)
}

// encodeJSON writes v into buf as indented JSON with a trailing newline,
// HTML characters not escaped, and no raw DEL or C1 control character
// (quote.JSON).
func encodeJSON(buf *bytes.Buffer, v any) error {
	var doc bytes.Buffer
	enc := json.NewEncoder(&doc)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("render: encode plan document: %w", err)
	}
	buf.Write(quote.JSON(doc.Bytes()))
	return nil
}

// writeJSON renders the JSON view.
func writeJSON(buf *bytes.Buffer, p *plan.Plan, o Options) error {
	return encodeDocument(buf, NewDocument(p, o))
}
