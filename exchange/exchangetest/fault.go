// Package exchangetest provides faithful fake exchanges on loopback for tests
// and the demo: they verify signatures exactly as each exchange documents,
// reject with the exchange's real error codes and HTTP statuses, serve a
// configurable (skewed) server time, return key info in the exchange's real
// JSON shape, and inject transport faults.
package exchangetest

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// FaultKind is a transport-level failure a fake can inject.
type FaultKind int

// Fault kinds.
const (
	NoFault         FaultKind = iota
	Delay                     // answer normally after Fault.Delay
	ServerError               // HTTP 503 with an HTML body, as a load balancer sends
	RateLimited               // HTTP 429 with Retry-After
	Banned                    // HTTP 418 with Retry-After (Binance's IP ban)
	MalformedJSON             // 200 with a body that is not JSON
	TruncatedBody             // 200, Content-Length larger than the body sent, then close
	OversizedBody             // 200 with a body of Fault.Size bytes (default 100 MiB), streamed
	ConnectionReset           // the TCP connection is reset before any response
	Hang                      // never answer until the client gives up or the server closes
)

// Fault describes one injected failure.
type Fault struct {
	Kind       FaultKind
	Delay      time.Duration // for Delay (and added before any other kind)
	RetryAfter time.Duration // for RateLimited and Banned (default 2s)
	Size       int64         // for OversizedBody
}

// Faults is a fault injector shared by all fakes: set a fault for every
// request, or queue faults for the next requests.
type Faults struct {
	mu     sync.Mutex
	always Fault
	queue  []Fault
	hangs  chan struct{} // closed by Release to release hanging handlers
	once   sync.Once

	// RateLimitBody, when set by an exchange fake, returns that exchange's
	// own body for a rate-limit or ban fault (its real error code and text).
	RateLimitBody func(k FaultKind) []byte
}

// Set makes every following request fail with f (NoFault clears it).
func (fs *Faults) Set(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.always = f
	fs.queue = nil
}

// Next queues faults for the next requests, in order, before Set's fault applies.
func (fs *Faults) Next(f ...Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.queue = append(fs.queue, f...)
}

func (fs *Faults) take() Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.queue) > 0 {
		f := fs.queue[0]
		fs.queue = fs.queue[1:]
		return f
	}
	return fs.always
}

func (fs *Faults) hangCh() chan struct{} {
	fs.once.Do(func() { fs.hangs = make(chan struct{}) })
	return fs.hangs
}

// Release unblocks every hanging handler; call it before closing the server.
func (fs *Faults) Release() {
	ch := fs.hangCh()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// Wrap returns next with fault injection in front of it.
func (fs *Faults) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := fs.take()
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			case <-fs.hangCh():
				return
			}
		}
		ra := f.RetryAfter
		if ra <= 0 {
			ra = 2 * time.Second
		}
		switch f.Kind {
		case NoFault, Delay:
			next.ServeHTTP(w, r)
		case ServerError:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"))
		case RateLimited, Banned:
			status := http.StatusTooManyRequests
			if f.Kind == Banned {
				status = http.StatusTeapot
			}
			w.Header().Set("Retry-After", strconv.Itoa(int(ra/time.Second)))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(fs.rateLimitBody(f.Kind))
		case MalformedJSON:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"code":0,"data":[{"ts":`))
		case TruncatedBody:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "4096")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"serverTime":`))
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			closeConn(w)
		case OversizedBody:
			size := f.Size
			if size <= 0 {
				size = 100 << 20
			}
			w.Header().Set("Content-Type", "application/json")
			chunk := bytes.Repeat([]byte(" "), 64<<10)
			for written := int64(0); written < size; written += int64(len(chunk)) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case ConnectionReset:
			if hj, ok := w.(http.Hijacker); ok {
				conn, _, err := hj.Hijack()
				if err == nil {
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // RST instead of FIN
					}
					_ = conn.Close()
				}
			}
		case Hang:
			select {
			case <-r.Context().Done():
			case <-fs.hangCh():
			}
		}
	})
}

func closeConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
		}
	}
}

func (fs *Faults) rateLimitBody(k FaultKind) []byte {
	if fs.RateLimitBody != nil {
		return fs.RateLimitBody(k)
	}
	return []byte(`{"error":"too many requests"}`)
}
