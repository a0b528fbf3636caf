package httptarget

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A call interrupted (Ctrl-C cancels the context) is reported as such,
// never as a server that cannot be reached.
func TestCallInterruptedIsNotUnreachable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cl, err := newClient(srv.URL, Options{Timeout: 10 * time.Second, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, _, _, err = cl.once(ctx, call{Method: http.MethodGet, Path: "/server/status"})
	var unreachable *UnreachableError
	if errors.As(err, &unreachable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("once = %v; want the interruption (context.Canceled), not an unreachable server", err)
	}
}
