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
  local opts
  COMPREPLY=()
  if [[ "$cur" == -* ]]; then
    # A lone "--" would end the flags and hide the completion request.
    local flag="$cur"
    [[ "$flag" == "--" ]] && flag="-"
    opts=$("${words[0]}" "${words[@]:1}" "$flag" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[0]}" "${words[@]:1}" --generate-bash-completion 2>/dev/null)
  fi
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
  local cur=${words[-1]}
  if [[ "$cur" == -* ]]; then
    # A lone "--" would end the flags and hide the completion request.
    local flag=$cur
    [[ "$flag" == "--" ]] && flag=-
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${flag} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
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
		BashComplete: func(c *ucli.Context) {
			if c.NArg() == 0 {
				fmt.Fprintln(e.stdout, strings.Join(shells(), "\n"))
			}
		},
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

// completingFlag reports whether the word being completed is a flag:
// urfave/cli reads the command line from os.Args for completion, so this
// does too.
func completingFlag() bool {
	args := os.Args
	return len(args) > 2 && strings.HasPrefix(args[len(args)-2], "-")
}

// completeApp completes the first word: the visible commands, or the
// global flags. urfave/cli's default would offer the hidden help command.
func completeApp(app *ucli.App) ucli.BashCompleteFunc {
	return func(c *ucli.Context) {
		if completingFlag() {
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

// completeFlags completes a command's flags and nothing else, so that the
// shell falls back to file names for arguments. urfave/cli's default would
// offer the help subcommand every command gets.
func completeFlags(cmd *ucli.Command) ucli.BashCompleteFunc {
	return func(c *ucli.Context) {
		if completingFlag() {
			ucli.DefaultCompleteWithFlags(cmd)(c)
		}
	}
}
