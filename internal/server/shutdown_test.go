package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

// TestShutdownLetsApplyFinish shuts the server down while a POST waits for
// the apply lock: the server stops accepting, the POST is applied once the
// lock is free and answered 201, and Serve returns nil.
func TestShutdownLetsApplyFinish(t *testing.T) {
	dialects(t, func(t *testing.T, url string) {
		tg := open(t, url)
		applyYAML(t, tg, fixture)
		cfg := singleConfig(tg)
		cfg.LockTimeout = time.Minute
		cfg.Log = slog.New(slog.DiscardHandler)
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := "http://" + ln.Addr().String()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx, ln) }()

		lock, err := tg.Dialect.Lock(context.Background(), tg.DB, tg.URL, dialect.LockOptions{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		type answer struct {
			code int
			body string
			err  error
		}
		answered := make(chan answer, 1)
		go func() {
			resp, err := http.Post(addr+"/metadata/identification-keys", "application/json",
				strings.NewReader(`{"name":"idLastName","attributes":["LastName"]}`))
			if err != nil {
				answered <- answer{err: err}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			answered <- answer{code: resp.StatusCode, body: string(b)}
		}()
		// The POST is under way once the server counts it as started: wait
		// for it to take its write turn.
		db := cfg.Resolver.(Single).DB
		for len(db.writes) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel() // SIGINT
		// New connections are refused once the listener is closed.
		for {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				break
			}
			c.Close()
			time.Sleep(5 * time.Millisecond)
		}
		select {
		case err := <-served:
			t.Fatalf("Serve returned (%v) while an apply was under way", err)
		default:
		}
		lock.Release()
		a := <-answered
		if a.err != nil || a.code != http.StatusCreated {
			t.Fatalf("the POST under way got %d %s (%v), want 201", a.code, a.body, a.err)
		}
		if err := <-served; err != nil {
			t.Fatalf("Serve: %v", err)
		}
	})
}
