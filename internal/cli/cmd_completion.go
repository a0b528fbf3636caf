package cli

import (
	"fmt"
	"os"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// completionScripts are the shell scripts that completion prints, by shell.
// Both ask the binary itself for candidates: urfave/cli answers a command
// line that ends in --generate-bash-completion with the commands or flags
// that may follow, without running the command.
var completionScripts = map[string]string{
	"bash": `# bash completion for ctxschema.
# Load it in the current shell:  source <(ctxschema completion bash)
# or install it for every shell: ctxschema completion bash > /etc/bash_completion.d/ctxschema

_ctxschema_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local -a words=("${COMP_WORDS[@]:0:COMP_CWORD}")
  # The word being completed goes last, even when empty, so that ctxschema
  # knows what precedes it (a flag whose value is asked for). A lone "--"
  # would end the flags and hide the completion request.
  local word="$cur"
  [[ "$word" == "--" ]] && word="-"
  local opts
  opts=$("${words[0]}" "${words[@]:1}" "$word" --generate-bash-completion 2>/dev/null)
  COMPREPLY=()
  local line
  while IFS= read -r line; do
    COMPREPLY+=("$line")
  done < <(compgen -W "$opts" -- "$cur")
  return 0
}

# -o default: complete file names when there is no candidate (schema
# directories, saved plans).
complete -o bashdefault -o default -F _ctxschema_complete ctxschema
`,
	"zsh": `#compdef ctxschema
# zsh completion for ctxschema.
# Load it in the current shell (after compinit):  source <(ctxschema completion zsh)
# or install it on your fpath:  ctxschema completion zsh > "${fpath[1]}/_ctxschema"

_ctxschema() {
  local -a opts
  local cur=${words[CURRENT]}
  # The word being completed goes last, even when empty, so that ctxschema
  # knows what precedes it (a flag whose value is asked for). A lone "--"
  # would end the flags and hide the completion request.
  local word=$cur
  [[ "$word" == "--" ]] && word=-
  opts=("${(@f)$("${(@)words[1,CURRENT-1]}" "$word" --generate-bash-completion 2>/dev/null)}")
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}

if [[ "${funcstack[1]}" == "_ctxschema" ]]; then
  _ctxschema "$@"
else
  compdef _ctxschema ctxschema
fi
`,
}

// shells lists the shells completion supports, sorted.
func shells() []string {
	out := make([]string, 0, len(completionScripts))
	for s := range completionScripts {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func completionCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash or zsh",
		ArgsUsage: strings.Join(shells(), "|"),
		Description: "Prints a script that completes ctxschema's commands and flags.\n\n" +
			"bash:  source <(ctxschema completion bash)              # this shell\n" +
			"       ctxschema completion bash > /etc/bash_completion.d/ctxschema\n" +
			"zsh:   source <(ctxschema completion zsh)               # after compinit\n" +
			"       ctxschema completion zsh > \"${fpath[1]}/_ctxschema\"",
		BashComplete: completeCommand(func(pos int) []string {
			if pos == 0 {
				return shells()
			}
			return nil
		}),
		CustomHelpTemplate: commandHelp(exitDocOK, exitDoc{1, "error: no shell or an unknown one"}),
		Action: func(c *ucli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("completion takes one shell, %s; run 'ctxschema completion --help' for usage", strings.Join(shells(), " or "))
			}
			shell := c.Args().First()
			script, ok := completionScripts[strings.ToLower(shell)]
			if !ok {
				return fmt.Errorf("no completion for shell %s; use %s", quoteArg(shell), strings.Join(shells(), " or "))
			}
			_, err := fmt.Fprint(e.stdout, script)
			return err
		},
	}
}

// completionWords returns the word being completed and the word before
// it. The scripts pass the word being completed last, even when empty,
// before --generate-bash-completion; urfave/cli reads the command line from
// os.Args for completion, so this does too. bash splits --flag=value at
// the "=", which is skipped.
func completionWords() (cur, prev string) {
	args := os.Args
	if len(args) < 3 {
		return "", ""
	}
	cur = args[len(args)-2]
	if len(args) > 3 {
		prev = args[len(args)-3]
	}
	if prev == "=" && len(args) > 4 {
		prev = args[len(args)-4]
	}
	return cur, prev
}

// completeApp completes the first word: the visible commands, or the
// global flags. urfave/cli's default would offer the hidden help command.
func completeApp(app *ucli.App) ucli.BashCompleteFunc {
	return func(c *ucli.Context) {
		if cur, _ := completionWords(); strings.HasPrefix(cur, "-") {
			ucli.DefaultAppComplete(c)
			return
		}
		for _, cmd := range app.Commands {
			if !cmd.Hidden && cmd.Name != "help" {
				fmt.Fprintln(app.Writer, cmd.Name)
			}
		}
	}
}

// completeCommand completes a command's words: after a flag that takes a
// value, the values of a choiceFlag (and nothing for other flags, so that
// the shell falls back to file names); a word that starts with "-", the
// flags; any other word, args(pos) for the pos-th argument (from 0), when
// args is not nil. urfave/cli's default would offer the help subcommand
// every command gets.
func completeCommand(args func(pos int) []string) ucli.BashCompleteFunc {
	return func(c *ucli.Context) {
		cmd := c.Command
		if cmd == nil {
			return
		}
		cur, prev := completionWords()
		if f := valueFlag(cmd, prev); f != nil {
			if ch, ok := f.(interface{ Choices() []string }); ok {
				fmt.Fprintln(c.App.Writer, strings.Join(ch.Choices(), "\n"))
			}
			return
		}
		if strings.HasPrefix(cur, "-") {
			ucli.DefaultCompleteWithFlags(cmd)(c)
			return
		}
		// The word being completed is the last argument.
		if pos := c.NArg() - 1; args != nil && pos >= 0 {
			if vs := args(pos); len(vs) > 0 {
				fmt.Fprintln(c.App.Writer, strings.Join(vs, "\n"))
			}
		}
	}
}

// valueFlag returns the flag of cmd that word names when that flag takes
// a value ("--format", "-format"), or nil.
func valueFlag(cmd *ucli.Command, word string) ucli.Flag {
	if !strings.HasPrefix(word, "-") || strings.Contains(word, "=") {
		return nil
	}
	name := strings.TrimLeft(word, "-")
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if v, ok := f.(ucli.DocGenerationFlag); ok && v.TakesValue() {
				return f
			}
			return nil
		}
	}
	return nil
}
