package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ctxschema/ctxschema/internal/dialect"
)

// cancelSleep runs a long statement on conn and cancels its context once
// the server runs it.
func cancelSleep(t *testing.T, e *env, conn *sqlx.Conn) error {
	t.Helper()
	var pid int
	if err := conn.GetContext(e.ctx, &pid, "SELECT pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := conn.ExecContext(ctx, "SELECT pg_sleep(60)")
		errc <- err
	}()
	for {
		var running bool
		if err := e.db.GetContext(e.ctx, &running, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active')", pid); err != nil {
			t.Fatal(err)
		}
		if running {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	return <-errc
}

// TestCancelKeepsLockSession: a statement of the session that holds the
// apply lock, cancelled by its context (Ctrl-C), is cancelled by the
// server and the session stays open, holding the lock; any other
// connection whose statement is cancelled is closed, pgx's default.
func TestCancelKeepsLockSession(t *testing.T) {
	e := newEnv(t)
	l, err := e.d.Lock(e.ctx, e.db, e.url, dialect.LockOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	session := l.(*lock).conn
	if err := cancelSleep(t, e, session); err == nil {
		t.Fatal("the cancelled statement succeeded")
	}
	var held bool
	if err := session.GetContext(e.ctx, &held, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid())`); err != nil {
		t.Fatalf("the lock's session after a cancelled statement: %v", err)
	}
	if !held {
		t.Error("the lock's session no longer holds the lock after a cancelled statement")
	}

	other, err := e.db.Connx(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := cancelSleep(t, e, other); err == nil {
		t.Fatal("the cancelled statement succeeded")
	}
	if _, err := other.ExecContext(e.ctx, "SELECT 1"); !errors.Is(err, sql.ErrConnDone) && !errors.Is(err, driver.ErrBadConn) {
		t.Errorf("a pool connection after a cancelled statement: %v, want it closed", err)
	}
}
