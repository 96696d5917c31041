package alert

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// BenchmarkTransitionToSignedWebhook measures one status change from
// Observe to a signed webhook received on loopback (plan, scrub, JSON,
// HMAC, HTTP round trip), one at a time.
func BenchmarkTransitionToSignedWebhook(b *testing.B) {
	got := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- struct{}{}
	}))
	defer srv.Close()
	n, err := New(Spec{Alert: config.Alert{Type: "webhook", URL: srv.URL}, Token: keystore.NewSecret("bench-signing-key-0123")})
	if err != nil {
		b.Fatal(err)
	}
	a := NewAlerter([]Target{{Notifier: n, MinStatus: checks.Warn}}, Options{Host: "bench", Scrub: NewScrubber(keystore.NewSecret(apiSecret))})
	defer func() { _ = a.Close(context.Background()) }()
	rs := []checks.Result{{ID: "key.permissions", Profile: "binance-main", Summary: "withdrawals enabled", Hint: "disable withdrawals"}}
	b.ResetTimer()
	for i := range b.N {
		rs[0].Status = checks.Crit
		if i%2 == 1 {
			rs[0].Status = checks.OK
		}
		a.Observe(rs)
		<-got
	}
}
