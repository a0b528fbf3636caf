package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	ucli "github.com/urfave/cli/v2"
)

// printsOnly reports whether cmd only prints what the binary holds (its
// version, a completion script): it reads no file, no database and no
// server, so an interrupt has nothing to stop cleanly and needs no handler.
func printsOnly(cmd *ucli.Command) bool {
	return cmd.Name == "version" || cmd.Name == "completion"
}

// interruptible makes cmd's context end at the first SIGINT or SIGTERM,
// so that the command stops cleanly (an apply rolls back) and returns an
// error; a second signal kills the process as usual. The handler is set
// when the command starts, before next (its own Before) and after its
// flags are parsed, and removed when it returns; a command that only
// prints does without: setting it up starts a thread and waits on it
// twice, a good part of a short command's start-up (BENCHMARKS.md, issue
// 15: start-up).
func interruptible(cmd *ucli.Command) {
	next := cmd.Before
	var stop context.CancelFunc
	cmd.Before = func(c *ucli.Context) error {
		var ctx context.Context
		ctx, stop = signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
		go func() {
			// After the first signal, a second one kills the process.
			<-ctx.Done()
			stop()
		}()
		c.Context = ctx
		if next != nil {
			return next(c)
		}
		return nil
	}
	cmd.After = func(*ucli.Context) error {
		if stop != nil {
			stop()
		}
		return nil
	}
}
