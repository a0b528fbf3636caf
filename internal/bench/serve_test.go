package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctxschema/ctxschema/apply"
	"github.com/ctxschema/ctxschema/internal/model"
	"github.com/ctxschema/ctxschema/internal/server"
)

// BenchmarkServePostKey measures the latency of POST
// /metadata/identification-keys of a key on an empty profile table,
// through a real server on loopback and a real client, against its floor:
// the same change applied in-process by the apply engine (apply.Run with
// the schema plus the key). Both run alternately; each iteration deletes
// the key again, untimed. It reports the medians (p50-ns, floor-p50-ns)
// and x-floor, their ratio: the target is at most 1.5×.
func BenchmarkServePostKey(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		{
			tg := fresh(b, be, "serve_post")
			base := &model.Schema{Profile: []model.Attribute{
				{Name: "FirstName", Type: model.String, Length: 64},
				{Name: "LastName", Type: model.String, Length: 64},
			}}
			ctx := context.Background()
			if _, err := apply.Run(ctx, tg, base, apply.Options{LockTimeout: time.Minute}); err != nil {
				b.Fatal(err)
			}
			url := serveIt(b, tg)
			client := &http.Client{}
			withKey := base.Clone()
			withKey.Keys = []model.Key{{Name: "idBench", Source: model.ProfileSource, Attributes: []string{"LastName"}}}
			var ours, floor []time.Duration
			post := func() {
				t0 := time.Now()
				code := call(b, client, "POST", url+"/metadata/identification-keys", `{"name":"idBench","attributes":["LastName"]}`)
				ours = append(ours, time.Since(t0))
				if code != http.StatusCreated {
					b.Fatalf("POST: %d", code)
				}
				if code := call(b, client, "DELETE", url+"/metadata/identification-keys/idBench", ""); code != http.StatusNoContent {
					b.Fatalf("DELETE: %d", code)
				}
			}
			inProcess := func() {
				t0 := time.Now()
				if _, err := apply.Run(ctx, tg, withKey, apply.Options{LockTimeout: time.Minute}); err != nil {
					b.Fatal(err)
				}
				floor = append(floor, time.Since(t0))
				if _, err := apply.Run(ctx, tg, base, apply.Options{LockTimeout: time.Minute}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 {
					post()
					inProcess()
				} else {
					inProcess()
					post()
				}
			}
			b.StopTimer()
			o, f := median(ours), median(floor)
			b.ReportMetric(float64(o.Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(f.Nanoseconds()), "floor-p50-ns")
			b.ReportMetric(float64(o)/float64(f), "x-floor")
		}
	})
}

// BenchmarkServeGetKeys measures the throughput of GET
// /metadata/identification-keys with 30 keys declared against GET /healthz
// on the same server, with 16 concurrent clients, and reports their ratio
// (x-healthz; the target is at least 0.5). internal/bench/serve.sh
// measures the same with wrk.
func BenchmarkServeGetKeys(b *testing.B) {
	forBackends(b, func(b *testing.B, be backend) {
		{
			tg := fresh(b, be, "serve_get")
			s := &model.Schema{Profile: []model.Attribute{}}
			for i := range 30 {
				s.Profile = append(s.Profile, model.Attribute{Name: fmt.Sprintf("a%02d", i), Type: model.String, Length: 64})
				s.Keys = append(s.Keys, model.Key{Name: fmt.Sprintf("id%02d", i), Source: model.ProfileSource, Attributes: []string{fmt.Sprintf("a%02d", i)}})
			}
			if _, err := apply.Run(context.Background(), tg, s, apply.Options{LockTimeout: time.Minute}); err != nil {
				b.Fatal(err)
			}
			url := serveIt(b, tg)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			rate := func(path string) float64 {
				const clients, per = 16, 200
				t0 := time.Now()
				done := make(chan struct{})
				for range clients {
					go func() {
						defer func() { done <- struct{}{} }()
						for range per {
							if code := call(b, client, "GET", url+path, ""); code != http.StatusOK {
								b.Errorf("GET %s: %d", path, code)
								return
							}
						}
					}()
				}
				for range clients {
					<-done
				}
				return clients * per / time.Since(t0).Seconds()
			}
			var keys, health []float64
			b.ResetTimer()
			for range b.N {
				health = append(health, rate("/healthz"))
				keys = append(keys, rate("/metadata/identification-keys"))
			}
			b.StopTimer()
			slices.Sort(keys)
			slices.Sort(health)
			k, h := keys[len(keys)/2], health[len(health)/2]
			b.ReportMetric(k, "keys-req/s")
			b.ReportMetric(h, "healthz-req/s")
			b.ReportMetric(k/h, "x-healthz")
		}
	})
}

// fresh is a new, empty database of be, dropped when b ends.
func fresh(b *testing.B, be backend, tag string) apply.Target {
	t, err := be.open(tag)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.drop(t) })
	return t
}

// serveIt runs a server over tg on loopback until b ends.
func serveIt(b *testing.B, tg apply.Target) string {
	db := server.NewDatabase(tg)
	b.Cleanup(db.Close)
	s, err := server.New(server.Config{Resolver: server.Single{DB: db}, LockTimeout: time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

func call(b *testing.B, client *http.Client, method, url, body string) int {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	return resp.StatusCode
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
