package exchange

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

func TestRetryAfter(t *testing.T) {
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		header   string
		min, max time.Duration
	}{
		{"", 0, 0},
		{"7", 7 * time.Second, 7 * time.Second},
		{"0", 0, 0},
		{"-3", 0, 0},
		{"soon", 0, 0},
		{future, 80 * time.Second, 90 * time.Second},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0, 0}, // in the past
		// Overflowing a Duration must not turn into a negative (no) wait.
		{"99999999999", MaxRetryAfter, MaxRetryAfter},
		{"9223372036854775807", MaxRetryAfter, MaxRetryAfter},
		{"Fri, 01 Jan 2100 00:00:00 GMT", MaxRetryAfter, MaxRetryAfter},
		{" 12 ", 12 * time.Second, 12 * time.Second},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		if got := RetryAfter(h); got < tt.min || got > tt.max {
			t.Errorf("RetryAfter(%q) = %v, want in [%v, %v]", tt.header, got, tt.min, tt.max)
		}
	}
}

// Do reads a body of exactly MaxBody bytes and refuses one byte more.
func TestDoCapsBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		_, _ = w.Write([]byte(strings.Repeat("x", n)))
	}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	get := func(n int) (*Response, error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?n="+strconv.Itoa(n), nil)
		return Do(context.Background(), hc, "test", "probe", req)
	}
	r, err := get(MaxBody)
	if err != nil || len(r.Body) != MaxBody {
		t.Fatalf("body of MaxBody bytes: %v", err)
	}
	_, err = get(MaxBody + 1)
	if CauseOf(err) != CauseMalformed {
		t.Fatalf("body of MaxBody+1 bytes: %v, want malformed", err)
	}
}

// A transport failure names neither the query string (Binance's signature
// lives there) nor anything else of the URL beyond what net/http's inner
// error says.
func TestTransportErrorOmitsQuery(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	req, _ := http.NewRequest(http.MethodGet, url+"/sapi/v1/account/apiRestrictions?timestamp=1&signature=deadbeefcafe", nil)
	_, err := Do(context.Background(), &http.Client{Transport: &http.Transport{}}, "binance", "key info", req)
	if CauseOf(err) != CauseNetwork {
		t.Fatalf("err = %v, want network", err)
	}
	if strings.Contains(err.Error(), "deadbeefcafe") || strings.Contains(err.Error(), "signature") {
		t.Errorf("error names the signed query: %v", err)
	}
}

func TestDoDeadlineIsTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := Do(ctx, &http.Client{Transport: &http.Transport{}}, "x", "server time", req)
	var e *Error
	if !errors.As(err, &e) || e.Cause != CauseTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %#v, want timeout wrapping the deadline", err)
	}
}

func TestRedactCreds(t *testing.T) {
	it := keystore.Item{
		APIKey:     keystore.NewSecret("opjSlSOzqIeXROT5rq"),
		APISecret:  keystore.NewSecret("s3cr3t-value-123"),
		Passphrase: keystore.NewSecret("pass-phrase-9"),
	}
	msg := "error sign! origin_string[1658384314791opjSlSOzqIeXROT5rq5000] s3cr3t-value-123 pass-phrase-9"
	got := RedactCreds(msg, it)
	for _, s := range []string{"opjSlSOzqIeXROT5rq", "s3cr3t-value-123", "pass-phrase-9"} {
		if strings.Contains(got, s) {
			t.Errorf("RedactCreds left %q in %q", s, got)
		}
	}
	if !strings.Contains(got, keystore.Fingerprint(it.APIKey)) {
		t.Errorf("RedactCreds(%q) = %q, want the key's fingerprint", msg, got)
	}
	e := (&Error{Message: msg}).Redact(it)
	if e.Message != got {
		t.Errorf("Error.Redact = %q, want %q", e.Message, got)
	}
	if RedactCreds("nothing here", keystore.Item{}) != "nothing here" {
		t.Error("RedactCreds changed text with empty credentials")
	}
}

func TestStatusErrorClassifies(t *testing.T) {
	h := http.Header{}
	h.Set("Retry-After", "30")
	tests := []struct {
		status int
		cause  Cause
		want   Cause
	}{
		{429, CauseNone, CauseRateLimit},
		{418, CauseNone, CauseRateLimit},
		{503, CauseNone, CauseServer},
		{400, CauseNone, CauseOther},
		{400, CauseClock, CauseClock},
	}
	for _, tt := range tests {
		e := StatusError("binance", "key info", &Response{Status: tt.status, Header: h}, "", "", tt.cause)
		if e.Cause != tt.want || e.RetryAfter != 30*time.Second || e.Message == "" {
			t.Errorf("StatusError(%d, %q) = %+v, want cause %q, retry 30s, a message", tt.status, tt.cause, e, tt.want)
		}
	}
}
