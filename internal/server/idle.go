package server

import (
	"context"
	"time"
)

// Idle connections (connections.max.idle.ms).
//
// Each connection notes the time of its last activity: a request read or
// a batch of responses written. A reaper goroutine looks over the
// connections a few times per idle period and closes those idle for at
// least ConnectionsMaxIdle with nothing in flight, so a connection is
// closed between one and one and a quarter idle periods after its last
// activity. A request that is parked (a long-polling fetch, a JoinGroup
// waiting for its group) keeps its connection open however long it waits:
// Kafka's idle expiry counts only socket activity, but closing a client's
// connection under its own pending request only makes it retry.

// now is the server's monotonic clock for activity times, in nanoseconds
// since the server was created.
func (s *Server) now() int64 { return int64(time.Since(s.start)) }

// touch records activity on c.
func (c *conn) touch() { c.lastActive.Store(c.s.now()) }

// idle reports whether c has been idle for at least d with nothing in
// flight.
func (c *conn) idle(now int64, d time.Duration) bool {
	return len(c.slots) == 0 && now-c.lastActive.Load() >= int64(d)
}

// reapIdle closes idle connections until ctx ends or the server closes.
func (s *Server) reapIdle(ctx context.Context) {
	d := s.o.Settings.ConnectionsMaxIdle
	s.every(ctx, min(max(d/4, 10*time.Millisecond), 30*time.Second), func() {
		now := s.now()
		s.mu.Lock()
		defer s.mu.Unlock()
		for c := range s.conns {
			if c.idle(now, d) {
				c.log.Debug("closing idle connection", "idle.ms", time.Duration(now-c.lastActive.Load()).Milliseconds())
				c.nc.Close()
			}
		}
	})
}

// every calls fn each period until ctx ends or the server closes.
func (s *Server) every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.quit:
			return
		case <-t.C:
			fn()
		}
	}
}
