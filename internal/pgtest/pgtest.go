// Package pgtest gives tests a PostgreSQL database of their own. The server
// is named by the environment variable CTXSCHEMA_TEST_POSTGRES (a URL such
// as postgres://postgres@127.0.0.1:5432/test?sslmode=disable whose user may
// create databases); tests skip with a message when it is unset.
package pgtest

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	// The pgx driver, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// EnvVar is the environment variable that names the test server.
const EnvVar = "CTXSCHEMA_TEST_POSTGRES"

// ServerURL returns the URL of the test server, skipping t when EnvVar is
// unset.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a server URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvVar)
	}
	return u
}

// NewDatabase creates an empty database called ctxschema_test_<random> on
// the test server, drops it (WITH (FORCE), ending leftover sessions) when
// the test ends, and returns its URL: the server URL with the database
// replaced. It skips t when EnvVar is unset.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s is not a URL", EnvVar)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "ctxschema_test_" + hex.EncodeToString(b[:])
	exec(t, server, "CREATE DATABASE "+name)
	t.Cleanup(func() { exec(t, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

// Exec runs statements on the database at dbURL with a connection of its
// own, failing t on error.
func Exec(t testing.TB, dbURL string, stmts ...string) {
	t.Helper()
	exec(t, dbURL, stmts...)
}

func exec(t testing.TB, dbURL string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatalf("opening the test server: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// Sessions is a TCP proxy in front of the test server that counts the
// connections made through it: each is a session, a backend the server
// starts. Tests use it to pin how many sessions a command opens.
type Sessions struct {
	// URL is dbURL with the proxy's address in place of the server's.
	URL string
	n   atomic.Int64
	// trips counts the client's Query and Sync messages.
	trips atomic.Int64
}

// Count returns how many connections were made through the proxy so far.
func (s *Sessions) Count() int { return int(s.n.Load()) }

// RoundTrips returns how many round trips the clients began so far, on
// all connections: the messages the server answers with ReadyForQuery
// (a simple Query, or the Sync that closes an extended query). The
// start-up and authentication are not counted.
func (s *Sessions) RoundTrips() int { return int(s.trips.Load()) }

// countTrips copies the client's side of a connection to the server,
// counting its round trips: after the start-up message (a length and a
// protocol version), each message is a type byte and a length.
func (s *Sessions) countTrips(dst io.Writer, src io.Reader) {
	r := bufio.NewReader(src)
	var head [8]byte
	for {
		// An SSLRequest or GSSENCRequest (declined: the test server's URL
		// has sslmode=disable) comes before the start-up message.
		if _, err := io.ReadFull(r, head[:8]); err != nil {
			return
		}
		if _, err := dst.Write(head[:8]); err != nil {
			return
		}
		if code := binary.BigEndian.Uint32(head[4:8]); code == 80877103 || code == 80877104 {
			continue
		}
		if _, err := io.CopyN(dst, r, int64(binary.BigEndian.Uint32(head[:4]))-8); err != nil {
			return
		}
		break
	}
	for {
		if _, err := io.ReadFull(r, head[:5]); err != nil {
			return
		}
		if head[0] == 'Q' || head[0] == 'S' {
			s.trips.Add(1)
		}
		if _, err := dst.Write(head[:5]); err != nil {
			return
		}
		if _, err := io.CopyN(dst, r, int64(binary.BigEndian.Uint32(head[1:5]))-4); err != nil {
			return
		}
	}
}

// CountSessions starts a proxy in front of the server of dbURL, on the
// loopback address, until the test ends.
func CountSessions(t testing.TB, dbURL string) *Sessions {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("%s is not a URL", EnvVar)
	}
	server := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.Host = ln.Addr().String()
	s := &Sessions{URL: u.String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.n.Add(1)
			up, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c, up)
			mu.Unlock()
			wg.Add(2)
			go func() {
				defer wg.Done()
				s.countTrips(up, c)
				up.Close()
				c.Close()
			}()
			go func() {
				defer wg.Done()
				io.Copy(c, up) //nolint:errcheck // either side closing ends both
				up.Close()
				c.Close()
			}()
		}
	}()
	return s
}
