package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

// workflowFile is the example GitHub Actions workflow of examples/ci.
var workflowFile = filepath.Join("..", "..", "examples", "ci", "ctxschema.yml")

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	On   map[string]yaml.Node `yaml:"on"`
	Jobs map[string]struct {
		If    string `yaml:"if"`
		Steps []struct {
			Name string `yaml:"name"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// invocation is one ctxschema command line found in a run: step.
type invocation struct {
	job, line string
	args      []string
}

// TestWorkflowCommandsExist checks every ctxschema command line of the
// example workflow against the real app: the command exists, and so does
// every flag, by name or alias. A renamed flag breaks this test before it
// breaks a user's CI.
func TestWorkflowCommandsExist(t *testing.T) {
	wf := readWorkflow(t)
	app := NewApp(strings.NewReader(""), io.Discard, io.Discard)
	seen := map[string]bool{}
	for _, inv := range workflowInvocations(wf) {
		cmd, flags, err := resolve(app, inv.args)
		if err != "" {
			t.Errorf("job %s: %s\n  in: %s", inv.job, err, inv.line)
			continue
		}
		seen[cmd.Name] = true
		for _, f := range flags {
			if !hasFlag(cmd.Flags, f) {
				t.Errorf("job %s: ctxschema %s has no flag --%s\n  in: %s", inv.job, cmd.Name, f, inv.line)
			}
		}
	}
	// The workflow does what examples/ci/README.md says it does.
	for _, c := range []string{"validate", "plan", "apply", "diff", "mode", "version"} {
		if !seen[c] {
			t.Errorf("the workflow never runs ctxschema %s", c)
		}
	}
}

// TestWorkflowShape checks the workflow's triggers and its key command
// lines: validate and plan on pull requests, apply on main with
// --auto-approve, a scheduled plan --detailed-exitcode, and ctxschema built from a checkout.
func TestWorkflowShape(t *testing.T) {
	wf := readWorkflow(t)
	for _, on := range []string{"pull_request", "push", "schedule"} {
		if _, ok := wf.On[on]; !ok {
			t.Errorf("the workflow is not triggered on %s", on)
		}
	}
	want := map[string][]string{
		"pull_request": {"ctxschema validate", "ctxschema plan --format markdown --detailed-exitcode"},
		"push":         {"ctxschema apply --auto-approve"},
		"schedule":     {"ctxschema plan --drift-only --format markdown --detailed-exitcode"},
	}
	for event, lines := range want {
		for _, line := range lines {
			found := false
			for _, inv := range workflowInvocations(wf) {
				job := wf.Jobs[inv.job]
				if strings.Contains(job.If, "'"+event+"'") && strings.Join(append([]string{"ctxschema"}, inv.args...), " ") == line {
					found = true
				}
			}
			if !found {
				t.Errorf("no job run on %s runs %q", event, line)
			}
		}
	}
	// The module is not published: every job builds ctxschema from a
	// checkout of its source, and none tries go install …@version.
	builds := 0
	for name, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.Contains(s.Run, "go install") {
				t.Errorf("job %s runs go install, which cannot work until the module is published", name)
			}
			if strings.Contains(s.Run, "go build -o \"$RUNNER_TEMP/bin/ctxschema\"") {
				builds++
			}
		}
	}
	if builds != len(wf.Jobs) {
		t.Errorf("%d of %d jobs build ctxschema from its checkout", builds, len(wf.Jobs))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(workflowFile), "README.md")); err != nil {
		t.Errorf("examples/ci has no README.md")
	}
}

func readWorkflow(t *testing.T) *workflow {
	t.Helper()
	data, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	if len(wf.Jobs) == 0 {
		t.Fatalf("%s has no jobs", workflowFile)
	}
	return &wf
}

// workflowInvocations extracts the ctxschema command lines of every run:
// step, in job name order: each is "ctxschema" as a command word (at the
// start of a shell command, after ;, &&, ||, | or $( ) and the words after
// it up to the end of that command (a separator, a redirection or a
// comment).
func workflowInvocations(wf *workflow) []invocation {
	var jobs []string
	for name := range wf.Jobs {
		jobs = append(jobs, name)
	}
	sort.Strings(jobs)
	var out []invocation
	for _, job := range jobs {
		for _, s := range wf.Jobs[job].Steps {
			script := strings.ReplaceAll(s.Run, "\\\n", " ")
			for _, line := range strings.Split(script, "\n") {
				words := shellWords(line)
				for i := 0; i < len(words); i++ {
					if words[i] != "ctxschema" || (i > 0 && !commandStart(words[i-1])) {
						continue
					}
					var args []string
					for _, w := range words[i+1:] {
						if commandEnd(w) {
							break
						}
						args = append(args, w)
					}
					out = append(out, invocation{job: job, line: strings.TrimSpace(line), args: args})
				}
			}
		}
	}
	return out
}

// shellWords splits a line of shell into words, keeping quoted text
// together (quotes removed) and operators as words of their own. A # that
// starts a word ends the line.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				end = len(line) - i - 1
			}
			cur.WriteString(line[i+1 : i+1+end])
			inWord = true
			i += end + 1
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			flush()
			return words
		case strings.IndexByte(";|&<>()", c) >= 0:
			flush()
			op := string(c)
			if i+1 < len(line) && strings.IndexByte("|&>", line[i+1]) >= 0 {
				op += string(line[i+1])
				i++
			}
			words = append(words, op)
		case c == '$' && i+1 < len(line) && line[i+1] == '(':
			flush()
			words = append(words, "$(")
			i++
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words
}

func commandStart(w string) bool {
	switch w {
	case ";", "&&", "||", "|", "$(", "(", "then", "do", "else", "!", "time", "exec":
		return true
	}
	return false
}

func commandEnd(w string) bool {
	return strings.IndexByte(";|&<>()", w[0]) >= 0
}

// resolve finds the command and the flag names (without dashes or values)
// of a ctxschema command line, or says what is wrong with it.
func resolve(app *ucli.App, args []string) (*ucli.Command, []string, string) {
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		if name := flagName(args[i]); !hasFlag(app.Flags, name) && name != "help" && name != "version" {
			return nil, nil, "ctxschema has no global flag " + args[i]
		}
	}
	if i == len(args) {
		return nil, nil, "no command"
	}
	var cmd *ucli.Command
	for _, c := range app.Commands {
		if c.HasName(args[i]) {
			cmd = c
		}
	}
	if cmd == nil {
		return nil, nil, "ctxschema has no command " + args[i]
	}
	var flags []string
	for _, a := range args[i+1:] {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, flagName(a))
		}
	}
	return cmd, flags, ""
}

// flagName is the name of a flag argument: --format=json → format.
func flagName(arg string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return name
}

func hasFlag(flags []ucli.Flag, name string) bool {
	if name == "help" || name == "h" {
		return true // urfave/cli adds --help to every command
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// TestWorkflowInvocationsParse checks the extraction itself, so that a
// parser that finds nothing cannot pass the tests above.
func TestWorkflowInvocationsParse(t *testing.T) {
	var wf workflow
	src := `
jobs:
  a:
    steps:
      - run: |
          ctxschema plan --format=json --detailed-exitcode > plan.json || code=$?
          echo "ctxschema is great" # ctxschema apply --nope
          go install "github.com/ctxschema/ctxschema@latest" && ctxschema version
          out=$(ctxschema mode); ctxschema diff --format markdown "$A/x y" b >> "$GITHUB_STEP_SUMMARY"
          ctxschema apply \
            --auto-approve
`
	if err := yaml.Unmarshal([]byte(src), &wf); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inv := range workflowInvocations(&wf) {
		got = append(got, strings.Join(inv.args, " "))
	}
	want := []string{"plan --format=json --detailed-exitcode", "version", "mode", "diff --format markdown $A/x y b", "apply --auto-approve"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("invocations:\n got %q\nwant %q", got, want)
	}

	app := NewApp(strings.NewReader(""), io.Discard, io.Discard)
	for _, bad := range [][]string{{"nosuch"}, {"plan", "--nosuch"}, {"--nosuch", "plan"}, {}} {
		cmd, flags, err := resolve(app, bad)
		if err == "" {
			for _, f := range flags {
				if !hasFlag(cmd.Flags, f) {
					err = "no flag " + f
				}
			}
		}
		if err == "" {
			t.Errorf("ctxschema %v passes the check", bad)
		}
	}
}

// TestWorkflowPlanExitCodes runs the pull request's plan step with a
// stand-in ctxschema that exits with each code: the step passes on 0
// (no changes), 2 (changes) and 3 (refused only for production mode), and
// fails on anything else, 5 above all: a change that can never succeed
// fails the pull request whatever the database's mode.
func TestWorkflowPlanExitCodes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the workflow step")
	}
	wf := readWorkflow(t)
	var script string
	for _, s := range wf.Jobs["review"].Steps {
		if strings.Contains(s.Run, "--detailed-exitcode") {
			script = s.Run
		}
	}
	if script == "" {
		t.Fatal("the review job has no plan --detailed-exitcode step")
	}
	bin := t.TempDir()
	fake := "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = --detailed-exitcode ] && exit \"$PLAN_EXIT\"; done\nexit 0\n"
	if err := os.WriteFile(filepath.Join(bin, "ctxschema"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	for code, pass := range map[int]bool{0: true, 1: false, 2: true, 3: true, 4: false, 5: false} {
		dir := t.TempDir()
		// GitHub runs a step's script with bash -e.
		cmd := exec.Command(bash, "-e", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(),
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"PLAN_EXIT="+strconv.Itoa(code),
			"GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary.md"))
		out, err := cmd.CombinedOutput()
		if got := err == nil; got != pass {
			t.Errorf("plan exiting %d: the step passed = %v, want %v (%v)\n%s", code, got, pass, err, out)
		}
	}
}
