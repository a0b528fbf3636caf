// Command floorlinked is internal/bench/cmd/floor with the drivers' code
// kept: floor only imports the drivers, so the linker drops nearly all of
// pgx (nothing can call the registered driver) and its binary is a third
// of ctxschema's. floorlinked opens both databases and decodes YAML behind
// a branch that a plain run never takes, so the linker keeps what any tool
// that uses them keeps; like floor, without arguments it starts and exits.
// BENCHMARKS.md (issue 15: start-up) measures ctxschema against both.
//
//	floorlinked           # start up and exit
package main

import (
	"database/sql"
	"os"

	_ "github.com/jackc/pgx/v5/stdlib" // the drivers ctxschema links
	_ "github.com/mattn/go-sqlite3"
	"gopkg.in/yaml.v3"
)

func main() {
	if len(os.Args) != 4 {
		return
	}
	// floorlinked YAML URL QUERY: never run by the benchmarks; it is here
	// so that the drivers' code and yaml.v3's decoder stay linked.
	for _, driver := range []string{"pgx", "sqlite3"} {
		db, err := sql.Open(driver, os.Args[2])
		if err != nil {
			panic(err)
		}
		rows, err := db.Query(os.Args[3])
		if err != nil {
			panic(err)
		}
		var v any
		for rows.Next() {
			if err := rows.Scan(&v); err != nil {
				panic(err)
			}
		}
		db.Close()
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(os.Args[1]), &n); err != nil {
		panic(err)
	}
}
