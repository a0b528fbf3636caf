package httptarget

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/plan"
)

// The API's paths, relative to the base URL. Follow-up URLs are built from
// these, never from Location headers (real servers leave /metadata out).
const (
	statusPath     = "/server/status"
	modePath       = "/server/mode"
	profilePath    = "/metadata/profiles"
	extensionsPath = "/metadata/profiles/extensions"
	keysPath       = "/metadata/identification-keys"
)

// Backend is a Context Services server as an apply.Backend. It has no lock
// (the server serialises its own writes), no transaction and no history.
type Backend struct {
	c *client
}

var _ apply.Backend = (*Backend)(nil)

// Open returns the Backend of the server at rawURL (http or https). It
// sends nothing: the first call is the first read.
func Open(rawURL string, o Options) (*Backend, error) {
	c, err := newClient(rawURL, o)
	if err != nil {
		return nil, err
	}
	return &Backend{c: c}, nil
}

// Describe implements apply.Backend.
func (b *Backend) Describe() apply.Description {
	return apply.Description{Database: b.c.display, Kind: "http", Calls: true}
}

// Mode implements apply.Backend with GET /server/status.
func (b *Backend) Mode(ctx context.Context) (model.Mode, error) {
	body, err := b.c.do(ctx, call{Method: http.MethodGet, Path: statusPath})
	if err != nil {
		return "", err
	}
	return modeOf(body)
}

// State implements apply.Backend: the status, the profile schema, the
// extensions and the keys, read at once in four calls whatever the size
// of the schema, normalised (see decode.go). The state has no physical
// layout (the API shows none) and the limits of the API: no update, a
// fixed profile.
func (b *Backend) State(ctx context.Context) (*plan.State, error) {
	paths := []string{statusPath, profilePath, extensionsPath, keysPath}
	bodies := make([][]byte, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i], errs[i] = b.c.do(ctx, call{Method: http.MethodGet, Path: p})
		}()
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, err
	}
	mode, err := modeOf(bodies[0])
	if err != nil {
		return nil, b.answerError(err)
	}
	s := &model.Schema{}
	if s.Profile, err = decodeProfile(bodies[1]); err != nil {
		return nil, b.answerError(err)
	}
	if s.Extensions, err = decodeExtensions(bodies[2]); err != nil {
		return nil, b.answerError(err)
	}
	if s.Keys, err = decodeKeys(bodies[3], s.Extensions); err != nil {
		return nil, b.answerError(err)
	}
	s.Sort()
	return &plan.State{Catalog: s, Mode: mode, Limits: plan.Limits{NoUpdate: true, FixedProfile: true}}, nil
}

// firstError is the first non-nil error of errs, in call order: one
// unreachable server is reported once, not four times.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) answerError(err error) error {
	return fmt.Errorf("reading the schema of %s: unexpected answer: %w", b.c.display, err)
}

// Plan implements apply.Backend: the state, the plan (no data checks: the
// API counts nothing), and each step's calls in Step.SQL.
func (b *Backend) Plan(ctx context.Context, desired *model.Schema, _ bool) (*plan.Plan, error) {
	st, err := b.State(ctx)
	if err != nil {
		return nil, err
	}
	return planFrom(ctx, st, desired)
}

// PlanFrom implements apply.Backend.
func (b *Backend) PlanFrom(ctx context.Context, st *plan.State, desired *model.Schema, _ bool) (*plan.Plan, error) {
	return planFrom(ctx, st, desired)
}

// planFrom plans desired against st and fills each step's calls.
func planFrom(ctx context.Context, st *plan.State, desired *model.Schema) (*plan.Plan, error) {
	p, err := plan.Build(ctx, st, desired, nil)
	if err != nil {
		return nil, err
	}
	for i := range p.Steps {
		cs, err := callsOf(p.Steps[i].Change)
		if err != nil {
			return nil, err
		}
		p.Steps[i].SQL = make([]string, len(cs))
		for j, c := range cs {
			p.Steps[i].SQL[j] = c.String()
		}
	}
	return p, nil
}

// Begin implements apply.Backend. The API has no lock: the session only
// makes 503 answers (the mode switching, the server's own lock held)
// retried for up to opts.LockTimeout.
func (b *Backend) Begin(_ context.Context, opts apply.Options) (apply.Session, error) {
	c := *b.c
	c.retryFor = opts.LockTimeout
	return &session{b: &Backend{c: &c}}, nil
}

// SetMode implements apply.Backend: GET /server/status, then POST
// /server/mode when the mode differs. While the server switches it answers
// 503, retried for up to opts.LockTimeout.
func (b *Backend) SetMode(ctx context.Context, m model.Mode, opts apply.Options) (model.Mode, error) {
	c := *b.c
	c.retryFor = opts.LockTimeout
	rb := &Backend{c: &c}
	old, err := rb.Mode(ctx)
	if err != nil || old == m {
		return old, err
	}
	if _, err := c.do(ctx, call{Method: http.MethodPost, Path: modePath, Body: map[string]string{"mode": string(m)}}); err != nil {
		return old, err
	}
	return old, nil
}

// session is an apply through the API.
type session struct {
	b *Backend
}

// State implements apply.Session.
func (s *session) State(ctx context.Context) (*plan.State, error) { return s.b.State(ctx) }

// Plan implements apply.Session.
func (s *session) Plan(ctx context.Context, st *plan.State, desired *model.Schema) (*plan.Plan, error) {
	return planFrom(ctx, st, desired)
}

// Close implements apply.Session: there is nothing to release.
func (s *session) Close() error { return nil }

// Execute implements apply.Session: the calls of each step in order, each
// step reported as events and each call's outcome through opts.Log. It stops at the first failure with an
// *apply.PartialError saying what was done and what was not; a 403 (the
// server switched to production mode meanwhile) makes it unwrap to an
// *apply.ModeError. A DELETE answered 404 has nothing left to delete and
// counts as done, so that a rerun after a failure converges.
func (s *session) Execute(ctx context.Context, p *plan.Plan, opts apply.Options) (int, error) {
	var done []string
	for i, st := range p.Steps {
		cs, err := callsOf(st.Change)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		opts.Emit(apply.Event{Type: apply.ChangeStart, Time: start, Step: &p.Steps[i]})
		for j, c := range cs {
			_, err := s.b.c.do(ctx, c)
			var ae *APIError
			switch {
			case errors.As(err, &ae) && ae.Status == http.StatusNotFound && c.Method == http.MethodDelete:
				opts.Logf("%s: 404, nothing to delete", c)
				err = nil
			case err == nil:
				opts.Logf("%s: done", c)
			default:
				opts.Logf("%s: failed", c)
			}
			if err != nil {
				pe := &apply.PartialError{Done: done, Failed: c.String(), Err: err}
				for _, rest := range cs[j+1:] {
					pe.NotDone = append(pe.NotDone, rest.String())
				}
				for _, rest := range p.Steps[i+1:] {
					more, _ := callsOf(rest.Change)
					for _, r := range more {
						pe.NotDone = append(pe.NotDone, r.String())
					}
				}
				if s.inProduction(ctx, ae) {
					pe.Err = &apply.ModeError{}
					pe.Cause = err
				}
				return 0, pe
			}
			done = append(done, c.String())
		}
		opts.Emit(apply.Event{Type: apply.ChangeDone, Step: &p.Steps[i], Elapsed: time.Since(start)})
	}
	return 0, nil
}

// inProduction reports whether the server refused a call for its mode:
// a 403 (the seed page's answer to a schema change in production mode),
// or a 503 that outlasted the retries while the status says production
// (the answer of most pages to a call the mode does not allow).
func (s *session) inProduction(ctx context.Context, ae *APIError) bool {
	switch {
	case ae == nil:
		return false
	case ae.Status == http.StatusForbidden:
		return true
	case ae.Status == http.StatusServiceUnavailable:
		m, err := s.b.Mode(ctx)
		return err == nil && m == model.Production
	}
	return false
}

// callsOf is the API calls that make change c, in order.
func callsOf(c plan.Change) ([]call, error) {
	switch c := c.(type) {
	case plan.CreateExtension:
		return []call{createExtension(c.Extension)}, nil
	case plan.DeleteExtension:
		return []call{deleteExtension(c.Extension.Name)}, nil
	case plan.ReplaceExtension:
		var out []call
		for _, k := range c.Keys {
			out = append(out, deleteKey(k.Name))
		}
		out = append(out, deleteExtension(c.From.Name), createExtension(c.To))
		for _, k := range c.NewKeys {
			out = append(out, createKey(k))
		}
		return out, nil
	case plan.CreateKey:
		return []call{createKey(c.Key)}, nil
	case plan.DeleteKey:
		return []call{deleteKey(c.Key.Name)}, nil
	case plan.ReplaceKey:
		return []call{deleteKey(c.From.Name), createKey(c.To)}, nil
	case plan.AddAttribute, plan.DeleteAttribute, plan.UpdateAttribute:
		// The profile: refused before any call (an Inexpressible hazard).
		return nil, nil
	}
	o := c.Object()
	return nil, fmt.Errorf("the Context Services API cannot %s %s %q; this is a bug in ctxschema, please report it", c.Action(), o.Kind, o.Name)
}

func createExtension(e model.Extension) call {
	return call{Method: http.MethodPost, Path: extensionsPath, Body: extensionBody(e), Name: e.Name}
}

func deleteExtension(name string) call {
	return call{Method: http.MethodDelete, Path: extensionsPath + "/" + url.PathEscape(name)}
}

func createKey(k model.Key) call {
	return call{Method: http.MethodPost, Path: keysPath, Body: keyBody(k), Name: k.Name}
}

func deleteKey(name string) call {
	return call{Method: http.MethodDelete, Path: keysPath + "/" + url.PathEscape(name)}
}

// The request bodies, as the Context Services pages document them.

type attributeBody struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Length    int     `json:"length,omitempty"`
	Default   *string `json:"default,omitempty"`
	Mandatory bool    `json:"mandatory"`
	Encrypt   bool    `json:"encrypt"`
}

type extensionBodyDoc struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Attributes []attributeBody `json:"attributes"`
	Unique     []any           `json:"unique,omitempty"`
}

type keyBodyDoc struct {
	Name       string   `json:"name"`
	Source     string   `json:"source"`
	Attributes []string `json:"attributes"`
	Unique     bool     `json:"unique"`
}

func extensionBody(e model.Extension) extensionBodyDoc {
	d := extensionBodyDoc{Name: e.Name, Type: string(e.Type), Attributes: []attributeBody{}}
	for _, a := range e.Attributes {
		ab := attributeBody{Name: a.Name, Type: string(a.Type), Default: a.Default, Mandatory: a.Mandatory, Encrypt: a.Encrypt}
		if a.Type == model.String {
			ab.Length = a.Length
		}
		d.Attributes = append(d.Attributes, ab)
	}
	for _, item := range e.Unique {
		if len(item) == 1 {
			d.Unique = append(d.Unique, item[0])
		} else {
			d.Unique = append(d.Unique, append([]string(nil), item...))
		}
	}
	return d
}

func keyBody(k model.Key) keyBodyDoc {
	src := k.Source
	if k.OnProfile() {
		src = model.ProfileSource
	}
	return keyBodyDoc{Name: k.Name, Source: src, Attributes: append([]string{}, k.Attributes...), Unique: k.Unique}
}
