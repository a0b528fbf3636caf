// Command floor is the floor of a whole ctxschema process that issue 15
// measures ctxschema against (see internal/bench/cmd/sidebyside): a Go
// binary that links the same database drivers and YAML library as
// ctxschema and, without arguments, does nothing; its run time is the
// start-up any such binary pays. With arguments it decodes YAML files:
//
//	floor                 # start up and exit
//	floor yaml DIR        # decode every .yaml/.yml file under DIR into a
//	                      # yaml.Node and print the nanoseconds it took
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the drivers ctxschema links
	_ "github.com/mattn/go-sqlite3"
	"gopkg.in/yaml.v3"
)

func main() {
	if len(os.Args) == 1 {
		return
	}
	if len(os.Args) != 3 || os.Args[1] != "yaml" {
		fmt.Fprintln(os.Stderr, "usage: floor [yaml DIR]")
		os.Exit(2)
	}
	d, err := decodeAll(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Println(d.Nanoseconds())
}

// decodeAll reads and decodes every YAML file under dir, one after the
// other, as yaml.v3 alone would: no validation, no model.
func decodeAll(dir string) (time.Duration, error) {
	start := time.Now()
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var n yaml.Node
		if err := yaml.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
	return time.Since(start), err
}
