package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxschema/ctxschema/internal/httptarget/replay"
)

// The HTTP target through the whole CLI, in-process, against a replay of a
// real Context Services server (internal/httptarget/replay): exit codes,
// views, and the calls the server received.

const httpProfile = `profile:
  attributes:
    - { name: FirstName, type: string, length: 64 }
    - { name: LastName, type: string, length: 64 }
    - { name: EmailAddress, type: string, length: 256, mandatory: true }
`

const httpPhone = `extensions:
  - name: Phone
    type: multi-valued
    attributes:
      - { name: PhoneType, type: integer, default: 0, mandatory: true }
      - { name: prefix, type: string, length: 3, default: "555" }
      - { name: PhoneNumber, type: string, length: 15, mandatory: true, unique: true }
identification_keys:
  - name: idPhone
    source: Phone
    attributes: [PhoneNumber]
  - name: idEmail
    attributes: [EmailAddress]
    unique: true
`

// realProfile is the profile of httpProfile as a real server lists it.
func realProfile() []map[string]any {
	return []map[string]any{
		replay.Attr("FirstName", "string", "length", "64"),
		replay.Attr("LastName", "string", "length", 64, "mandatory", "false"),
		replay.Attr("EmailAddress", "string", "length", "256", "mandatory", "true"),
	}
}

// schemaDir writes schema files into a new directory.
func schemaDir(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for i, f := range files {
		if err := os.WriteFile(filepath.Join(dir, "s"+string(rune('a'+i))+".yaml"), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type result struct {
	code           int
	stdout, stderr string
}

func ctxschema(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"ctxschema"}, args...), strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func (r result) want(t *testing.T, code int, contains ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, c := range contains {
		if !strings.Contains(r.stdout+r.stderr, c) {
			t.Errorf("output does not contain %q\nstdout:\n%s\nstderr:\n%s", c, r.stdout, r.stderr)
		}
	}
}

func TestHTTPBootstrapConvergeReplace(t *testing.T) {
	srv := replay.New("/cms", realProfile()...)
	defer srv.Close()
	db := srv.URL + "/cms"
	dir := schemaDir(t, httpProfile, httpPhone)

	ctxschema(t, "plan", "--dir", dir, "--db", db, "--detailed-exitcode").want(t, 2, "+ extension           Phone", "+ identification key  idPhone")
	if w := replay.Writes(srv.Requests()); len(w) != 0 {
		t.Fatalf("plan wrote: %v", w)
	}
	ctxschema(t, "apply", "--dir", dir, "--db", db, "--auto-approve").want(t, 0,
		"POST /metadata/profiles/extensions (Phone): done", "POST /metadata/identification-keys (idPhone): done", "Apply complete!")
	// The server lists everything back in its own shapes: the plan is empty.
	ctxschema(t, "plan", "--dir", dir, "--db", db, "--detailed-exitcode").want(t, 0)
	srv.Requests()

	// A changed extension is replaced: destructive, refused without the flag.
	changed := strings.Replace(httpPhone, `length: 3, default: "555"`, `length: 4, default: "555"`, 1)
	dir2 := schemaDir(t, httpProfile, changed)
	ctxschema(t, "apply", "--dir", dir2, "--db", db, "--auto-approve").want(t, 5, "-/+ extension", "--allow-destructive", "cannot count")
	if w := replay.Writes(srv.Requests()); len(w) != 0 {
		t.Fatalf("a refused apply wrote: %v", w)
	}
	ctxschema(t, "apply", "--dir", dir2, "--db", db, "--auto-approve", "--allow-destructive").want(t, 0)
	want := []string{
		"DELETE /metadata/identification-keys/idPhone",
		"DELETE /metadata/profiles/extensions/Phone",
		"POST /metadata/profiles/extensions",
		"POST /metadata/identification-keys",
	}
	if got := replay.Writes(srv.Requests()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ctxschema(t, "plan", "--dir", dir2, "--db", db, "--detailed-exitcode").want(t, 0)

	// A changed key is deleted and created again, and is not destructive.
	dir3 := schemaDir(t, httpProfile, strings.Replace(changed, "    unique: true\n", "", 1))
	ctxschema(t, "apply", "--dir", dir3, "--db", db, "--auto-approve").want(t, 0, "-/+ identification key  idEmail")
	if got := replay.Writes(srv.Requests()); strings.Join(got, ",") != "DELETE /metadata/identification-keys/idEmail,POST /metadata/identification-keys" {
		t.Fatalf("calls: %v", got)
	}

	// inspect round trip: the files it writes plan with no changes.
	out := filepath.Join(t.TempDir(), "inspected")
	ctxschema(t, "inspect", "--db", db, "--out", out).want(t, 0)
	ctxschema(t, "plan", "--dir", out, "--db", db, "--detailed-exitcode").want(t, 0)
}

func TestHTTPNormalisesRealAnswers(t *testing.T) {
	srv := replay.New("/cms", realProfile()...)
	defer srv.Close()
	// The documented samples: lengths and booleans as strings beside
	// numbers, `required`, a unique attribute flagged on the attribute, a
	// key listed with extension.attribute and no source, a stray space.
	srv.SeedExtension(map[string]any{"name": "Phone", "type": "multi-valued", "required": "false", "attributes": []any{
		map[string]any{"name": "PhoneType", "type": "integer", "default": 0, "mandatory": "true"},
		map[string]any{"name": "prefix", "type": "string", "length": "3", "default": "555"},
		map[string]any{"name": "PhoneNumber", "type": "string", "length": 15, "mandatory": true, "unique": "true"},
	}})
	srv.SeedKey(map[string]any{"name": "idPhone", "attributes": []any{" Phone.PhoneNumber"}})
	srv.SeedKey(map[string]any{"name": "idEmail", "attributes": []any{"EmailAddress"}, "unique": "true"})
	dir := schemaDir(t, httpProfile, httpPhone)
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL+"/cms/", "--detailed-exitcode").want(t, 0)
	rs := srv.Requests()
	if len(rs) != 4 {
		t.Errorf("plan made %d calls, want 4 (status, profile, extensions, keys)", len(rs))
	}
}

func TestHTTPRefusals(t *testing.T) {
	srv := replay.New("", realProfile()...)
	defer srv.Close()
	dir := schemaDir(t, httpProfile, httpPhone)

	// The profile cannot change through the API: named and refused.
	moreProfile := strings.Replace(httpProfile, "length: 256", "length: 300", 1)
	ctxschema(t, "plan", "--dir", schemaDir(t, moreProfile), "--db", srv.URL).want(t, 5, "EmailAddress", "cannot be made")

	// Production mode: plan exits 3, apply refuses before any call.
	srv.SetMode("production")
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL).want(t, 3, "production")
	srv.Requests()
	ctxschema(t, "apply", "--dir", dir, "--db", srv.URL, "--auto-approve").want(t, 3)
	if w := replay.Writes(srv.Requests()); len(w) != 0 {
		t.Fatalf("apply in production mode wrote: %v", w)
	}

	// mode through the API, with the 503s of the switch retried.
	ctxschema(t, "mode", "--db", srv.URL).want(t, 0, "production")
	ctxschema(t, "mode", "--db", srv.URL, "maintenance").want(t, 0, "maintenance (was production)")
	ctxschema(t, "mode", "--db", srv.URL).want(t, 0, "maintenance")

	// The API shows no tables: no drift.
	ctxschema(t, "plan", "--drift-only", "--db", srv.URL, "--detailed-exitcode").want(t, 0)

	// history: the API has none.
	ctxschema(t, "history", "--db", srv.URL).want(t, 1, "no history", "Context Services API")

	// --format sql lists the calls instead of SQL.
	r := ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--format", "sql")
	r.want(t, 0, "runs Context Services API calls, not SQL", "--   POST /metadata/profiles/extensions (Phone)")
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if !strings.HasPrefix(l, "--") {
			t.Errorf("the sql view of an http target has a line that is not a comment: %q", l)
		}
	}
}

func TestHTTPPartialFailures(t *testing.T) {
	srv := replay.New("", realProfile()...)
	defer srv.Close()
	dir := schemaDir(t, httpProfile, httpPhone)

	// A failure in the middle: exit 1, saying what was done and not.
	srv.Fail("POST /metadata/identification-keys", 1, http.StatusInternalServerError, nil)
	ctxschema(t, "apply", "--dir", dir, "--db", srv.URL, "--auto-approve").want(t, 1,
		"apply stopped at POST /metadata/identification-keys (idEmail)", "500", "done, and not undone: POST /metadata/profiles/extensions (Phone)",
		"not done: POST /metadata/identification-keys (idPhone)")
	// A rerun converges.
	ctxschema(t, "apply", "--dir", dir, "--db", srv.URL, "--auto-approve").want(t, 0)
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--detailed-exitcode").want(t, 0)

	// A 403 in the middle (the server switched to production): exit 3.
	dir2 := schemaDir(t, httpProfile, strings.Replace(httpPhone, "length: 3,", "length: 5,", 1))
	srv.Fail("DELETE /metadata/profiles/extensions", 1, 0, replay.ProductionNow)
	ctxschema(t, "apply", "--dir", dir2, "--db", srv.URL, "--auto-approve", "--allow-destructive").want(t, 3,
		"apply stopped at DELETE /metadata/profiles/extensions/Phone", "403", "production mode",
		"done, and not undone: DELETE /metadata/identification-keys/idPhone")
	srv.SetMode("maintenance")
	ctxschema(t, "apply", "--dir", dir2, "--db", srv.URL, "--auto-approve", "--allow-destructive").want(t, 0)
	ctxschema(t, "plan", "--dir", dir2, "--db", srv.URL, "--detailed-exitcode").want(t, 0)

	// Most pages answer a call the mode refuses with 503: once the
	// retries are over and the status says production, that is exit 3 too.
	srv.Fail("DELETE /metadata/identification-keys", 1, 0, func(s *replay.Server) {
		replay.ProductionNow(s)
		replay.Unavailable(s)
	})
	ctxschema(t, "apply", "--dir", dir, "--db", srv.URL, "--auto-approve", "--allow-destructive", "--lock-timeout", "200ms").want(t, 3,
		"apply stopped at DELETE /metadata/identification-keys/idPhone", "503", "production mode")
}

func TestHTTPRetriesAndTimeouts(t *testing.T) {
	srv := replay.New("", realProfile()...)
	defer srv.Close()
	dir := schemaDir(t, httpProfile, httpPhone)

	// 503s during an apply are retried up to --lock-timeout.
	srv.Fail("POST /metadata/profiles/extensions", 1, http.StatusServiceUnavailable, nil)
	srv.Fail("POST /metadata/profiles/extensions", 1, http.StatusServiceUnavailable, nil)
	srv.Requests()
	ctxschema(t, "apply", "--dir", dir, "--db", srv.URL, "--auto-approve").want(t, 0)
	n := 0
	for _, w := range replay.Writes(srv.Requests()) {
		if w == "POST /metadata/profiles/extensions" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("POST extension sent %d times, want 3 (two 503s retried)", n)
	}
	// A server that stays busy past --lock-timeout fails the apply.
	srv.Busy(1000)
	ctxschema(t, "mode", "--db", srv.URL, "--lock-timeout", "300ms", "production").want(t, 1, "503")
	srv.Busy(0)

	// A call that takes longer than --api-timeout fails with exit 1.
	srv.Delay(2e9)
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--api-timeout", "100ms").want(t, 1, "no answer within 100ms", srv.URL)
	srv.Delay(0)

	// An unreachable server: exit 1 naming the URL.
	dead := replay.New("")
	url := dead.URL
	dead.Close()
	ctxschema(t, "plan", "--dir", dir, "--db", url+"/cms").want(t, 1, "cannot reach the Context Services server at "+url+"/cms")
}

func TestHTTPCredentialsAndTenant(t *testing.T) {
	srv := replay.New("", realProfile()...)
	defer srv.Close()
	dir := schemaDir(t, httpProfile, httpPhone)
	out := filepath.Join(t.TempDir(), "plan.json")
	withPass := strings.Replace(srv.URL, "http://", "http://ops:s3cr3tpass@", 1)

	r := ctxschema(t, "plan", "--dir", dir, "--db", withPass, "--tenant", "101", "--out", out, "--format", "json")
	r.want(t, 0, `"format_version"`, `"dialect": "http"`)
	rs := srv.Requests()
	for _, q := range rs {
		if q.Header.Get("X-Genesys-TenantId") != "101" {
			t.Errorf("%s %s: X-Genesys-TenantId %q", q.Method, q.Path, q.Header.Get("X-Genesys-TenantId"))
		}
		if u, p, ok := (&http.Request{Header: q.Header}).BasicAuth(); !ok || u != "ops" || p != "s3cr3tpass" {
			t.Errorf("%s %s: no Basic credentials from the URL", q.Method, q.Path)
		}
	}
	saved, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{r.stdout, r.stderr, string(saved)} {
		if strings.Contains(s, "s3cr3tpass") {
			t.Fatalf("the password leaked:\n%s", s)
		}
	}

	// The saved plan names the server without the password, and with
	// its tenant; apply takes the URL again, and no other tenant.
	ctxschema(t, "apply", out).want(t, 1, "does not keep its password")
	ctxschema(t, "apply", "--db", withPass, out).want(t, 1, "#tenant=101")
	ctxschema(t, "apply", "--db", withPass+"#tenant=101", "--tenant", "102", out).want(t, 1, "--tenant 102, but the URL names tenant 101")
	srv.Requests()
	r = ctxschema(t, "apply", "--db", withPass+"#tenant=101", out)
	r.want(t, 0, "Apply complete!")
	for _, q := range srv.Requests() {
		if q.Header.Get("X-Genesys-TenantId") != "101" {
			t.Errorf("%s %s: X-Genesys-TenantId %q", q.Method, q.Path, q.Header.Get("X-Genesys-TenantId"))
		}
	}
	if strings.Contains(r.stdout+r.stderr, "s3cr3tpass") {
		t.Fatalf("the password leaked:\n%s%s", r.stdout, r.stderr)
	}

	t.Setenv("CTXSCHEMA_API_TOKEN", "tok-3x4mpl3")
	srv.Fail("GET /server/status", 1, http.StatusUnauthorized, nil)
	r = ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--tenant", "101")
	r.want(t, 1, "401")
	r = ctxschema(t, "apply", "--dir", dir, "--db", srv.URL, "--auto-approve", "--allow-destructive")
	r.want(t, 0)
	for _, q := range srv.Requests() {
		if got := q.Header.Get("Authorization"); got != "Bearer tok-3x4mpl3" {
			t.Errorf("%s %s: Authorization %q", q.Method, q.Path, got)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "tok-3x4mpl3") {
		t.Fatalf("the token leaked:\n%s%s", r.stdout, r.stderr)
	}
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--tenant", "acme").want(t, 1, "integer")
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL+"/cms?tenant=1").want(t, 1, "has no query")
}

func TestHTTPSavedPlanStale(t *testing.T) {
	srv := replay.New("", realProfile()...)
	defer srv.Close()
	dir := schemaDir(t, httpProfile, httpPhone)
	out := filepath.Join(t.TempDir(), "plan.json")
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--out", out).want(t, 0)
	// Someone adds a key through the API after the plan was saved.
	srv.SeedKey(map[string]any{"name": "idLast", "attributes": []any{"LastName"}})
	ctxschema(t, "apply", out).want(t, 5, "stale")
	if w := replay.Writes(srv.Requests()); len(w) != 0 {
		t.Fatalf("a stale plan wrote: %v", w)
	}
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--out", out).want(t, 0, "- identification key  idLast")
	// show prints a saved plan's calls as plan does.
	r := ctxschema(t, "show", "--format", "sql", out)
	r.want(t, 0, "runs Context Services API calls, not SQL", "--   DELETE /metadata/identification-keys/idLast")
	ctxschema(t, "apply", out).want(t, 0)
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--detailed-exitcode").want(t, 0)

	// A plan made for a tenant applies to that tenant, by itself.
	srv.SeedKey(map[string]any{"name": "idLast", "attributes": []any{"LastName"}})
	ctxschema(t, "plan", "--dir", dir, "--db", srv.URL, "--tenant", "7", "--out", out).want(t, 0, "#tenant=7")
	srv.Requests()
	ctxschema(t, "apply", out).want(t, 0)
	for _, q := range srv.Requests() {
		if q.Header.Get("X-Genesys-TenantId") != "7" {
			t.Errorf("%s %s: X-Genesys-TenantId %q", q.Method, q.Path, q.Header.Get("X-Genesys-TenantId"))
		}
	}
}
