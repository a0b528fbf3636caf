// Command table turns the output of the benchmarks of internal/bench (go
// test -bench, any -count) into the markdown table of BENCHMARKS.md: for
// each benchmark the median of ours (ns/op), of its floor (floor-ns/op) and
// of their ratio (x-floor) over the runs, the spread of the ratio, and the
// target it is held to.
//
//	go run ./internal/bench/cmd/table [-peak-mib M] FILE...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// target is the bound a benchmark's ratio to its floor is held to.
type target struct {
	max  float64
	text string
}

// targets are the targets of issue 7, by benchmark name.
var targets = map[string]target{
	"AddUniqueKey/sqlite":        {1.15, "≤ 1.15× floor"},
	"Duplicates/sqlite":          {1.2, "≤ 1.2× floor"},
	"PlanNoChange/sqlite/N=1000": {3, "≤ 3× floor"},
	// Issue 15: deleting a customer with the index over customer_id, its
	// "floor" the same delete on the layout before it (a table scan).
	"DeleteCustomer/sqlite":   {0.1, "≤ 0.1× before"},
	"DeleteCustomer/postgres": {0.1, "≤ 0.1× before"},
}

// result gathers the runs of one benchmark.
type result struct {
	name               string
	ours, floor, ratio []float64
}

var lineRE = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func main() {
	peak := flag.Float64("peak-mib", 0, "peak memory of plan at N=1000 in MiB, from /usr/bin/time -v")
	peakN := flag.Int("peak-n", 1000, "the N of -peak-mib")
	rows := flag.String("rows", "1,000,000", "profile rows of the data benchmarks, as printed")
	flag.Parse()
	results := map[string]*result{}
	var order []string
	for _, f := range flag.Args() {
		fh, err := os.Open(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "table:", err)
			os.Exit(1)
		}
		read(fh, results, &order)
		fh.Close()
	}
	sort.SliceStable(order, func(i, j int) bool { return rank(order[i]) < rank(order[j]) })
	fmt.Println("| benchmark | N | ours | floor | ratio (median, min–max) | target | result |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, name := range order {
		r := results[name]
		bench, size := split(name, *rows)
		t, hasTarget := targets[name]
		verdict, goal := "", "—"
		if hasTarget {
			goal = t.text
			verdict = pass(median(r.ratio) <= t.max)
		}
		ratio := "—"
		if len(r.ratio) > 0 {
			ratio = fmt.Sprintf("%.2f× (%.2f–%.2f)", median(r.ratio), minOf(r.ratio), maxOf(r.ratio))
		}
		floor := "—"
		if len(r.floor) > 0 {
			floor = dur(median(r.floor))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", bench, size, dur(median(r.ours)), floor, ratio, goal, verdict)
	}
	// Growth from N=100 to N=1000: ours, the floor's (the database's own
	// reads, which grow faster than linearly on SQLite) and the Go work
	// (ours minus the floor). Linear is at most ×10.
	for _, db := range []string{"sqlite", "postgres"} {
		a, b := results["PlanNoChange/"+db+"/N=100"], results["PlanNoChange/"+db+"/N=1000"]
		if a == nil || b == nil || len(a.floor) == 0 || len(b.floor) == 0 {
			continue
		}
		g := median(b.ours) / median(a.ours)
		fg := median(b.floor) / median(a.floor)
		wg := (median(b.ours) - median(b.floor)) / (median(a.ours) - median(a.floor))
		verdict, goal := "", "—"
		if db == "sqlite" {
			verdict, goal = pass(g <= 10 || g <= fg), "≤ 10× or ≤ the floor's"
		}
		fmt.Printf("| PlanNoChange/%s growth, N=100 → 1000 | ×10 | %.1f× | %.1f× | Go work (ours − floor): %.1f× | %s | %s |\n", db, g, fg, wg, goal, verdict)
	}
	if *peak > 0 {
		fmt.Printf("| peak memory of `ctxschema plan` (real binary, SQLite) | %d | %.0f MiB | | | < 100 MiB | %s |\n", *peakN, *peak, pass(*peak < 100))
	}
}

func read(r io.Reader, results map[string]*result, order *[]string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := lineRE.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		res := results[m[1]]
		if res == nil {
			res = &result{name: m[1]}
			results[m[1]] = res
			*order = append(*order, m[1])
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				res.ours = append(res.ours, v)
			case "floor-ns/op":
				res.floor = append(res.floor, v)
			case "x-floor":
				res.ratio = append(res.ratio, v)
			}
		}
	}
}

// rank orders the table: SQLite first, then by benchmark and size.
func rank(name string) string {
	db := "0"
	if strings.Contains(name, "/postgres") {
		db = "1"
	}
	kinds := []string{"Load", "PlanNoChange", "PlanChanged", "ApplyEmpty", "AddUniqueKey", "Duplicates", "DeleteCustomer"}
	k := len(kinds)
	for i, p := range kinds {
		if strings.HasPrefix(name, p+"/") {
			k = i
		}
	}
	n := 0
	if i := strings.Index(name, "N="); i >= 0 {
		n, _ = strconv.Atoi(name[i+2:])
	}
	return fmt.Sprintf("%s%02d%08d", db, k, n)
}

// split separates the size from a benchmark name.
func split(name, rows string) (string, string) {
	if i := strings.Index(name, "/N="); i >= 0 {
		return name[:i], name[i+3:]
	}
	if strings.HasPrefix(name, "AddUniqueKey") || strings.HasPrefix(name, "Duplicates") {
		return name, "10 (R=" + rows + ")"
	}
	if strings.HasPrefix(name, "DeleteCustomer") {
		return name, "1 (" + rows + " records; floor: without cx_)"
	}
	return name, ""
}

func pass(ok bool) string {
	if ok {
		return "pass"
	}
	return "**miss**"
}

func dur(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.1f ms", ns/1e6)
	default:
		return fmt.Sprintf("%.0f µs", ns/1e3)
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
