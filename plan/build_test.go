package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctxschema/ctxschema/internal/model"
)

func str(s string) *string { return &s }

func attr(name string, t model.Type) model.Attribute {
	a := model.Attribute{Name: name, Type: t}
	if t == model.String {
		a.Length = 255
	}
	return a
}

func base() *model.Schema {
	return &model.Schema{
		Profile: []model.Attribute{attr("FirstName", model.String), attr("EmailAddress", model.String)},
		Extensions: []model.Extension{{
			Name: "Phone", Type: model.MultiValued,
			Attributes: []model.Attribute{attr("PhoneType", model.Integer), attr("PhoneNumber", model.String)},
			Unique:     [][]string{{"PhoneNumber"}},
		}},
		Keys: []model.Key{
			{Name: "idEmail", Source: "profile", Attributes: []string{"EmailAddress"}, Unique: true},
			{Name: "idPhone", Source: "Phone", Attributes: []string{"PhoneNumber"}},
		},
	}
}

// fakeData answers data checks from fixed numbers and records the calls.
type fakeData struct {
	rows    int64
	finding Finding
	calls   []string
}

func (f *fakeData) Rows(_ context.Context, table string) (int64, error) {
	f.calls = append(f.calls, "rows "+table)
	return f.rows, nil
}
func (f *fakeData) NonNull(_ context.Context, table string, columns []string) (int64, error) {
	f.calls = append(f.calls, "nonnull "+table+"("+strings.Join(columns, ",")+")")
	return f.rows, nil
}
func (f *fakeData) Nulls(_ context.Context, table, column string) (Finding, error) {
	f.calls = append(f.calls, "nulls "+table+"."+column)
	return f.finding, nil
}
func (f *fakeData) Duplicates(_ context.Context, table string, columns []string, perCustomer bool) (Finding, error) {
	f.calls = append(f.calls, fmt.Sprintf("dups %s(%s) %t", table, strings.Join(columns, ","), perCustomer))
	return f.finding, nil
}
func (f *fakeData) TooLong(_ context.Context, table, column string, max int) (Finding, error) {
	f.calls = append(f.calls, fmt.Sprintf("toolong %s.%s %d", table, column, max))
	return f.finding, nil
}
func (f *fakeData) Unconvertible(_ context.Context, table, column string, from, to model.Attribute) (Finding, error) {
	f.calls = append(f.calls, fmt.Sprintf("unconvertible %s.%s %s->%s", table, column, from.Type, to.Type))
	return f.finding, nil
}
func (f *fakeData) Unrepairable(_ context.Context, table, column, live string, to model.Attribute) (Finding, error) {
	f.calls = append(f.calls, fmt.Sprintf("unrepairable %s.%s %s->%s", table, column, live, to.Type))
	return f.finding, nil
}
func (f *fakeData) MultiRecord(_ context.Context, table string) (Finding, error) {
	f.calls = append(f.calls, "multi "+table)
	return f.finding, nil
}

func live(s *model.Schema) *State {
	return &State{Catalog: s, Mode: model.Maintenance}
}

// lines renders the plan as "symbol kind name" lines.
func lines(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		o := s.Change.Object()
		line := fmt.Sprintf("%s %s %s", s.Change.Action().Symbol(), o.Kind, o.Name)
		for _, h := range s.Hazards {
			line += fmt.Sprintf(" [%s]", h.Kind)
		}
		out = append(out, line)
	}
	return out
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*model.Schema)
		data   *fakeData
		want   []string
		wantOK func(t *testing.T, p *Plan)
	}{
		{name: "no changes", edit: func(*model.Schema) {}},
		{
			name: "add profile attribute",
			edit: func(s *model.Schema) { s.Profile = append(s.Profile, attr("Title", model.String)) },
			want: []string{"+ profile attribute Title"},
		},
		{
			name: "mandatory attribute without default over rows is a data check",
			edit: func(s *model.Schema) {
				a := attr("Title", model.String)
				a.Mandatory = true
				s.Profile = append(s.Profile, a)
			},
			data: &fakeData{rows: 3},
			want: []string{"+ profile attribute Title [data-check]"},
		},
		{
			name: "mandatory attribute without default on an empty table passes",
			edit: func(s *model.Schema) {
				a := attr("Title", model.String)
				a.Mandatory = true
				s.Profile = append(s.Profile, a)
			},
			data: &fakeData{},
			want: []string{"+ profile attribute Title"},
		},
		{
			name: "delete extension drops its key first",
			edit: func(s *model.Schema) { s.Extensions = nil; s.Keys = s.Keys[:1] },
			want: []string{"- identification key idPhone", "- extension Phone [destructive]"},
		},
		{
			name: "key replaced when attributes change, after the attribute is added",
			edit: func(s *model.Schema) {
				s.Profile = append(s.Profile, attr("LastName", model.String))
				s.Keys[0].Attributes = []string{"EmailAddress", "LastName"}
			},
			want: []string{"+ profile attribute LastName", "-/+ identification key idEmail"},
		},
		{
			name: "key turned unique checks duplicates across customers",
			edit: func(s *model.Schema) { s.Keys[1].Unique = true },
			data: &fakeData{rows: 10, finding: Finding{Groups: 2, Customers: 5, CustomerIDs: []string{"a", "b"}}},
			want: []string{"-/+ identification key idPhone [data-check]"},
			wantOK: func(t *testing.T, p *Plan) {
				h := p.Steps[0].Hazards[0]
				if h.Groups != 2 || h.Customers != 5 || len(p.Blocked()) != 1 {
					t.Errorf("hazard %+v, blocked %d", h, len(p.Blocked()))
				}
			},
		},
		{
			name: "rename attribute keeps keys and items",
			edit: func(s *model.Schema) {
				s.Extensions[0].Attributes[1].Name = "Number"
				s.Extensions[0].Attributes[1].RenamedFrom = "PhoneNumber"
				s.Extensions[0].Unique = [][]string{{"Number"}}
				s.Keys[1].Attributes = []string{"Number"}
			},
			want: []string{"-> extension attribute Phone.Number"},
			wantOK: func(t *testing.T, p *Plan) {
				r := p.Steps[0].Change.(RenameAttribute)
				if r.After.Keys[0].Attributes[0] != "Number" || r.After.Extension.Unique[0][0] != "Number" {
					t.Errorf("after rename: %+v", r.After)
				}
			},
		},
		{
			name: "rename extension, keys follow",
			edit: func(s *model.Schema) {
				s.Extensions[0].Name = "Phones"
				s.Extensions[0].RenamedFrom = "Phone"
				s.Keys[1].Source = "Phones"
			},
			want: []string{"-> extension Phones"},
		},
		{
			name: "delete attribute reports lost values",
			edit: func(s *model.Schema) { s.Profile = s.Profile[1:] },
			data: &fakeData{rows: 7},
			want: []string{"- profile attribute FirstName [destructive]"},
			wantOK: func(t *testing.T, p *Plan) {
				if h := p.Steps[0].Hazards[0]; h.Values != 7 || h.LosesNothing() {
					t.Errorf("hazard %+v", h)
				}
				if len(p.Destructive()) != 1 {
					t.Errorf("destructive steps %d", len(p.Destructive()))
				}
			},
		},
		{
			name: "delete of an all-null attribute loses nothing",
			edit: func(s *model.Schema) { s.Profile = s.Profile[1:] },
			data: &fakeData{},
			want: []string{"- profile attribute FirstName [destructive]"},
			wantOK: func(t *testing.T, p *Plan) {
				if len(p.Destructive()) != 0 {
					t.Errorf("an all-null column needs no flag")
				}
			},
		},
		{
			name: "shorter length checks stored values",
			edit: func(s *model.Schema) { s.Profile[0].Length = 10 },
			data: &fakeData{rows: 4, finding: Finding{Rows: 1, CustomerIDs: []string{"c1"}}},
			want: []string{"~ profile attribute FirstName [data-check]"},
		},
		{
			name: "unique item added on multi-valued checks per customer; delete before",
			edit: func(s *model.Schema) { s.Extensions[0].Unique = [][]string{{"PhoneType", "PhoneNumber"}} },
			data: &fakeData{rows: 4},
			want: []string{"- extension unique Phone(PhoneNumber)", "+ extension unique Phone(PhoneType, PhoneNumber)"},
		},
		{
			name: "multi to single checks customers with several records",
			edit: func(s *model.Schema) { s.Extensions[0].Type = model.SingleValued },
			data: &fakeData{rows: 4, finding: Finding{Customers: 2}},
			want: []string{"~ extension Phone [data-check]"},
		},
		{
			name: "name case change is a catalog update",
			edit: func(s *model.Schema) { s.Profile[0].Name = "firstname" },
			want: []string{"~ profile attribute firstname"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := base()
			tt.edit(desired)
			var data Data
			if tt.data != nil {
				data = tt.data
			}
			before := desired.Clone()
			p, err := Build(context.Background(), live(base()), desired, data)
			if err != nil {
				t.Fatal(err)
			}
			// Build reads desired without copying it: it must not change it.
			if diff := cmp.Diff(before, desired); diff != "" {
				t.Errorf("Build changed desired (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, lines(p)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if tt.wantOK != nil {
				tt.wantOK(t, p)
			}
		})
	}
}

func TestBuildNewDatabase(t *testing.T) {
	p, err := Build(context.Background(), &State{New: true, Catalog: &model.Schema{}, Mode: model.Maintenance}, base(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"+ profile profile", "+ extension Phone", "+ identification key idEmail", "+ identification key idPhone"}
	if diff := cmp.Diff(want, lines(p)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	cp := p.Steps[0].Change.(CreateProfile)
	if len(cp.Table.Attributes) != 2 || len(cp.Table.Keys) != 0 {
		t.Errorf("profile table created with %+v", cp.Table)
	}
	if s := p.Summary(); s.Create != 4 {
		t.Errorf("summary %+v", s)
	}
}

func TestBuildRenamedFromNothing(t *testing.T) {
	desired := base()
	desired.Profile[0].Name = "GivenName"
	desired.Profile[0].RenamedFrom = "Forename"
	desired.Profile[0].Pos = model.Pos{File: "p.yaml", Line: 3, Col: 7}
	_, err := Build(context.Background(), live(base()), desired, nil)
	var ps *model.Problems
	if !errors.As(err, &ps) || !strings.HasPrefix(err.Error(), "p.yaml:3:7: attribute \"GivenName\" is renamed_from \"Forename\"") {
		t.Fatalf("want a *model.Problems at p.yaml:3:7, got %v", err)
	}
}

func TestBuildOfflineDestructiveNeedsFlag(t *testing.T) {
	desired := base()
	desired.Profile = desired.Profile[1:]
	p, err := Build(context.Background(), live(base()), desired, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Destructive()) != 1 {
		t.Fatalf("offline, an unmeasured delete must need --allow-destructive")
	}
}

// TestBuildOfflineTypeChanges: offline, a type change that can meet values
// that do not convert is narrowing (against a database, its data check
// refuses them: no value is lost, so it never needs --allow-destructive);
// one that converts every value is safe.
func TestBuildOfflineTypeChanges(t *testing.T) {
	for _, c := range []struct {
		from, to model.Type
		loses    bool
	}{
		{model.Integer, model.Long, false},
		{model.Integer, model.Double, false},
		{model.Integer, model.Currency, false},
		{model.Date, model.DateTime, false},
		{model.Long, model.Double, true},
		{model.Long, model.Currency, true},
		{model.Long, model.Integer, true},
		{model.Double, model.Currency, true},
	} {
		cur := &model.Schema{Profile: []model.Attribute{{Name: "V", Type: c.from}}}
		desired := &model.Schema{Profile: []model.Attribute{{Name: "V", Type: c.to}}}
		p, err := Build(context.Background(), live(cur), desired, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(p.Destructive()); n != 0 {
			t.Errorf("%s to %s: needs --allow-destructive, but a type change never loses a value", c.from, c.to)
		}
		narrow := false
		for _, h := range p.Steps[0].Hazards {
			narrow = narrow || h.Kind == Narrowing
		}
		if narrow != c.loses {
			t.Errorf("%s to %s: narrowing = %v, want %v", c.from, c.to, narrow, c.loses)
		}
	}
}

func TestBuildDrift(t *testing.T) {
	st := live(base())
	st.Expected = Physical{Tables: []PhysicalTable{{
		Name:    "profile",
		Columns: []PhysicalColumn{{Name: "customer_id", Definition: "pk"}, {Name: "firstname", Definition: "TEXT"}},
		Indexes: []PhysicalIndex{{Name: "ik_idemail", Definition: "UNIQUE (emailaddress)", Valid: true}},
	}}}
	st.Physical = Physical{Tables: []PhysicalTable{
		{Name: "profile", Columns: []PhysicalColumn{{Name: "customer_id", Definition: "pk"}, {Name: "firstname", Definition: "INTEGER"}, {Name: "notes", Definition: "TEXT"}}},
		{Name: "audit"},
		{Name: "cs_meta"},
	}}
	p, err := Build(context.Background(), st, base(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Columns are repaired first, indexes last under their final names.
	// Offline, neither the column repair nor the rebuild of the unique
	// index can measure the values: either may fail.
	if diff := cmp.Diff([]string{"! drift profile [narrowing]", "! drift profile [narrowing]"}, lines(p)); diff != "" {
		t.Fatalf("steps (-want +got):\n%s", diff)
	}
	var kinds []DriftKind
	for _, s := range p.Steps {
		for _, d := range s.Change.(RepairTable).Drift {
			kinds = append(kinds, d.Kind)
		}
	}
	if diff := cmp.Diff([]DriftKind{ChangedColumn, MissingIndex}, kinds); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	var un []string
	for _, d := range p.Unmanaged {
		un = append(un, d.String())
	}
	if diff := cmp.Diff([]string{"unmanaged table audit", "unexpected column profile.notes (want nothing, found TEXT)"}, un); diff != "" {
		t.Errorf("unmanaged (-want +got):\n%s", diff)
	}
}

// TestBuildNoChangeRunsNoDataCheck: planning a schema against itself sends
// no query, even with unique keys (a duplicate check is a full scan of the
// table, which a no-op plan must not pay for).
func TestBuildNoChangeRunsNoDataCheck(t *testing.T) {
	data := &fakeData{rows: 1000}
	p, err := Build(context.Background(), live(base()), base(), data)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() || len(data.calls) != 0 {
		t.Fatalf("no-op plan: %d steps, data calls %v", len(p.Steps), data.calls)
	}
}

// TestBuildOfflineNarrowing: without data, every change a data check would
// guard carries an unmeasured narrowing hazard (diff shows it); with data,
// none does, and widening changes never do.
func TestBuildOfflineNarrowing(t *testing.T) {
	desired := base()
	desired.Profile[0].Length = 32                                                                                                                  // shorter
	desired.Profile[1].Mandatory = true                                                                                                             // becomes mandatory
	desired.Extensions[0].Type = model.SingleValued                                                                                                 // from multi-valued
	desired.Extensions[0].Unique = nil                                                                                                              // (single-valued has none)
	desired.Keys[1].Unique = true                                                                                                                   // new unique key: replaced
	desired.Extensions[0].Attributes = append(desired.Extensions[0].Attributes, model.Attribute{Name: "Ext", Type: model.Integer, Mandatory: true}) // new mandatory, no default
	p, err := Build(context.Background(), live(base()), desired, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.Steps {
		for _, h := range s.Hazards {
			if h.Kind == Narrowing {
				if h.Rows != -1 || h.Values != -1 || h.Groups != -1 || h.Customers != -1 {
					t.Errorf("%s: a narrowing hazard is never measured, got %+v", s.Change.Object().Name, h)
				}
				got = append(got, s.Change.Object().Name+": "+h.Message)
			}
		}
	}
	want := []string{
		"Phone: fails if a customer holds more than one Phone record",
		"Phone.Ext: fails if the table holds rows: the new mandatory attribute Ext has no default",
		"FirstName: fails on values of FirstName longer than 32 characters",
		"EmailAddress: fails on rows without a value for EmailAddress, which becomes mandatory",
		"idPhone: fails on values duplicated across customers",
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("narrowing hazards:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// With data the checks run instead: a passing check leaves no hazard.
	p, err = Build(context.Background(), live(base()), desired, &fakeData{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if s.HasHazard(Narrowing) {
			t.Errorf("%s: a narrowing hazard with data", s.Change.Object().Name)
		}
	}

	// Widening needs no check (back to multi-valued, the unique item
	// Phone(PhoneNumber) is new, and narrows).
	p, err = Build(context.Background(), live(desired), base(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if s.HasHazard(Narrowing) && s.Change.Object().Name != "Phone(PhoneNumber)" {
			t.Errorf("%s: widening is not narrowing", s.Change.Object().Name)
		}
	}
}

// TestNarrowingToString: a value converts to a string that fits the
// length when the longest text of its type does.
func TestNarrowingToString(t *testing.T) {
	for _, c := range []struct {
		from   model.Type
		length int
		want   bool
	}{
		{model.Integer, 255, false},
		{model.Integer, 11, false},
		{model.Integer, 10, true},
		{model.Long, 20, false},
		{model.Long, 19, true},
		{model.Double, 64, false},
		{model.Double, 16, true},
		{model.Currency, 21, false},
		{model.Boolean, 4, true},
		{model.DateTime, 24, true},
		{model.DateTime, 64, false},
	} {
		got := narrowing(model.Attribute{Type: c.from}, model.Attribute{Type: model.String, Length: c.length})
		if got != c.want {
			t.Errorf("%s to string(%d): narrowing = %v, want %v", c.from, c.length, got, c.want)
		}
	}
}
