package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/schemafile"
)

// declared reads the declared schema of the request's database.
func (s *Server) declared(r *http.Request) (*Database, *model.Schema, error) {
	db, err := s.cfg.Resolver.Resolve(r)
	if err != nil {
		return nil, nil, err
	}
	sch, err := db.declared(r.Context())
	return db, sch, err
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	db, sch, err := s.declared(r)
	if err != nil {
		return err
	}
	b, err := db.view(sch, "keys", func() any {
		out := make([]keyView, 0, len(sch.Keys))
		for _, k := range sch.Keys {
			out = append(out, keyOf(k))
		}
		return out
	})
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, b)
	return nil
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request) error {
	_, sch, err := s.declared(r)
	if err != nil {
		return err
	}
	k, ok := sch.Key(r.PathValue("name"))
	if !ok {
		return noSuch("identification key", r.PathValue("name"))
	}
	writeJSON(w, http.StatusOK, keyOf(k))
	return nil
}

func (s *Server) listExtensions(w http.ResponseWriter, r *http.Request) error {
	db, sch, err := s.declared(r)
	if err != nil {
		return err
	}
	b, err := db.view(sch, "extensions", func() any {
		out := make([]extensionView, 0, len(sch.Extensions))
		for _, e := range sch.Extensions {
			out = append(out, extensionOf(e))
		}
		return out
	})
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, b)
	return nil
}

func (s *Server) getExtension(w http.ResponseWriter, r *http.Request) error {
	_, sch, err := s.declared(r)
	if err != nil {
		return err
	}
	e, ok := sch.Extension(r.PathValue("name"))
	if !ok {
		return noSuch("extension", r.PathValue("name"))
	}
	writeJSON(w, http.StatusOK, extensionOf(e))
	return nil
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) error {
	db, sch, err := s.declared(r)
	if err != nil {
		return err
	}
	b, err := db.view(sch, "profile", func() any { return profileView{Attributes: attributesOf(sch.Profile)} })
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, b)
	return nil
}

func noSuch(kind, name string) error {
	return errorf(http.StatusNotFound, codeNotFound, "no %s %q; names are case-insensitive", kind, name)
}

// The writes. Each is one declarative change: an edit of the declared
// schema that apply.Run makes under its lock, to the schema as it is then,
// and applies as `ctxschema apply` would.

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, schemafile.KeyObject, "/metadata/identification-keys/", func(sch *model.Schema, name string) (string, bool) {
		k, ok := sch.Key(name)
		return k.Name, ok
	})
}

func (s *Server) createExtension(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, schemafile.ExtensionObject, "/metadata/profiles/extensions/", func(sch *model.Schema, name string) (string, bool) {
		e, ok := sch.Extension(name)
		return e.Name, ok
	})
}

// create adds the object of the request's body, of kind, to the declared
// schema; find finds an object of that kind by name, with its declared
// spelling. It answers 201 with the new object's URL under collection.
func (s *Server) create(w http.ResponseWriter, r *http.Request, kind schemafile.ObjectKind, collection string,
	find func(*model.Schema, string) (string, bool)) error {
	db, err := s.cfg.Resolver.Resolve(r)
	if err != nil {
		return err
	}
	body, err := parseObject(w, r, kind)
	if err != nil {
		return err
	}
	what := map[schemafile.ObjectKind]string{schemafile.KeyObject: "identification key", schemafile.ExtensionObject: "extension"}[kind]
	var created string
	edit := func(sch *model.Schema) (*model.Schema, error) {
		if name, exists := find(sch, body.name()); body.name() != "" && exists {
			return nil, errorf(http.StatusConflict, codeExists,
				"%s %q already exists (names are case-insensitive); the API has no update: delete it first to declare it again", what, name)
		}
		res, err := schemafile.AddObject(sch, kind, body.node, requestFile)
		if err != nil {
			var problems *model.Problems
			if errors.As(err, &problems) {
				return nil, &invalidError{problems: problems, paths: body.paths}
			}
			return nil, err
		}
		created, _ = find(res.Schema, body.name())
		return res.Schema, nil
	}
	if err := s.apply(r, db, edit, false); err != nil {
		return err
	}
	loc := s.base + collection + url.PathEscape(created)
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Location", loc)
	writeJSON(w, http.StatusCreated, createdView{Name: created})
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	db, err := s.cfg.Resolver.Resolve(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	edit := func(sch *model.Schema) (*model.Schema, error) {
		if _, ok := sch.Key(name); !ok {
			return nil, noSuch("identification key", name)
		}
		sch.Keys = model.RemoveKey(sch.Keys, name)
		return sch, nil
	}
	if err := s.apply(r, db, edit, false); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteExtension deletes an extension with its records and table, as
// Context Services documents: the DELETE is the caller's consent to lose
// them. It is refused while a key uses the extension.
func (s *Server) deleteExtension(w http.ResponseWriter, r *http.Request) error {
	db, err := s.cfg.Resolver.Resolve(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	edit := func(sch *model.Schema) (*model.Schema, error) {
		e, ok := sch.Extension(name)
		if !ok {
			return nil, noSuch("extension", name)
		}
		var users []string
		for _, k := range sch.Keys {
			if !k.OnProfile() && strings.EqualFold(k.Source, e.Name) {
				users = append(users, fmt.Sprintf("%q", k.Name))
			}
		}
		if len(users) > 0 {
			return nil, errorf(http.StatusConflict, codeInUse,
				"extension %q is the source of identification key %s; delete the key first", e.Name, strings.Join(users, ", "))
		}
		var keep []model.Extension
		for _, x := range sch.Extensions {
			if !strings.EqualFold(x.Name, e.Name) {
				keep = append(keep, x)
			}
		}
		sch.Extensions = keep
		return sch, nil
	}
	if err := s.apply(r, db, edit, true); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apply runs edit through the apply engine, after the earlier writes of
// this server to db. The apply is not cancelled when the client goes away
// or the server shuts down: it finishes, and its history records it.
func (s *Server) apply(r *http.Request, db *Database, edit func(*model.Schema) (*model.Schema, error), allowDestructive bool) error {
	release, left, err := db.queue(r.Context(), s.cfg.LockTimeout)
	if err != nil {
		return err
	}
	defer release()
	_, err = apply.Run(context.WithoutCancel(r.Context()), db.Target, nil, apply.Options{
		Edit:             edit,
		AllowDestructive: allowDestructive,
		LockTimeout:      left,
		Actor:            callerOf(r),
	})
	// Before the answer: a read that follows it sees the change.
	db.invalidate()
	return err
}

// setMode switches the server mode as `ctxschema mode` does: under the
// apply lock, recorded in the history.
func (s *Server) setMode(w http.ResponseWriter, r *http.Request) error {
	db, err := s.cfg.Resolver.Resolve(r)
	if err != nil {
		return err
	}
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	var body struct {
		Mode *string `json:"mode"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return &httpError{status: http.StatusBadRequest, code: codeInvalidSchema, message: "the request body is not a mode switch",
			problems: []Problem{{Field: jsonField(err), Message: "the body must be {\"mode\": \"production\"} or {\"mode\": \"maintenance\"}: " + err.Error()}}}
	}
	if body.Mode == nil {
		return &httpError{status: http.StatusBadRequest, code: codeInvalidSchema, message: "the request body is not a mode switch",
			problems: []Problem{{Field: "mode", Message: "mode is missing; give production or maintenance"}}}
	}
	m := model.Mode(strings.ToLower(*body.Mode))
	if !m.Valid() {
		return &httpError{status: http.StatusBadRequest, code: codeInvalidSchema, message: "the request body is not a mode switch",
			problems: []Problem{{Field: "mode", Message: fmt.Sprintf("unknown mode %q; give production or maintenance", *body.Mode)}}}
	}
	release, left, err := db.queue(r.Context(), s.cfg.LockTimeout)
	if err != nil {
		return err
	}
	defer release()
	if _, err := apply.SetMode(context.WithoutCancel(r.Context()), db.Target, m, apply.Options{LockTimeout: left, Actor: callerOf(r)}); err != nil {
		return err
	}
	w.Header().Set("Location", s.base+"/server/status")
	writeJSON(w, http.StatusOK, modeView{Changed: string(m)})
	return nil
}

// jsonField names the field a decoding error is about, when it says.
func jsonField(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return typeErr.Field
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return strings.Trim(f, `"`)
	}
	return ""
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	db, err := s.cfg.Resolver.Resolve(r)
	if err != nil {
		return err
	}
	mode, err := apply.ReadMode(r.Context(), db.Target)
	if err != nil {
		return err
	}
	v := statusView{
		Mode: string(mode), Version: s.cfg.Version, Database: db.Target.Dialect.Scheme(),
		Started:    s.started.UTC().Format(time.RFC3339),
		SystemTime: time.Now().UTC().Format(time.RFC3339),
		Requests:   s.requests.Load(),
	}
	if last := s.lastRequest.Load(); last != 0 {
		v.LastRequest = time.Unix(0, last).UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.Warn("not ready", slog.String("request_id", infoOf(r).id), slog.String("error", err.Error()))
			return errorf(http.StatusServiceUnavailable, codeUnavailable, "the database is unreachable; retry later")
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) openAPIDoc(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(s.openapi) //nolint:errcheck // the client went away
	return nil
}
