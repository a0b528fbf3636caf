package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/server"
)

func serveCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:  "serve",
		Usage: "answer the Context Services metadata API over the database",
		Description: "Serves the Context Services metadata API (identification keys, extensions,\n" +
			"the profile schema, the server mode) over the database. A write is one\n" +
			"declarative change applied as `ctxschema apply` applies: the same rules,\n" +
			"lock, data checks, catalog and history. One access-log line per request\n" +
			"goes to stderr. SIGINT or SIGTERM stops accepting requests, lets the running\n" +
			"ones finish (an apply included), then exits 0.",
		CustomHelpTemplate: commandHelp(
			exitDoc{0, "stopped by SIGINT or SIGTERM, after the requests under way finished"},
			exitDoc{1, "error: database unreachable at start, an invalid --auth file, --listen beyond loopback without --auth, an address in use"},
		),
		Flags: []ucli.Flag{
			dbFlag(),
			&ucli.StringFlag{Name: "listen", Usage: "`ADDR` to listen on, host:port (without --auth, a loopback address only)",
				EnvVars: []string{"CTXSCHEMA_LISTEN"}, Value: "127.0.0.1:8080"},
			&ucli.StringFlag{Name: "base-path", Usage: "`PATH` prefix of every endpoint, like /cms"},
			&ucli.StringFlag{Name: "auth", Usage: "YAML `FILE` of bearer tokens (SHA-256 and role, admin or reader); without it, no credentials are asked"},
			lockTimeoutFlag(),
		},
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runServe(c.Context, e, serveOptions{
				DB: c.String("db"), Listen: c.String("listen"), BasePath: c.String("base-path"),
				AuthFile: c.String("auth"), LockTimeout: c.Duration("lock-timeout"), Version: version(),
			})
		},
	}
}

type serveOptions struct {
	DB, Listen, BasePath, AuthFile string
	LockTimeout                    time.Duration
	Version                        string
}

func runServe(ctx context.Context, e *env, o serveOptions) error {
	var auth *server.Auth
	if o.AuthFile != "" {
		var err error
		if auth, err = server.LoadAuth(o.AuthFile); err != nil {
			return err
		}
	} else if err := loopbackOnly(o.Listen); err != nil {
		return err
	}
	t, closeDB, err := openTarget(ctx, o.DB, dialect.ReadWrite)
	if err != nil {
		return err
	}
	defer closeDB()
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv, err := server.New(server.Config{
		Resolver:    server.Single{DB: server.NewDatabase(t)},
		Ready:       t.DB.PingContext,
		BasePath:    o.BasePath,
		Auth:        auth,
		LockTimeout: o.LockTimeout,
		Version:     o.Version,
		Log:         log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.Listen, err)
	}
	log.Info("serving the Context Services API", slog.String("url", "http://"+ln.Addr().String()+o.BasePath),
		slog.String("db", dialect.Redact(o.DB)), slog.Bool("auth", auth != nil))
	return srv.Serve(ctx, ln)
}

// loopbackOnly refuses to serve beyond loopback without --auth: anyone who
// reached the port could change the schema.
func loopbackOnly(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w; give host:port, like 127.0.0.1:8080", listen, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	where := host
	if host == "" {
		where = "every interface"
	}
	return fmt.Errorf("refusing to listen on %s (--listen %s) without --auth: anyone who can reach it could change the schema; give --auth FILE with tokens, or listen on 127.0.0.1", where, listen)
}
