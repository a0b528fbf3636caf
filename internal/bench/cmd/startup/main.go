// Command startup measures the start-up of whole processes side by side:
// each round runs every command once, in an order that rotates from round
// to round, and the table gives, per command, the median wall time, the
// median CPU time (user + system, from the child's rusage), the median
// minor page faults and context switches, and the median of the per-round
// ratios of its wall and CPU time to the reference's. The machine is
// shared and process creation is slow here: read the ratios, measured in
// one run, not the times.
//
// Minor faults depend on how a binary's pages came into the page cache (a
// binary just written by the linker faults differently from one read back
// from disk), so each binary is first dropped from the page cache
// (posix_fadvise DONTNEED, that file only) and run once untimed.
//
//	startup -n 300 -ref floor floor=/tmp/floor 'ours=/tmp/ctxschema version'
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type command struct {
	label string
	argv  []string
	runs  []sample
}

type sample struct {
	wall, cpu        time.Duration
	minflt, switches int64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 200, "rounds")
	ref := flag.String("ref", "", "label of the reference of the ratios (default: the first)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: startup [-n rounds] [-ref label] label=command... (the command split at spaces)")
		flag.PrintDefaults()
	}
	flag.Parse()
	var cmds []*command
	for _, a := range flag.Args() {
		label, line, ok := strings.Cut(a, "=")
		argv := strings.Fields(line)
		if !ok || label == "" || len(argv) == 0 {
			flag.Usage()
			return fmt.Errorf("%q is not label=command", a)
		}
		cmds = append(cmds, &command{label: label, argv: argv})
	}
	if len(cmds) == 0 {
		flag.Usage()
		return fmt.Errorf("no command to run")
	}
	refIdx := 0
	if *ref != "" {
		refIdx = -1
		for i, c := range cmds {
			if c.label == *ref {
				refIdx = i
			}
		}
		if refIdx < 0 {
			return fmt.Errorf("-ref %s names no command", *ref)
		}
	}
	for _, c := range cmds {
		if err := evict(c.argv[0]); err != nil {
			return err
		}
		if _, err := once(c.argv); err != nil {
			return fmt.Errorf("%s: %w", c.label, err)
		}
	}
	for r := 0; r < *n; r++ {
		for k := range cmds {
			c := cmds[(k+r)%len(cmds)]
			s, err := once(c.argv)
			if err != nil {
				return fmt.Errorf("%s: %w", c.label, err)
			}
			c.runs = append(c.runs, s)
		}
	}
	printTable(cmds, cmds[refIdx], *n)
	return nil
}

// evict drops the file that runs as name from the page cache.
func evict(name string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// once runs argv with its output discarded.
func once(argv []string) (sample, error) {
	c := exec.Command(argv[0], argv[1:]...)
	start := time.Now()
	if err := c.Run(); err != nil {
		return sample{}, err
	}
	wall := time.Since(start)
	ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, fmt.Errorf("no rusage")
	}
	return sample{
		wall:     wall,
		cpu:      time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		minflt:   ru.Minflt,
		switches: ru.Nvcsw + ru.Nivcsw,
	}, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func column(ss []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

func printTable(cmds []*command, ref *command, n int) {
	wall := func(s sample) float64 { return s.wall.Seconds() * 1000 }
	cpu := func(s sample) float64 { return s.cpu.Seconds() * 1000 }
	fmt.Printf("| %d rounds | wall (median) | CPU (median) | minor faults | context switches | wall / %s | CPU / %s |\n", n, ref.label, ref.label)
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, c := range cmds {
		ratio := func(f func(sample) float64) float64 {
			rs := make([]float64, len(c.runs))
			for i := range c.runs {
				rs[i] = f(c.runs[i]) / f(ref.runs[i])
			}
			return median(rs)
		}
		fmt.Printf("| %s | %.2f ms | %.2f ms | %.0f | %.0f | %.2f× | %.2f× |\n", c.label,
			median(column(c.runs, wall)), median(column(c.runs, cpu)),
			median(column(c.runs, func(s sample) float64 { return float64(s.minflt) })),
			median(column(c.runs, func(s sample) float64 { return float64(s.switches) })),
			ratio(wall), ratio(cpu))
	}
}
