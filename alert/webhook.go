package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Headers of the generic webhook.
const (
	// SignatureHeader carries "sha256=" + hex(HMAC-SHA256(key, body)) when a
	// signing key is configured. Receivers recompute it over the raw body
	// and compare in constant time.
	SignatureHeader = "X-Keywarden-Signature-256"
	// EventHeader carries the alert kind (firing, resolved, …).
	EventHeader = "X-Keywarden-Event"
	// DeliveryHeader carries the alert id, the same on every retry.
	DeliveryHeader = "X-Keywarden-Delivery"
)

// Webhook posts the alert as a JSON object (WebhookPayload) to a URL,
// signed with HMAC-SHA256 when a key is stored.
type Webhook struct {
	httpNotifier
	url string
	key keystore.Secret
}

func newWebhook(spec Spec, base httpNotifier) (Notifier, error) {
	u, err := endpoint(spec)
	if err != nil {
		return nil, err
	}
	return &Webhook{httpNotifier: base, url: u, key: spec.Token}, nil
}

// WebhookPayload is the JSON body of the generic webhook (version 1).
type WebhookPayload struct {
	Version   int      `json:"version"`
	ID        string   `json:"id"`
	Kind      Kind     `json:"kind"`
	Host      string   `json:"host"`
	Profile   string   `json:"profile"`
	Check     string   `json:"check"`
	OldStatus string   `json:"old_status"`
	NewStatus string   `json:"new_status"`
	Summary   string   `json:"summary"`
	Hint      string   `json:"hint"`
	Subject   string   `json:"subject"`
	Since     string   `json:"since,omitempty"`
	Time      string   `json:"time"`
	Held      []string `json:"held,omitempty"`
}

// Payload renders a as the webhook's JSON object.
func Payload(a Alert) WebhookPayload {
	p := WebhookPayload{
		Version: 1, ID: a.ID, Kind: a.Kind, Host: a.Host, Profile: a.Profile, Check: a.Check,
		OldStatus: a.Old.String(), NewStatus: a.New.String(), Summary: a.Summary, Hint: a.Hint,
		Subject: a.Subject(), Time: a.At.UTC().Format(time.RFC3339), Held: a.Held,
	}
	if !a.Since.IsZero() {
		p.Since = a.Since.UTC().Format(time.RFC3339)
	}
	return p
}

// Sign returns the SignatureHeader value for body under key.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig (a SignatureHeader value) is body's signature
// under key. It is what a receiver written in Go would call.
func Verify(key, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(key, body)), []byte(sig))
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
		h.Set(SignatureHeader, Sign([]byte(w.key.Reveal()), body))
	}
	_, _, err = w.post(ctx, w.url, "application/json", body, h)
	return err
}
