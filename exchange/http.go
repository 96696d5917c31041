package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// MaxBody caps every response body read from an exchange. A larger body is
// an error (CauseMalformed), never an out-of-memory.
const MaxBody = 1 << 20

// Error is every error an exchange client returns. Its text never holds a
// secret: only the operation, HTTP status, the exchange's code and message.
type Error struct {
	Exchange   string
	Op         string // "server time", "key info"
	HTTPStatus int    // 0 when no response arrived
	Code       string // the exchange's own error code, "" when none
	Message    string // the exchange's message, or a description of the failure
	Cause      Cause
	RetryAfter time.Duration // from Retry-After on 418/429, 0 when absent
	Err        error         // underlying transport error, if any
}

func (e *Error) Error() string {
	s := e.Exchange + " " + e.Op + ": "
	if e.Cause != CauseNone {
		s += "[" + string(e.Cause) + "] "
	}
	if e.HTTPStatus != 0 {
		s += "HTTP " + strconv.Itoa(e.HTTPStatus) + " "
	}
	if e.Code != "" {
		s += "code " + e.Code + " "
	}
	s += e.Message
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Redact removes the credentials in creds from the exchange's message (see
// RedactCreds). It returns e. Prefer redacting before StatusError truncates
// the message, so that no cut-off credential remains.
func (e *Error) Redact(creds keystore.Item) *Error {
	if e != nil {
		e.Message = RedactCreds(e.Message, creds)
	}
	return e
}

// RedactCreds removes credentials from text an exchange sent back (some echo
// the signed string, which holds the API key): the API key becomes its
// fingerprint, the secret and passphrase "[REDACTED]".
func RedactCreds(s string, creds keystore.Item) string {
	for _, sec := range []keystore.Secret{creds.APISecret, creds.Passphrase} {
		if !sec.Empty() {
			s = strings.ReplaceAll(s, sec.Reveal(), sec.String())
		}
	}
	if !creds.APIKey.Empty() {
		s = strings.ReplaceAll(s, creds.APIKey.Reveal(), keystore.Fingerprint(creds.APIKey))
	}
	return s
}

// CauseOf returns the cause of an error from this package, CauseTimeout for
// context deadlines, or CauseOther.
func CauseOf(err error) Cause {
	var e *Error
	if errors.As(err, &e) {
		return e.Cause
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return CauseTimeout
	}
	if err == nil {
		return CauseNone
	}
	return CauseOther
}

// DefaultHTTPClient is the one shared client: sane timeouts at every stage,
// no redirects to other hosts carrying signed headers.
var DefaultHTTPClient = &http.Client{
	Timeout: 15 * time.Second,
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Response is a fully read, size-capped HTTP response.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Sent     time.Time
	Received time.Time
}

// Do sends req with hc (DefaultHTTPClient when nil) and reads at most MaxBody
// bytes. Transport failures come back as *Error with a transport cause;
// HTTP error statuses are NOT errors here: the caller reads the exchange's
// body code first and then calls StatusError.
func Do(ctx context.Context, hc *http.Client, exchange, op string, req *http.Request) (*Response, error) {
	if hc == nil {
		hc = DefaultHTTPClient
	}
	req = req.WithContext(ctx)
	sent := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, transportError(ctx, exchange, op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	received := time.Now()
	if err != nil {
		e := transportError(ctx, exchange, op, err)
		e.HTTPStatus = resp.StatusCode
		if e.Cause == CauseNetwork {
			e.Cause = CauseMalformed
			e.Message = "response body cut short: " + e.Message
		}
		return nil, e
	}
	if len(body) > MaxBody {
		return nil, &Error{Exchange: exchange, Op: op, HTTPStatus: resp.StatusCode, Cause: CauseMalformed,
			Message: fmt.Sprintf("response body larger than %d bytes", MaxBody)}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Sent: sent, Received: received}, nil
}

func transportError(ctx context.Context, exchange, op string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		// Keep the *url.Error (callers test its Timeout) but not its URL:
		// Binance signs the query string, and a wrapped error may be
		// printed by anyone who unwraps it.
		err = &url.Error{Op: ue.Op, URL: pathOnly(ue.URL), Err: ue.Err}
	}
	e := &Error{Exchange: exchange, Op: op, Err: err, Cause: CauseNetwork}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		e.Cause, e.Message = CauseTimeout, "no answer before the deadline"
	case errors.Is(err, context.Canceled):
		e.Cause, e.Message = CauseTimeout, "cancelled"
	case errors.As(err, &ne) && ne.Timeout():
		e.Cause, e.Message = CauseTimeout, "timed out"
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Cause, e.Message = CauseMalformed, "unexpected end of response"
	default:
		// A *url.Error names the full URL; Binance puts its signature in the
		// query string, so report only the path and the underlying failure.
		msg := err.Error()
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
		e.Message = "connection failed: " + msg
	}
	return e
}

// pathOnly is raw without userinfo, query and fragment ("" if unparsable).
func pathOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// MalformedError is the error for a response that arrived but could not be
// decoded as the exchange's documented JSON (err says why; it never holds the
// body, which is the exchange's and may be large).
func MalformedError(exchange, op string, r *Response, err error) *Error {
	e := &Error{Exchange: exchange, Op: op, Cause: CauseMalformed, Err: err,
		Message: "unexpected response: " + truncate(err.Error(), 200)}
	if r != nil {
		e.HTTPStatus = r.Status
	}
	return e
}

// StatusError builds the error for a non-2xx response when the body carried
// no exchange code (or alongside one). It honours Retry-After.
func StatusError(exchange, op string, r *Response, code, msg string, cause Cause) *Error {
	if cause == CauseNone {
		cause = ClassifyHTTP(r.Status)
	}
	if cause == CauseNone {
		cause = CauseOther
	}
	if msg == "" {
		msg = http.StatusText(r.Status)
	}
	return &Error{Exchange: exchange, Op: op, HTTPStatus: r.Status, Code: code, Message: truncate(msg, 200),
		Cause: cause, RetryAfter: RetryAfter(r.Header)}
}

// MaxRetryAfter caps RetryAfter: Binance's longest IP ban is 3 days, and a
// larger number of seconds would overflow a Duration into a negative wait.
const MaxRetryAfter = 3 * 24 * time.Hour

// RetryAfter parses a Retry-After header (seconds or HTTP date); 0 if absent
// or unparsable, at most MaxRetryAfter.
func RetryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(MaxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d, MaxRetryAfter)
		}
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
