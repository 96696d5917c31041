package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Headers of the generic webhook.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex>" when a signing key
	// is configured: v1 is HMAC-SHA256(key, t + "." + body), made afresh
	// for every delivery attempt. Signing the time with the body lets a
	// receiver refuse a replayed request (the scheme Stripe's webhooks use).
	SignatureHeader = "X-Keywarden-Signature"
	// EventHeader carries the alert kind (firing, resolved, …).
	EventHeader = "X-Keywarden-Event"
	// DeliveryHeader carries the alert id, the same on every retry.
	DeliveryHeader = "X-Keywarden-Delivery"
)

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock before Verify refuses it.
const DefaultTolerance = 5 * time.Minute

// Webhook posts the alert as a JSON object (WebhookPayload) to a URL,
// signed with HMAC-SHA256 when a key is stored.
type Webhook struct {
	httpNotifier
	url string
	key keystore.Secret
	now func() time.Time // the signature's time
}

func newWebhook(spec Spec, base httpNotifier) (Notifier, error) {
	u, err := endpoint(spec)
	if err != nil {
		return nil, err
	}
	return &Webhook{httpNotifier: base, url: u, key: spec.Token, now: time.Now}, nil
}

// WebhookPayload is the JSON body of the generic webhook (version 1).
type WebhookPayload struct {
	Version   int    `json:"version"`
	ID        string `json:"id"`
	Kind      Kind   `json:"kind"`
	Host      string `json:"host"`
	Profile   string `json:"profile"`
	Check     string `json:"check"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
	Summary   string `json:"summary"`
	Hint      string `json:"hint"`
	Subject   string `json:"subject"`
	Since     string `json:"since,omitempty"`
	Time      string `json:"time"`
	// Held and HeldAlerts are on Suppressed alerts: the check keys folded
	// in (kept for receivers written before HeldAlerts), and what each of
	// those alerts said, worst first.
	Held       []string    `json:"held,omitempty"`
	HeldAlerts []HeldAlert `json:"held_alerts,omitempty"`
}

// Payload renders a as the webhook's JSON object.
func Payload(a Alert) WebhookPayload {
	p := WebhookPayload{
		Version: 1, ID: a.ID, Kind: a.Kind, Host: a.Host, Profile: a.Profile, Check: a.Check,
		OldStatus: a.Old.String(), NewStatus: a.New.String(), Summary: a.Summary, Hint: a.Hint,
		Subject: a.Subject(), Time: a.At.UTC().Format(time.RFC3339), Held: a.Held, HeldAlerts: a.HeldAlerts,
	}
	if !a.Since.IsZero() {
		p.Since = a.Since.UTC().Format(time.RFC3339)
	}
	return p
}

// Sign returns the SignatureHeader value for body sent at t under key.
func Sign(key, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(key, ts, body)
}

func mac(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("no valid signature: wrong key, altered body or a malformed header")
	ErrStaleRequest = errors.New("signature time outside the tolerance: a replay, or a clock off")
)

// Verify checks header (a SignatureHeader value) against body and key, and
// that its time is within tolerance of now (DefaultTolerance when 0). It is
// what a receiver written in Go calls before trusting the body; several v1
// values (one per key while a key is being replaced) are accepted.
func Verify(key, body []byte, header string, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	want := mac(key, ts, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal([]byte(want), []byte(s))
	}
	if !ok {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStaleRequest
	}
	return nil
}

// Send implements Notifier.
func (w *Webhook) Send(ctx context.Context, a Alert) error {
	body, err := json.Marshal(Payload(a))
	if err != nil {
		return &DeliveryError{Notifier: w.name, Permanent: true, Msg: "cannot encode the alert: " + err.Error()}
	}
	h := http.Header{}
	h.Set(EventHeader, string(a.Kind))
	h.Set(DeliveryHeader, a.ID)
	if !w.key.Empty() {
		h.Set(SignatureHeader, Sign([]byte(w.key.Reveal()), body, w.now()))
	}
	_, _, err = w.post(ctx, w.url, "application/json", body, h)
	return err
}
