// Command serveload drives a running `ctxschema serve` with concurrent
// clients mixing reads and writes (internal/bench/load) and exits 1 when
// it saw a 5xx, an unexpected answer or a lost write. It refuses any URL
// but a loopback one: it is a benchmark, not a tool to load a service.
//
//	go run ./internal/bench/cmd/serveload -url http://127.0.0.1:8080 -clients 200 -duration 30s
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"time"

	"github.com/ctxschema/ctxschema/internal/bench/load"
)

func main() {
	u := flag.String("url", "http://127.0.0.1:8080", "the server's base URL (loopback only)")
	clients := flag.Int("clients", 200, "concurrent clients")
	duration := flag.Duration("duration", 30*time.Second, "how long to run (at most 5m)")
	every := flag.Int("write-every", 10, "one request in N is a write")
	attr := flag.String("attribute", "LastName", "the profile attribute the keys are declared over")
	token := flag.String("token", os.Getenv("CTXSCHEMA_API_TOKEN"), "bearer token (default $CTXSCHEMA_API_TOKEN)")
	flag.Parse()
	if err := run(*u, *clients, *duration, *every, *attr, *token); err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
}

func run(rawURL string, clients int, duration time.Duration, every int, attr, token string) error {
	pu, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	host := pu.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url %s is not a loopback address", rawURL)
	}
	if clients < 1 || clients > 1000 || duration <= 0 || duration > 5*time.Minute {
		return fmt.Errorf("want 1 to 1000 clients for at most 5m")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	res, err := load.Run(ctx, load.Config{URL: rawURL, Clients: clients, Duration: duration, WriteEvery: every, Attribute: attr, Header: h})
	if err != nil {
		return err
	}
	fmt.Println(res)
	if !res.OK() {
		return fmt.Errorf("the server failed the load")
	}
	return nil
}
