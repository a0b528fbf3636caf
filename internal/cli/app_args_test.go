package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestNewAppForMoreArgs runs argument lists that name a command in other
// ways than first (help CMD, CMD help, completion flags, a prefix) and
// requires NewAppFor to answer exactly as NewApp, which builds every
// command.
func TestNewAppForMoreArgs(t *testing.T) {
	runs := [][]string{
		{"help", "plan"}, {"plan", "help"}, {"help"}, {"h"}, {"help", "help"}, {"help", "nosuch"},
		{"completion", "bash"}, {"completion", "zsh"}, {"-v"}, {"--version", "plan"}, {"plan", "-h"},
		{"--"}, {"--", "plan", "--help"}, {"nosuch", "--help"}, {"--generate-bash-completion", "plan"},
		{"mode", "--help"}, {"mode", "help"}, {"help", "mode"}, {"-h", "apply"}, {"--help", "--help"},
		{"pla"}, {"plan", "--generate-bash-completion"}, {"--generate-bash-completion"}, {"-", "--generate-bash-completion"},
		{"help", "--generate-bash-completion"}, {"history", "-h"}, {"fmt", "-h"}, {"diff", "help"},
	}
	for _, r := range runs {
		args := append([]string{"ctxschema"}, r...)
		var want, got [2]bytes.Buffer
		wantErr := NewApp(strings.NewReader(""), &want[0], &want[1]).Run(args)
		gotErr := NewAppFor(args, strings.NewReader(""), &got[0], &got[1]).Run(args)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || got[0].String() != want[0].String() || got[1].String() != want[1].String() {
			t.Errorf("%q: NewAppFor answers\n%s%s%v\nNewApp\n%s%s%v", r, &got[0], &got[1], gotErr, &want[0], &want[1], wantErr)
		}
	}
}
