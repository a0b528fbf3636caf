package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/catalog"
	"github.com/ctxschema/ctxschema/internal/dialect"
)

// TestConformance drives a real server on loopback, with a real client,
// through every endpoint of API.md section 1 and every code of section 2,
// on SQLite and PostgreSQL. The exchanges run in order: each starts from
// the database the previous ones left.
func TestConformance(t *testing.T) {
	dialects(t, func(t *testing.T, url string) {
		tg := open(t, url)
		applyYAML(t, tg, fixture)
		// Two customers share a last name: a unique key over it fails its
		// data check.
		for _, stmt := range []string{
			"INSERT INTO profile (customer_id, lastname) VALUES ('c1', 'Smith')",
			"INSERT INTO profile (customer_id, lastname) VALUES ('c2', 'Smith')",
			"INSERT INTO profile (customer_id, lastname) VALUES ('c3', 'Jones')",
		} {
			if _, err := tg.DB.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		cfg := singleConfig(tg)
		cfg.LockTimeout = 500 * time.Millisecond
		base, log := serve(t, cfg)
		client := &http.Client{}
		for _, x := range conformance(tg) {
			t.Run(x.name, func(t *testing.T) { x.run(t, client, base) })
		}

		// The catalog and the physical layout agree: planning the declared
		// schema again finds nothing to do (no index left by the refused
		// unique key, none missing).
		declared, _, err := apply.Declared(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := apply.Prepare(context.Background(), tg, declared)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Empty() {
			t.Errorf("the plan after the API calls is not empty: %d steps, first %s", len(p.Steps), p.Steps[0].Change.Describe())
		}
		// The history names the caller of every change.
		hist, err := catalog.History(context.Background(), tg.DB)
		if err != nil {
			t.Fatal(err)
		}
		var api []string
		for _, e := range hist {
			if e.Actor == "api" {
				api = append(api, e.Kind+": "+strings.ReplaceAll(e.Detail, "\n", "; ")+e.Summary)
			}
		}
		want := []string{
			"apply: + identification key idPhone1 to create, 0 to update, 0 to delete",
			"apply: - identification key idPhone0 to create, 0 to update, 1 to delete",
			"apply: + identification key idPhone1 to create, 0 to update, 0 to delete",
			"apply: + extension Phone1 to create, 0 to update, 0 to delete",
			"mode: maintenance -> production",
			"mode: production -> maintenance",
			"apply: - extension Phone0 to create, 0 to update, 1 to delete",
		}
		if strings.Join(api, "\n") != strings.Join(want, "\n") {
			t.Errorf("history by the API:\n%s\nwant:\n%s", strings.Join(api, "\n"), strings.Join(want, "\n"))
		}
		// The access log has a line per request, and never a body.
		if n := strings.Count(log.String(), "msg=request "); n != len(conformance(tg)) {
			t.Errorf("the access log has %d request lines, want %d:\n%s", n, len(conformance(tg)), log)
		}
	})
}

// conformance is the table of TestConformance.
func conformance(tg apply.Target) []exchange {
	const (
		json   = "application/json"
		errors = ""
	)
	ct := func(v string) map[string]string { return map[string]string{"Content-Type": v} }
	phone := `{"name":"Phone","type":"multi-valued","attributes":[
	  {"name":"PhoneType","type":"integer","default":0,"mandatory":"true"},
	  {"name":"prefix","type":"string","length":"3","default":"555"},
	  {"name":"PhoneNumber","type":"string","length":15,"mandatory":"true"},
	  {"name":"description","type":"string","length":32,"mandatory":"true"},
	  {"name":"start_availabilty","type":"datetime"},
	  {"name":"end_availabilty","type":"datetime","mandatory":"false"}],
	  "unique":["PhoneNumber"]}`
	holdLock := func(t *testing.T) func() {
		l, err := tg.Dialect.Lock(context.Background(), tg.DB, tg.URL, dialect.LockOptions{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return func() { l.Release() }
	}
	return []exchange{
		{name: "healthz", method: "GET", path: "/healthz", code: 200, want: `{"status":"ok"}`},
		{name: "readyz", method: "GET", path: "/readyz", code: 200, want: `{"status":"ready"}`},
		{name: "list keys", method: "GET", path: "/metadata/identification-keys", code: 200,
			headers: map[string]string{"Content-Type": json},
			want:    `[{"name":"idEmail","source":"profile","attributes":["EmailAddress"],"unique":true}]`},

		// The seed page's first example: a key over the profile.
		{name: "seed profile key", method: "POST", path: "/metadata/identification-keys",
			body: `{"name":"idPhone","attributes":["phone_number"]}`, code: 201,
			headers: map[string]string{"Location": "/metadata/identification-keys/idPhone", "Content-Location": "/metadata/identification-keys/idPhone"},
			want:    `{"name":"idPhone"}`},
		{name: "exists", method: "POST", path: "/metadata/identification-keys/",
			body: `{"name":"IDPHONE","attributes":["phone_number"]}`, code: 409,
			want: `{"error":{"status":409,"code":"exists","uri":"/metadata/identification-keys/"}}`},
		{name: "delete key, any case", method: "DELETE", path: "/metadata/identification-keys/IDPHONE", code: 204, want: "-"},
		{name: "delete missing key", method: "DELETE", path: "/metadata/identification-keys/idPhone", code: 404,
			want: `{"error":{"code":"not_found","message":"no identification key \"idPhone\"; names are case-insensitive"}}`},
		// The second example, as its sample writes it: "extension" for
		// source, the trailing slash of the page's URL, unique as a string.
		{name: "seed extension key", method: "POST", path: "/metadata/identification-keys/",
			body: `{"name":"idPhone","extension":"contacts","unique":"false","attributes":["phone_number"]}`, code: 201,
			headers: map[string]string{"Location": "/metadata/identification-keys/idPhone"}, want: `{"name":"idPhone"}`},
		{name: "get key, any case", method: "GET", path: "/metadata/identification-keys/IdPhone/", code: 200,
			want: `{"name":"idPhone","source":"contacts","attributes":["phone_number"],"unique":false}`},
		{name: "source and extension disagree", method: "POST", path: "/metadata/identification-keys",
			body: `{"name":"idOther","extension":"contacts","source":"profile","attributes":["phone_number"]}`, code: 400,
			want: `{"error":{"code":"invalid_schema","problems":[{"field":"extension","message":"extension \"contacts\" and source \"profile\" disagree; extension is a synonym of source: give one of them"}]}}`},
		{name: "every problem at once", method: "POST", path: "/metadata/identification-keys",
			body: `{"name":"select","source":"contacts","attributes":["contact_name","nope",3],"unique":"maybe","colour":"red"}`, code: 400,
			want: `{"error":{"code":"invalid_schema","message":"the request body is not a valid schema object: 5 problems","problems":[
			  {"field":"name","message":"identification key name \"select\" is a reserved word; choose another name"},
			  {"field":"attributes[1]","message":"attribute \"nope\" of identification key \"select\" is not an attribute of extension \"contacts\""},
			  {"field":"attributes[2]","message":"attribute \"3\" of identification key \"select\" is not an attribute of extension \"contacts\""},
			  {"field":"unique","message":"unique must be true or false, not \"maybe\""},
			  {"field":"colour","message":"unknown field \"colour\" in identification key; known fields: name, source, attributes, unique"}]}}`},
		{name: "nameless extension", method: "POST", path: "/metadata/profiles/extensions",
			body: `{"type":"single-valued"}`, code: 400,
			want: `{"error":{"problems":[{"field":"","message":"an extension has no name; add name: <Name>"}]}}`},
		{name: "missing fields", method: "POST", path: "/metadata/profiles/extensions",
			body: `{"name":"Pets","type":"single-valued","attributes":[{"name":"a1"},{"type":"string","length":"x"}]}`, code: 400,
			want: `{"error":{"problems":[
			  {"field":"attributes[0]","message":"attribute \"a1\" has no type; add type: one of string, integer, long, double, date, datetime, currency, boolean"},
			  {"field":"attributes[1]","message":"an attribute of extension \"Pets\" has no name; add name: <Name>"},
			  {"field":"attributes[1].length","message":"length must be a whole number, not \"x\""}]}}`},
		{name: "unique key over duplicates", method: "POST", path: "/metadata/identification-keys",
			body: `{"name":"idLastName","unique":"true","attributes":["LastName"]}`, code: 409,
			want: `{"error":{"code":"data_check","checks":[{"change":"+ identification key idLastName","groups":1,"customers":2,"customer_ids":["c1","c2"]}]}}`},
		{name: "refused key left nothing", method: "GET", path: "/metadata/identification-keys/idLastName", code: 404},
		{name: "not JSON", method: "POST", path: "/metadata/identification-keys", header: ct("text/plain"),
			body: `{"name":"idX","attributes":["LastName"]}`, code: 415, want: `{"error":{"code":"unsupported_media_type"}}`},
		{name: "no content type", method: "POST", path: "/metadata/identification-keys", header: ct(""),
			body: `{"name":"idX","attributes":["LastName"]}`, code: 415},
		{name: "bad JSON", method: "POST", path: "/metadata/identification-keys", body: `{"name":"idX",`, code: 400,
			want: `{"error":{"code":"bad_request"}}`},
		{name: "YAML is not JSON", method: "POST", path: "/metadata/identification-keys", body: "name: idX\nattributes: [LastName]\n", code: 400,
			want: `{"error":{"code":"bad_request"}}`},
		{name: "too large", method: "POST", path: "/metadata/identification-keys",
			body: `{"name":"idX","attributes":["` + strings.Repeat("a", maxBody) + `"]}`, code: 413,
			// The rest of the body is never read: the connection closes.
			closes: true, want: `{"error":{"code":"body_too_large"}}`},
		{name: "tenant not an integer", method: "GET", path: "/metadata/identification-keys", header: map[string]string{"X-Genesys-TenantId": "acme"},
			code: 400, want: `{"error":{"code":"bad_request"}}`},
		{name: "tenant and segment", method: "GET", path: "/metadata/profiles/extensions/contacts",
			header: map[string]string{"X-Genesys-TenantId": "101", "X-Genesys-Segment": "emea"}, code: 200,
			want: `{"name":"contacts","type":"multi-valued","attributes":[
			  {"name":"contact_name","type":"string","length":64,"mandatory":true,"encrypt":false},
			  {"name":"phone_number","type":"string","length":15,"mandatory":true,"encrypt":false}],
			  "unique":[["contact_name","phone_number"]]}`},

		// The docs' Phone sample, with lengths and booleans as strings and
		// a charset on the Content-Type.
		{name: "create extension", method: "POST", path: "/metadata/profiles/extensions", header: ct("application/json; charset=utf-8"),
			body: phone, code: 201,
			headers: map[string]string{"Location": "/metadata/profiles/extensions/Phone", "Content-Location": "/metadata/profiles/extensions/Phone"},
			want:    `{"name":"Phone"}`},
		{name: "get extension", method: "GET", path: "/metadata/profiles/extensions/PHONE", code: 200,
			want: `{"name":"Phone","type":"multi-valued","attributes":[
			  {"name":"PhoneType","type":"integer","default":"0","mandatory":true,"encrypt":false},
			  {"name":"prefix","type":"string","length":3,"default":"555","mandatory":false,"encrypt":false},
			  {"name":"PhoneNumber","type":"string","length":15,"mandatory":true,"encrypt":false},
			  {"name":"description","type":"string","length":32,"mandatory":true,"encrypt":false},
			  {"name":"start_availabilty","type":"datetime","mandatory":false,"encrypt":false},
			  {"name":"end_availabilty","type":"datetime","mandatory":false,"encrypt":false}],"unique":["PhoneNumber"]}`},
		{name: "list extensions", method: "GET", path: "/metadata/profiles/extensions", code: 200,
			want: `[{"name":"contacts"},{"name":"Phone"}]`},
		{name: "extension exists", method: "POST", path: "/metadata/profiles/extensions", body: phone, code: 409,
			want: `{"error":{"code":"exists"}}`},
		{name: "extension used by a key", method: "DELETE", path: "/metadata/profiles/extensions/contacts", code: 409,
			want: `{"error":{"code":"in_use","message":"extension \"contacts\" is the source of identification key \"idPhone\"; delete the key first"}}`},
		{name: "delete missing extension", method: "DELETE", path: "/metadata/profiles/extensions/nope", code: 404},
		{name: "profile", method: "GET", path: "/metadata/profiles", code: 200,
			want: `{"attributes":[{"name":"FirstName","length":64},{"name":"LastName"},{"name":"EmailAddress"},{"name":"phone_number","type":"string","length":15}]}`},

		{name: "405 with Allow", method: "PUT", path: "/metadata/profiles/extensions", code: 405,
			headers: map[string]string{"Allow": "GET, HEAD, POST"}, want: `{"error":{"code":"method_not_allowed"}}`},
		{name: "405 on an object", method: "POST", path: "/metadata/identification-keys/idPhone", body: `{}`, code: 405,
			headers: map[string]string{"Allow": "GET, HEAD, DELETE"}},
		{name: "405 on the profile", method: "POST", path: "/metadata/profiles", body: `{}`, code: 405, headers: map[string]string{"Allow": "GET, HEAD"}},
		{name: "404 unknown URI", method: "GET", path: "/metadata/nothing", code: 404, want: `{"error":{"code":"not_found","uri":"/metadata/nothing"}}`},

		{name: "lock held past the timeout", method: "POST", path: "/metadata/identification-keys", setup: holdLock,
			body: `{"name":"idFirstName","attributes":["FirstName"]}`, code: 503,
			headers: map[string]string{"Retry-After": "[0-9]+"}, want: `{"error":{"code":"lock_timeout"}}`},

		{name: "mode production", method: "POST", path: "/server/mode", body: `{"mode":"Production"}`, code: 200,
			headers: map[string]string{"Location": "/server/status"}, want: `{"server changed":"production"}`},
		{name: "status", method: "GET", path: "/server/status", code: 200, want: `{"mode":"production","version":"test"}`},
		{name: "create in production", method: "POST", path: "/metadata/identification-keys",
			body: `{"name":"idFirstName","attributes":["FirstName"]}`, code: 403, want: `{"error":{"code":"production_mode"}}`},
		{name: "delete in production", method: "DELETE", path: "/metadata/profiles/extensions/Phone", code: 403},
		{name: "read in production", method: "GET", path: "/metadata/identification-keys/idEmail", code: 200},
		{name: "unknown mode", method: "POST", path: "/server/mode", body: `{"mode":"later"}`, code: 400,
			want: `{"error":{"problems":[{"field":"mode","message":"unknown mode \"later\"; give production or maintenance"}]}}`},
		{name: "mode field unknown", method: "POST", path: "/server/mode", body: `{"mode":"maintenance","now":true}`, code: 400,
			want: `{"error":{"problems":[{"field":"now"}]}}`},
		{name: "mode maintenance", method: "POST", path: "/server/mode", body: `{"mode":"maintenance"}`, code: 200,
			want: `{"server changed":"maintenance"}`},
		{name: "delete extension", method: "DELETE", path: "/metadata/profiles/extensions/phone", code: 204},
		{name: "openapi", method: "GET", path: "/openapi.json", code: 200, want: `{"openapi":"3.1.0","servers":[{"url":"/"}]}`},
		{name: "no credentials asked", method: "GET", path: "/server/status", code: 200, absent: []string{"WWW-Authenticate"}},
		{name: errors + "method HEAD", method: "HEAD", path: "/healthz", code: 200},
	}
}
