package server

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Role is what a token may do.
type Role string

// The roles of an auth file.
const (
	// Admin may call every endpoint.
	Admin Role = "admin"
	// Reader may only read (GET).
	Reader Role = "reader"
)

// Auth is the tokens of an auth file (API.md section 3). Only their
// SHA-256 is known: a token itself is never stored, logged or answered.
type Auth struct {
	tokens []token
}

type token struct {
	name string
	hash [sha256.Size]byte
	role Role
}

// authFile is the YAML of an auth file.
type authFile struct {
	Tokens []struct {
		Name   string `yaml:"name"`
		SHA256 string `yaml:"sha256"`
		Role   string `yaml:"role"`
	} `yaml:"tokens"`
}

// LoadAuth reads the auth file at path. Every problem is reported at
// once, naming the file and the token.
func LoadAuth(path string) (*Auth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the auth file: %w", err)
	}
	return ParseAuth(path, b)
}

// ParseAuth reads an auth file's content; name is the file's name in
// errors.
func ParseAuth(name string, b []byte) (*Auth, error) {
	var f authFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("auth file %s: %w; see the README for its format (tokens: a list of name, sha256, role)", name, err)
	}
	var errs []error
	if len(f.Tokens) == 0 {
		errs = append(errs, fmt.Errorf("auth file %s lists no tokens; add tokens: a list of name, sha256 and role", name))
	}
	a := &Auth{}
	seen := map[string]bool{}
	for i, t := range f.Tokens {
		what := fmt.Sprintf("auth file %s: token %d", name, i+1)
		if t.Name != "" {
			what += fmt.Sprintf(" (%q)", t.Name)
		}
		var tok token
		switch {
		case t.Name == "":
			errs = append(errs, fmt.Errorf("%s has no name; add name: the caller's name in the history and the log", what))
		case seen[strings.ToLower(t.Name)]:
			errs = append(errs, fmt.Errorf("%s: the name is given twice; names must be unique", what))
		}
		seen[strings.ToLower(t.Name)] = true
		tok.name = t.Name
		h, err := hex.DecodeString(t.SHA256)
		if err != nil || len(h) != sha256.Size {
			errs = append(errs, fmt.Errorf("%s: sha256 must be the 64 hex digits of the token's SHA-256 (printf %%s TOKEN | sha256sum)", what))
		} else {
			copy(tok.hash[:], h)
		}
		switch Role(t.Role) {
		case Admin, Reader:
			tok.role = Role(t.Role)
		default:
			errs = append(errs, fmt.Errorf("%s: role %q is not admin or reader", what, t.Role))
		}
		a.tokens = append(a.tokens, tok)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// check authenticates r by its bearer token and returns the token's name;
// a reader's token may only read. Every token is compared, in constant
// time, so that the answer's timing tells nothing of the tokens.
func (a *Auth) check(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", errorf(http.StatusUnauthorized, codeUnauthorized, "credentials missing: send Authorization: Bearer TOKEN")
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	var found *token
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], a.tokens[i].hash[:]) == 1 {
			found = &a.tokens[i]
		}
	}
	if found == nil {
		return "", errorf(http.StatusUnauthorized, codeUnauthorized, "credentials wrong: the bearer token is not known to this server")
	}
	if found.role != Admin && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return found.name, errorf(http.StatusUnauthorized, codeUnauthorized,
			"the given user is not allowed to execute a given service: %q is a reader; %s needs an admin token", found.name, r.Method)
	}
	return found.name, nil
}
