package cli

import (
	"context"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"
)

// Every command that does work ends its context at SIGINT; version and
// completion, which only print, set no handler (it costs a thread at
// start-up).
func TestInterruptible(t *testing.T) {
	app := NewApp(strings.NewReader(""), io.Discard, io.Discard)
	for _, cmd := range app.Commands {
		armed := cmd.Before != nil && cmd.After != nil
		if want := !printsOnly(cmd); armed != want {
			t.Errorf("%s: signal handler set = %v, want %v", cmd.Name, armed, want)
		}
	}

	// The handler of a command that works: the command's context ends at
	// the first SIGINT, and the handler is gone when the command returns.
	cmd := &ucli.Command{Name: "probe"}
	var ctx context.Context
	cmd.Action = func(c *ucli.Context) error {
		ctx = c.Context
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Minute):
			t.Error("the command's context did not end at SIGINT")
			return nil
		}
	}
	interruptible(cmd)
	app = &ucli.App{Commands: []*ucli.Command{cmd}, Writer: io.Discard, ErrWriter: io.Discard}
	if err := app.Run([]string{"ctxschema", "probe"}); err != nil {
		t.Fatal(err)
	}
	if ctx == nil || ctx.Err() == nil {
		t.Error("the command's context is still live after it returned")
	}
}
