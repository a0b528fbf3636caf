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
	// Each command of the real app, run with its Action replaced by one
	// that sends itself SIGINT: the context it was given must end. The
	// two commands that only print must set nothing (a SIGINT would kill
	// the test there, as it kills them).
	app := NewApp(strings.NewReader(""), io.Discard, io.Discard)
	for _, cmd := range app.Commands {
		if cmd.Name == "version" || cmd.Name == "completion" {
			if cmd.Before != nil || cmd.After != nil {
				t.Errorf("%s: sets a signal handler; it only prints", cmd.Name)
			}
			continue
		}
		ended := false
		cmd.Action = func(c *ucli.Context) error {
			if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
				return err
			}
			select {
			case <-c.Context.Done():
				ended = true
			case <-time.After(time.Minute):
			}
			return nil
		}
		if err := app.Run([]string{"ctxschema", cmd.Name}); err != nil {
			t.Errorf("%s: %v", cmd.Name, err)
		}
		if !ended {
			t.Errorf("%s: its context did not end at SIGINT", cmd.Name)
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
