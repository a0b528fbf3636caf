package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ctxschema/ctxschema/internal/catalog"
)

const (
	adminToken  = "s3cret-admin-token"
	readerToken = "s3cret-reader-token"
)

func authFileFor() string {
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	return fmt.Sprintf(`tokens:
  - name: ci
    sha256: %s
    role: admin
  - name: dashboard
    sha256: %s
    role: reader
`, sum(adminToken), sum(readerToken))
}

// TestAuth checks the 401s of API.md section 2, that a reader only reads,
// that the history names the token, and that no token is ever logged.
func TestAuth(t *testing.T) {
	dialects(t, func(t *testing.T, url string) {
		tg := open(t, url)
		applyYAML(t, tg, fixture)
		auth, err := ParseAuth("auth.yaml", []byte(authFileFor()))
		if err != nil {
			t.Fatal(err)
		}
		cfg := singleConfig(tg)
		cfg.Auth = auth
		cfg.BasePath = "/cms"
		base, log := serve(t, cfg)
		bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
		key := `{"name":"idLastName","attributes":["LastName"]}`
		www := map[string]string{"WWW-Authenticate": `Bearer realm="ctxschema"`}
		for _, x := range []exchange{
			{name: "missing", method: "GET", path: "/metadata/identification-keys", code: 401, headers: www,
				want: `{"error":{"code":"unauthorized","message":"credentials missing: send Authorization: Bearer TOKEN","uri":"/cms/metadata/identification-keys"}}`},
			{name: "wrong", method: "GET", path: "/metadata/identification-keys", header: bearer("guess"), code: 401, headers: www,
				want: `{"error":{"message":"credentials wrong: the bearer token is not known to this server"}}`},
			{name: "not bearer", method: "GET", path: "/metadata/identification-keys", header: map[string]string{"Authorization": "Basic Y2k6eA=="}, code: 401},
			{name: "unknown URI asks first", method: "GET", path: "/metadata/nothing", code: 401},
			{name: "reader reads", method: "GET", path: "/metadata/identification-keys/idEmail", header: bearer(readerToken), code: 200},
			{name: "reader writes", method: "POST", path: "/metadata/identification-keys", header: bearer(readerToken), body: key, code: 401, headers: www,
				want: `{"error":{"message":"the given user is not allowed to execute a given service: \"dashboard\" is a reader; POST needs an admin token"}}`},
			{name: "reader switches mode", method: "POST", path: "/server/mode", header: bearer(readerToken), body: `{"mode":"production"}`, code: 401},
			{name: "admin writes", method: "POST", path: "/metadata/identification-keys/", header: bearer(adminToken), body: key, code: 201,
				headers: map[string]string{"Location": "/cms/metadata/identification-keys/idLastName"}},
			{name: "admin switches mode", method: "POST", path: "/server/mode", header: bearer(adminToken), body: `{"mode":"production"}`, code: 200},
			{name: "health needs none", method: "GET", path: "/healthz", code: 200},
			{name: "readiness needs none", method: "GET", path: "/readyz/", code: 200},
			{name: "description needs none", method: "GET", path: "/openapi.json", code: 200, want: `{"servers":[{"url":"/cms"}]}`},
			{name: "outside the base path", method: "GET", path: "/../metadata/identification-keys", header: bearer(adminToken), code: 404},
		} {
			t.Run(x.name, func(t *testing.T) { x.run(t, &http.Client{}, base) })
		}
		hist, err := catalog.History(context.Background(), tg.DB)
		if err != nil {
			t.Fatal(err)
		}
		var actors []string
		for _, e := range hist[len(hist)-2:] {
			actors = append(actors, e.Kind+" by "+e.Actor)
		}
		if got := strings.Join(actors, ", "); got != "apply by ci, mode by ci" {
			t.Errorf("history: %s, want apply by ci, mode by ci", got)
		}
		l := log.String()
		for _, secret := range []string{adminToken, readerToken, "guess", "Y2k6eA"} {
			if strings.Contains(l, secret) {
				t.Errorf("the log holds the credential %q:\n%s", secret, l)
			}
		}
		if !strings.Contains(l, `caller=dashboard`) || !strings.Contains(l, `caller=ci`) {
			t.Errorf("the access log does not name the callers:\n%s", l)
		}
	})
}

func TestParseAuthProblems(t *testing.T) {
	_, err := ParseAuth("auth.yaml", []byte(`tokens:
  - name: ci
    sha256: abc
    role: owner
  - sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    role: admin
  - name: CI
    sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    role: reader
`))
	want := `auth file auth.yaml: token 1 ("ci"): sha256 must be the 64 hex digits of the token's SHA-256 (printf %s TOKEN | sha256sum)
auth file auth.yaml: token 1 ("ci"): role "owner" is not admin or reader
auth file auth.yaml: token 2 has no name; add name: the caller's name in the history and the log
auth file auth.yaml: token 3 ("CI"): the name is given twice; names must be unique`
	if err == nil || err.Error() != want {
		t.Errorf("ParseAuth: %v\nwant:\n%s", err, want)
	}
	if _, err := ParseAuth("auth.yaml", []byte("tokens:\n  - name: ci\n    token: x\n")); err == nil || !strings.Contains(err.Error(), "field token not found") {
		t.Errorf("an unknown field: %v", err)
	}
}
