package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/dialect"
	"github.com/ctxschema/ctxschema/internal/server"
	"github.com/ctxschema/ctxschema/internal/tenant"
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
			"ones finish (an apply included), then exits 0.\n\n" +
			"With --tenants FILE instead of --db, it serves every tenant of the file: each\n" +
			"request goes to the database of the tenant its X-Genesys-TenantId names (400\n" +
			"without one, or for a tenant not in the file). A tenant's database opens on\n" +
			"its first request; --tenant-connections bounds each tenant's pool and\n" +
			"--max-connections all of them together (the least recently used idle tenant\n" +
			"is closed to make room).",
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
			&ucli.IntFlag{Name: "tenant-connections", Value: 4, Usage: "with --tenants, the most connections one tenant's database holds"},
			&ucli.IntFlag{Name: "max-connections", Value: 100, Usage: "with --tenants, the most connections the tenants' databases hold together"},
		},
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			o := serveOptions{
				DB: c.String("db"), Listen: c.String("listen"), BasePath: c.String("base-path"),
				AuthFile: c.String("auth"), LockTimeout: c.Duration("lock-timeout"), Version: version(),
			}
			// --tenant serves that one tenant's database (--db); --tenants
			// alone, every tenant.
			if c.String("tenants") != "" && c.String("tenant") == "" {
				if c.IsSet("db") && c.String("db") != "" {
					return fmt.Errorf("serve takes one database (--db) or every tenant of a tenants file (--tenants), not both: drop --db (or CTXSCHEMA_DB, or the environment's db) or --tenants")
				}
				f, err := readTenants(c.Context, e, c.String("tenants"))
				if err != nil {
					return err
				}
				perTenant, total := c.Int("tenant-connections"), c.Int("max-connections")
				if perTenant < 1 || total < perTenant {
					return fmt.Errorf("--tenant-connections %d and --max-connections %d: give at least one connection a tenant, and at least as many in all", perTenant, total)
				}
				o.Tenants = f
				o.Limits = server.TenantLimits{PerTenant: perTenant, Total: total, Wait: o.LockTimeout}
			}
			return runServe(c.Context, e, o)
		},
	}
}

type serveOptions struct {
	DB, Listen, BasePath, AuthFile string
	LockTimeout                    time.Duration
	Version                        string
	// Tenants, when set, is the tenants file served instead of DB, within
	// Limits.
	Tenants *tenant.File
	Limits  server.TenantLimits
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
	resolver, ready, closeAll, err := serveResolver(ctx, o)
	if err != nil {
		return err
	}
	defer closeAll()
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv, err := server.New(server.Config{
		Resolver:    resolver,
		Ready:       ready,
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
	where := slog.String("db", dialect.Redact(o.DB))
	if o.Tenants != nil {
		where = slog.String("tenants", fmt.Sprintf("%s (%d)", o.Tenants.Path, len(o.Tenants.Tenants)))
	}
	log.Info("serving the Context Services API", slog.String("url", "http://"+ln.Addr().String()+o.BasePath),
		where, slog.Bool("auth", auth != nil))
	return srv.Serve(ctx, ln)
}

// serveResolver is what serve answers for: the one database of --db,
// opened now, or the tenants of a tenants file, each opened on demand.
func serveResolver(ctx context.Context, o serveOptions) (server.Resolver, func(context.Context) error, func(), error) {
	if o.Tenants != nil {
		ts := server.NewTenants(o.Tenants.Tenants, func(ctx context.Context, url string) (apply.Target, func(), error) {
			return openSQL(ctx, url, dialect.ReadWrite)
		}, o.Limits)
		return ts, ts.Ready, ts.Close, nil
	}
	t, closeDB, err := openSQL(ctx, o.DB, dialect.ReadWrite)
	if err != nil {
		return nil, nil, nil, err
	}
	db := server.NewDatabase(t)
	return server.Single{DB: db}, t.DB.PingContext, func() { db.Close(); closeDB() }, nil
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
