package server

import (
	"net/http"
	"testing"
)

// TestReadsSeeOtherWriters checks that the server's reads answer what the
// database holds, whoever changed it: on a database with no catalog yet,
// then after an apply by another client (the CLI), then after its tables
// were dropped by hand.
func TestReadsSeeOtherWriters(t *testing.T) {
	dialects(t, func(t *testing.T, url string) {
		tg := open(t, url)
		base, _ := serve(t, singleConfig(tg))
		list := exchange{method: "GET", path: "/metadata/identification-keys", code: 200}
		client := &http.Client{}

		list.want = `[]`
		list.run(t, client, base)
		applyYAML(t, tg, fixture)
		list.want = `[{"name":"idEmail"}]`
		list.run(t, client, base)
		applyYAML(t, tg, fixture+"  - { name: idLastName, attributes: [LastName] }\n")
		list.want = `[{"name":"idEmail"},{"name":"idLastName"}]`
		list.run(t, client, base)
		for _, table := range []string{"cs_schema", "cs_meta", "cs_history"} {
			if _, err := tg.DB.Exec("DROP TABLE " + table); err != nil {
				t.Fatal(err)
			}
		}
		list.want = `[]`
		list.run(t, client, base)
	})
}
