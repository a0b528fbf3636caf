package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/quote"
)

// Planning for a target without an update (Limits.NoUpdate): every object
// is created, deleted, or deleted and created again, in an order the
// target accepts — keys before the extensions they use are deleted,
// extensions before the keys that use them are created:
//
//	profile differences (refused with FixedProfile), deleted keys, deleted
//	extensions, replaced extensions (each with its keys), created
//	extensions, replaced keys, created keys.

// buildReplacing is Build for a target with Limits.NoUpdate. No data
// check runs: such a target cannot count records, so each record lost is
// unmeasured and needs --allow-destructive.
func buildReplacing(ctx context.Context, st *State, desired *model.Schema) (*Plan, error) {
	cur := &model.Schema{}
	if st.Catalog != nil {
		cur = st.Catalog.Stripped()
	}
	cur.Sort()
	des := desired.Clone()
	des.Sort()
	r := &replacer{cur: cur, des: des}
	if st.Limits.FixedProfile {
		r.profile()
	}
	r.extensions()
	if len(r.problems) > 0 {
		model.SortProblems(r.problems)
		return nil, &model.Problems{List: r.problems}
	}
	r.keys()
	p := &Plan{
		Current:     st.Catalog,
		Desired:     desired.Stripped(),
		Mode:        st.Mode,
		Rows:        map[string]int64{},
		Fingerprint: FingerprintOf(st, desired),
	}
	if p.Current == nil {
		p.Current = &model.Schema{}
	}
	p.Desired.Sort()
	for _, group := range [][]Step{r.profileSteps, r.deleteKeys, r.deleteExts, r.replaceExts, r.createExts, r.replaceKeys, r.createKeys} {
		p.Steps = append(p.Steps, group...)
	}
	return p, ctx.Err()
}

// replacer holds the steps of buildReplacing by group, in plan order.
type replacer struct {
	cur, des *model.Schema
	problems []model.Problem

	profileSteps, deleteKeys, deleteExts, replaceExts, createExts, replaceKeys, createKeys []Step

	// replaced maps a live extension (lower-cased) to the desired one that
	// replaces it; deleted holds the live extensions deleted outright.
	replaced map[string]model.Extension
	deleted  map[string]bool
	// handledLive and handledDesired hold the keys (lower-cased names)
	// that a ReplaceExtension deletes or creates.
	handledLive, handledDesired map[string]bool
}

// inexpressibleProfile is the hazard of a profile change on a target with
// a fixed profile.
func inexpressibleProfile() Hazard {
	return Hazard{Kind: Inexpressible, Rows: -1, Values: -1, Groups: -1, Customers: -1,
		Message: "the profile schema cannot be changed through the Context Services API: it is configured on the server"}
}

// profile names every difference between the live and the desired
// profile, each refused.
func (r *replacer) profile() {
	for _, d := range r.des.Profile {
		l, ok := findAttr(r.cur.Profile, d.Name)
		switch {
		case !ok:
			r.profileSteps = append(r.profileSteps, Step{Change: AddAttribute{Attribute: d}, Hazards: []Hazard{inexpressibleProfile()}})
		case !l.SameState(strip(d)):
			r.profileSteps = append(r.profileSteps, Step{Change: UpdateAttribute{From: l, To: strip(d)}, Hazards: []Hazard{inexpressibleProfile()}})
		}
	}
	for _, l := range r.cur.Profile {
		if _, ok := findAttr(r.des.Profile, l.Name); !ok {
			r.profileSteps = append(r.profileSteps, Step{Change: DeleteAttribute{Attribute: l}, Hazards: []Hazard{inexpressibleProfile()}})
		}
	}
}

// lostRecords is the hazard of deleting an extension whose records the
// target cannot count.
func lostRecords(name string) Hazard {
	return Hazard{Kind: Destructive, Rows: -1, Values: -1, Groups: -1, Customers: -1,
		Message: fmt.Sprintf("deletes every record of extension %s, which the target cannot count", name)}
}

// extensions pairs desired extensions with live ones, by name or
// renamed_from, and plans their creation, replacement or deletion.
func (r *replacer) extensions() {
	r.replaced, r.deleted = map[string]model.Extension{}, map[string]bool{}
	continued := map[string]bool{}
	// A target that holds no extension yet accepts renamed_from that names
	// nothing, as Build does: the files can bootstrap a new environment.
	fresh := len(r.cur.Extensions) == 0
	for _, d := range r.des.Extensions {
		from, ok := r.cur.Extension(d.Name)
		if !ok && d.RenamedFrom != "" {
			from, ok = r.cur.Extension(d.RenamedFrom)
			switch {
			case ok && continued[lower(from.Name)]:
				r.problem(d.Pos, "extension %s is renamed_from %s, which another extension already continues", d.Name, d.RenamedFrom)
				continue
			case !ok && !fresh:
				r.problem(d.Pos, "extension %s is renamed_from %s, but the server has no extension %s; remove renamed_from once the rename is applied everywhere", d.Name, d.RenamedFrom, d.RenamedFrom)
				continue
			}
		}
		to := stripExtension(d)
		switch {
		case !ok:
			r.createExts = append(r.createExts, Step{Change: CreateExtension{Extension: to, Table: model.Table{Name: to.Table(), Extension: &to, Attributes: to.Attributes}}})
		case !sameExtension(from, to):
			continued[lower(from.Name)] = true
			r.replaced[lower(from.Name)] = to
		default:
			continued[lower(from.Name)] = true
		}
	}
	for _, l := range r.cur.Extensions {
		if !continued[lower(l.Name)] {
			r.deleted[lower(l.Name)] = true
			r.deleteExts = append(r.deleteExts, Step{Change: DeleteExtension{Extension: l, Table: model.Table{Name: l.Table(), Extension: &l, Attributes: l.Attributes}}, Hazards: []Hazard{lostRecords(l.Name)}})
		}
	}
}

// keys plans the keys, and the replaced extensions with the keys on them.
func (r *replacer) keys() {
	r.handledLive, r.handledDesired = map[string]bool{}, map[string]bool{}
	var froms []string
	for f := range r.replaced {
		froms = append(froms, f)
	}
	sort.Strings(froms)
	for _, f := range froms {
		from, _ := r.cur.Extension(f)
		to := r.replaced[f]
		c := ReplaceExtension{From: from, To: to}
		for _, k := range r.cur.Keys {
			if !k.OnProfile() && strings.EqualFold(k.Source, from.Name) {
				c.Keys = append(c.Keys, k)
				r.handledLive[lower(k.Name)] = true
			}
		}
		for _, k := range r.des.Keys {
			if !k.OnProfile() && strings.EqualFold(k.Source, to.Name) {
				c.NewKeys = append(c.NewKeys, stripKey(k))
				r.handledDesired[lower(k.Name)] = true
			}
		}
		r.replaceExts = append(r.replaceExts, Step{Change: c, Hazards: []Hazard{lostRecords(from.Name)}})
	}
	for _, l := range r.cur.Keys {
		if r.handledLive[lower(l.Name)] {
			continue
		}
		d, ok := r.des.Key(l.Name)
		switch {
		case ok && !r.handledDesired[lower(d.Name)] && sameKey(l, d):
		case ok && !r.handledDesired[lower(d.Name)] && !r.sourceDeleted(l):
			r.replaceKeys = append(r.replaceKeys, Step{Change: ReplaceKey{From: l, To: stripKey(d)}})
			r.handledDesired[lower(d.Name)] = true
		default:
			r.deleteKeys = append(r.deleteKeys, Step{Change: DeleteKey{Key: l}})
		}
	}
	for _, d := range r.des.Keys {
		if r.handledDesired[lower(d.Name)] {
			continue
		}
		if l, ok := r.cur.Key(d.Name); ok && !r.handledLive[lower(l.Name)] && sameKey(l, d) && !r.sourceDeleted(l) {
			continue
		}
		r.createKeys = append(r.createKeys, Step{Change: CreateKey{Key: stripKey(d)}})
	}
}

func (r *replacer) problem(pos model.Pos, format string, names ...string) {
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = quote.Value(n)
	}
	r.problems = append(r.problems, model.Problem{Pos: pos, Severity: model.SeverityError, Message: fmt.Sprintf(format, args...)})
}

// sourceDeleted reports whether live key k is on an extension that is
// deleted outright: the key must go first, so it cannot be replaced in one
// step after the extensions are created.
func (r *replacer) sourceDeleted(k model.Key) bool {
	return !k.OnProfile() && r.deleted[lower(k.Source)]
}

// sameExtension reports whether a target without an update holds to
// already as from: the same name, type, attributes (in any order) and
// unique items (in any order).
func sameExtension(from, to model.Extension) bool {
	if from.Name != to.Name || from.Type != to.Type || len(from.Attributes) != len(to.Attributes) || len(from.Unique) != len(to.Unique) {
		return false
	}
	for _, a := range to.Attributes {
		l, ok := findAttr(from.Attributes, a.Name)
		if !ok || !l.SameState(a) {
			return false
		}
	}
	for _, item := range to.Unique {
		found := false
		for _, l := range from.Unique {
			found = found || model.SameItem(l, item)
		}
		if !found {
			return false
		}
	}
	return true
}

// sameKey reports whether two keys are the same: name and attributes in
// the same case and order, the same source (names are case-insensitive)
// and uniqueness.
func sameKey(a, b model.Key) bool {
	return a.Name == b.Name && strings.EqualFold(sourceName(a), sourceName(b)) && a.Unique == b.Unique &&
		strings.Join(a.Attributes, "\x00") == strings.Join(b.Attributes, "\x00")
}

func stripExtension(e model.Extension) model.Extension {
	s := (&model.Schema{Extensions: []model.Extension{e}}).Stripped()
	return s.Extensions[0]
}

func stripKey(k model.Key) model.Key {
	k.Pos = model.Pos{}
	k.Attributes = append([]string(nil), k.Attributes...)
	return k
}
