package alert

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
)

// request is what a loopback receiver recorded.
type request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// receiver is a loopback HTTP server that records every request and
// answers with respond (200 "ok" when nil).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []request
	arrived chan request
	respond func(n int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond, arrived: make(chan request, 1000)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: body}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, req)
		n := len(rc.reqs)
		rc.mu.Unlock()
		rc.arrived <- req
		if rc.respond != nil {
			rc.respond(n, w, r)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// next waits for the next request; the generous limit only turns a hang
// into a failure, it measures nothing.
func (rc *receiver) next(t *testing.T) request {
	t.Helper()
	select {
	case r := <-rc.arrived:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("receiver: no request arrived")
	}
	return request{}
}

// sample is an alert as the Alerter would make it.
func sample() Alert {
	at := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	return Alert{
		ID: "0123456789abcdef", Kind: Firing, Host: "vps-fra-1", Profile: "binance-main", Check: "key.permissions",
		Old: checks.OK, New: checks.Crit, Summary: "withdrawals enabled <&>", Hint: "disable withdrawals for this key on the exchange",
		Since: at, At: at,
	}
}
