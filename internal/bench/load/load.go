// Package load drives a running `ctxschema serve` with many concurrent
// clients that mix reads and writes, and checks what it answered: no 5xx,
// only the codes each call may get, and no lost write (the keys the
// clients created and did not delete are exactly the keys the server lists
// afterwards). The serve benchmark script and a short test use it.
package load

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config is a load run.
type Config struct {
	// URL is the server's base URL (with its base path).
	URL string
	// Clients run concurrently, each one request at a time.
	Clients int
	// Duration is how long clients start new requests.
	Duration time.Duration
	// WriteEvery makes one request in WriteEvery a write (default 10):
	// each client creates a key, then deletes it at its next write.
	WriteEvery int
	// Attribute is the profile attribute the keys are declared over.
	Attribute string
	// Header is sent with every request (Authorization).
	Header http.Header
}

// Result is what a load run saw.
type Result struct {
	Reads, Writes int64
	// Codes counts the answers by status code.
	Codes map[int]int64
	// Unexpected lists requests that got a code their call may not get
	// (any 5xx among them), or no answer; at most 20.
	Unexpected []string
	// Lost lists keys whose creation was answered 201, not deleted, and
	// missing from the server's list, or listed though never created or
	// deleted since.
	Lost []string
	// ReadLatency and WriteLatency are the 50th, 99th and 100th
	// percentiles.
	ReadLatency, WriteLatency [3]time.Duration
	Elapsed                   time.Duration
}

// ServerErrors counts the 5xx answers.
func (r *Result) ServerErrors() int64 {
	var n int64
	for code, c := range r.Codes {
		if code >= 500 {
			n += c
		}
	}
	return n
}

// OK reports whether the run saw nothing wrong.
func (r *Result) OK() bool {
	return len(r.Unexpected) == 0 && len(r.Lost) == 0 && r.ServerErrors() == 0
}

// String summarises the run in a few lines.
func (r *Result) String() string {
	var b strings.Builder
	total := r.Reads + r.Writes
	fmt.Fprintf(&b, "%d requests in %s (%.0f/s): %d reads, %d writes\n", total, r.Elapsed.Round(time.Millisecond),
		float64(total)/r.Elapsed.Seconds(), r.Reads, r.Writes)
	var codes []int
	for c := range r.Codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	b.WriteString("codes:")
	for _, c := range codes {
		fmt.Fprintf(&b, " %d×%d", c, r.Codes[c])
	}
	fmt.Fprintf(&b, "\nread latency p50 %s, p99 %s, max %s\n", r.ReadLatency[0], r.ReadLatency[1], r.ReadLatency[2])
	fmt.Fprintf(&b, "write latency p50 %s, p99 %s, max %s\n", r.WriteLatency[0], r.WriteLatency[1], r.WriteLatency[2])
	fmt.Fprintf(&b, "5xx: %d; unexpected answers: %d; lost writes: %d", r.ServerErrors(), len(r.Unexpected), len(r.Lost))
	for _, u := range r.Unexpected {
		b.WriteString("\n  unexpected: " + u)
	}
	for _, l := range r.Lost {
		b.WriteString("\n  lost: " + l)
	}
	return b.String()
}

// keyPrefix starts the names of the keys a load run creates.
const keyPrefix = "ld"

type sample struct {
	write bool
	d     time.Duration
}

// Run runs the load described by cfg.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.WriteEvery <= 0 {
		cfg.WriteEvery = 10
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients, MaxIdleConns: cfg.Clients}}
	defer client.CloseIdleConnections()
	res := &Result{Codes: map[int]int64{}}
	var mu sync.Mutex
	alive := map[string]bool{} // keys created and not deleted
	var samples []sample
	deadline := time.Now().Add(cfg.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []sample
			live, n := "", 0
			for op := 0; time.Now().Before(deadline) && ctx.Err() == nil; op++ {
				var method, path, body string
				want := http.StatusOK
				write := (op+c)%cfg.WriteEvery == 0
				switch {
				case write && live != "":
					method, path, want = "DELETE", "/metadata/identification-keys/"+live, http.StatusNoContent
				case write:
					n++
					live = fmt.Sprintf("%s%dx%d", keyPrefix, c, n)
					method, path, want = "POST", "/metadata/identification-keys", http.StatusCreated
					body = fmt.Sprintf(`{"name":%q,"attributes":[%q]}`, live, cfg.Attribute)
				case op%3 == 0:
					method, path = "GET", "/metadata/identification-keys"
				case op%3 == 1:
					method, path = "GET", "/metadata/profiles"
				default:
					method, path = "GET", "/server/status"
				}
				t0 := time.Now()
				code, err := send(ctx, client, cfg, method, path, body)
				mine = append(mine, sample{write, time.Since(t0)})
				mu.Lock()
				if err != nil {
					res.note(fmt.Sprintf("%s %s: %v", method, path, err))
				} else {
					res.Codes[code]++
					if code != want {
						res.note(fmt.Sprintf("%s %s: %d, want %d", method, path, code, want))
					}
				}
				if write {
					res.Writes++
					switch {
					case method == "POST" && code == http.StatusCreated:
						alive[live] = true
					case method == "POST":
						live = "" // not created: nothing to delete
					case code == http.StatusNoContent:
						delete(alive, live)
						live = ""
					}
				} else {
					res.Reads++
				}
				mu.Unlock()
			}
			mu.Lock()
			samples = append(samples, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.ReadLatency, res.WriteLatency = percentiles(samples, false), percentiles(samples, true)

	listed, err := listKeys(ctx, client, cfg)
	if err != nil {
		return res, err
	}
	for name := range alive {
		if !listed[name] {
			res.Lost = append(res.Lost, name+" was created and not deleted, but is not listed")
		}
	}
	for name := range listed {
		if strings.HasPrefix(name, keyPrefix) && !alive[name] {
			res.Lost = append(res.Lost, name+" is listed, but its creation failed or it was deleted")
		}
	}
	slices.Sort(res.Lost)
	return res, nil
}

func (r *Result) note(s string) {
	if len(r.Unexpected) < 20 {
		r.Unexpected = append(r.Unexpected, s)
	}
}

func send(ctx context.Context, client *http.Client, cfg Config, method, path, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, cfg.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range cfg.Header {
		req.Header[k] = v
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func listKeys(ctx context.Context, client *http.Client, cfg Config) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", cfg.URL+"/metadata/identification-keys", nil)
	if err != nil {
		return nil, err
	}
	for k, v := range cfg.Header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var keys []struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil {
		return nil, fmt.Errorf("listing the keys after the load: %w", err)
	}
	out := map[string]bool{}
	for _, k := range keys {
		out[k.Name] = true
	}
	return out, nil
}

func percentiles(samples []sample, write bool) [3]time.Duration {
	var ds []time.Duration
	for _, s := range samples {
		if s.write == write {
			ds = append(ds, s.d)
		}
	}
	if len(ds) == 0 {
		return [3]time.Duration{}
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration {
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(10 * time.Microsecond)
	}
	return [3]time.Duration{at(0.5), at(0.99), ds[len(ds)-1].Round(10 * time.Microsecond)}
}
