package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

func mustNew(t *testing.T, spec Spec) Notifier {
	t.Helper()
	n, err := New(spec)
	if err != nil {
		t.Fatalf("New(%s): %v", spec.Type, err)
	}
	return n
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, b)
	}
	return m
}

func TestWebhookBodyAndSignatureVerifiableByReceiver(t *testing.T) {
	const key = "whsec-9f8e7d6c5b4a-signing-key"
	rc := newReceiver(t, nil)
	n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL + "/kw"}, Token: keystore.NewSecret(key)})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	if r.Method != http.MethodPost || r.Path != "/kw" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request: %s %s %q", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	// What a receiver does: HMAC-SHA256 over the time, ".", and the raw
	// body with the shared key.
	got := r.Header.Get("X-Keywarden-Signature")
	ts, v1, ok := strings.Cut(got, ",v1=")
	ts, tsOK := strings.CutPrefix(ts, "t=")
	if !ok || !tsOK {
		t.Fatalf("signature header %q is not t=…,v1=…", got)
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + "."))
	mac.Write(r.Body)
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(v1), []byte(want)) {
		t.Fatalf("signature %q, receiver computed %q", v1, want)
	}
	if sec, _ := strconv.ParseInt(ts, 10, 64); time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		t.Fatalf("signature time %s is not the time of sending", ts)
	}
	if err := Verify([]byte(key), r.Body, got, time.Now(), 0); err != nil {
		t.Fatalf("Verify refuses what the receiver accepted: %v", err)
	}
	if Verify([]byte("other-key-000"), r.Body, got, time.Now(), 0) == nil {
		t.Fatal("Verify accepts another key")
	}
	if r.Header.Get("X-Keywarden-Event") != "firing" || r.Header.Get("X-Keywarden-Delivery") != "0123456789abcdef" {
		t.Fatalf("headers: %v", r.Header)
	}
	m := decode(t, r.Body)
	for k, v := range map[string]any{
		"version": 1.0, "id": "0123456789abcdef", "kind": "firing", "host": "vps-fra-1", "profile": "binance-main",
		"check": "key.permissions", "old_status": "ok", "new_status": "crit", "summary": "withdrawals enabled <&>",
		"hint": "disable withdrawals for this key on the exchange", "time": "2026-11-25T16:00:00Z", "since": "2026-11-25T16:00:00Z",
		"subject": "CRIT key.permissions binance-main on vps-fra-1: withdrawals enabled <&>",
	} {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if strings.Contains(string(r.Body), key) {
		t.Fatal("signing key in the body")
	}
}

func TestWebhookWithoutKeyIsUnsigned(t *testing.T) {
	rc := newReceiver(t, nil)
	n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	if h := rc.next(t).Header.Get(SignatureHeader); h != "" {
		t.Fatalf("unsigned webhook sent a signature %q", h)
	}
}

func TestSlackIncomingWebhookShape(t *testing.T) {
	rc := newReceiver(t, nil) // Slack answers 200 "ok"
	hook := rc.URL + "/services/T0001/B0002/xoxbSecretPathPart99"
	n := mustNew(t, Spec{Alert: config.Alert{Type: "slack"}, Token: keystore.NewSecret(hook)})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	if r.Path != "/services/T0001/B0002/xoxbSecretPathPart99" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %q", r.Path, r.Header.Get("Content-Type"))
	}
	var msg struct {
		Text        string `json:"text"`
		Attachments []struct {
			Color  string `json:"color"`
			Blocks []struct {
				Type string `json:"type"`
				Text struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"text"`
			} `json:"blocks"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(r.Body, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Text != "CRIT key.permissions binance-main on vps-fra-1: withdrawals enabled &lt;&amp;&gt;" {
		t.Fatalf("text %q", msg.Text)
	}
	if len(msg.Attachments) != 1 || msg.Attachments[0].Color != "#e01e5a" || len(msg.Attachments[0].Blocks) != 1 {
		t.Fatalf("attachments %+v", msg.Attachments)
	}
	b := msg.Attachments[0].Blocks[0]
	if b.Type != "section" || b.Text.Type != "mrkdwn" ||
		!strings.Contains(b.Text.Text, "status: ok → crit") || !strings.Contains(b.Text.Text, "hint: disable withdrawals") {
		t.Fatalf("block %+v", b)
	}
}

func TestDiscordWebhookShape(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	n := mustNew(t, Spec{Alert: config.Alert{Type: "discord"}, Token: keystore.NewSecret(rc.URL + "/api/webhooks/123/tokenABCdef")})
	a := sample()
	a.Kind, a.Old, a.New = Resolved, a.New, 0
	a.Summary = "withdrawals disabled"
	if err := n.Send(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	if r.Path != "/api/webhooks/123/tokenABCdef" {
		t.Fatalf("path %s", r.Path)
	}
	m := decode(t, r.Body)
	if m["username"] != "keywarden" || !strings.HasPrefix(m["content"].(string), "RESOLVED key.permissions") {
		t.Fatalf("message %v", m)
	}
	if p := m["allowed_mentions"].(map[string]any)["parse"].([]any); len(p) != 0 {
		t.Fatalf("mentions allowed: %v", p)
	}
	e := m["embeds"].([]any)[0].(map[string]any)
	if e["title"] != "RESOLVED key.permissions binance-main on vps-fra-1: withdrawals disabled" ||
		e["color"] != float64(0x2eb67d) || e["timestamp"] != "2026-11-25T16:00:00Z" ||
		!strings.Contains(e["description"].(string), "status: crit → ok") {
		t.Fatalf("embed %v", e)
	}
	if fs := e["fields"].([]any); len(fs) != 3 || fs[0].(map[string]any)["value"] != "vps-fra-1" {
		t.Fatalf("fields %v", fs)
	}
}

func TestDiscordRateLimitBodySetsRetryAfter(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}`))
	})
	n := mustNew(t, Spec{Alert: config.Alert{Type: "discord"}, Token: keystore.NewSecret(rc.URL + "/api/webhooks/1/tok")})
	var de *DeliveryError
	if err := n.Send(context.Background(), sample()); !errors.As(err, &de) || de.Permanent || de.RetryAfter != 1500*time.Millisecond {
		t.Fatalf("err %#v", err)
	}
}

func TestTelegramSendMessageShape(t *testing.T) {
	const token = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true,"result":{"message_id":42,"chat":{"id":-1001234567890},"text":"x"}}`))
	})
	n := mustNew(t, Spec{Alert: config.Alert{Type: "telegram", URL: rc.URL, ChatID: "-1001234567890"}, Token: keystore.NewSecret(token)})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	if r.Method != http.MethodPost || r.Path != "/bot"+token+"/sendMessage" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s", r.Method, r.Path)
	}
	m := decode(t, r.Body)
	if m["chat_id"] != float64(-1001234567890) {
		t.Fatalf("chat_id %#v (want the integer id)", m["chat_id"])
	}
	if m["link_preview_options"].(map[string]any)["is_disabled"] != true {
		t.Fatalf("previews: %v", m)
	}
	want := "CRIT key.permissions binance-main on vps-fra-1: withdrawals enabled <&>\nstatus: ok → crit\nhint: disable withdrawals for this key on the exchange"
	if m["text"] != want {
		t.Fatalf("text %q", m["text"])
	}
}

func TestTelegramErrorsNeverShowTheToken(t *testing.T) {
	const token = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`))
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`))
	})
	n := mustNew(t, Spec{Alert: config.Alert{Type: "telegram", URL: rc.URL, ChatID: "@kw_alerts"}, Token: keystore.NewSecret(token)})
	err := n.Send(context.Background(), sample())
	var de *DeliveryError
	if !errors.As(err, &de) || !de.Permanent || de.Error() != "telegram: HTTP 400: Bad Request: chat not found" {
		t.Fatalf("400: %v", err)
	}
	if m := decode(t, rc.next(t).Body); m["chat_id"] != "@kw_alerts" {
		t.Fatalf("chat_id %#v", m["chat_id"])
	}
	err = n.Send(context.Background(), sample())
	if !errors.As(err, &de) || de.Permanent || de.RetryAfter != 7*time.Second {
		t.Fatalf("429: %#v", err)
	}
	// A receiver that is not there: the transport error names no URL.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	n = mustNew(t, Spec{Alert: config.Alert{Type: "telegram", URL: dead, ChatID: "1"}, Token: keystore.NewSecret(token)})
	err = n.Send(context.Background(), sample())
	if err == nil || strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "AAHdq") || strings.Contains(err.Error(), "/bot") {
		t.Fatalf("transport error shows the token or path: %v", err)
	}
}

func TestNtfyJSONPublishShape(t *testing.T) {
	const token = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"id":"hwQ2YpKdmg","time":1635528741,"event":"message","topic":"kw-alerts"}`))
	})
	n := mustNew(t, Spec{Alert: config.Alert{Type: "ntfy", URL: rc.URL + "/kw-alerts"}, Token: keystore.NewSecret(token)})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	if r.Path != "/" || r.Header.Get("Authorization") != "Bearer "+token {
		t.Fatalf("request %s auth %q", r.Path, r.Header.Get("Authorization"))
	}
	m := decode(t, r.Body)
	if m["topic"] != "kw-alerts" || m["priority"] != 5.0 ||
		m["title"] != "CRIT key.permissions binance-main on vps-fra-1: withdrawals enabled <&>" ||
		m["message"] != "status: ok → crit\nhint: disable withdrawals for this key on the exchange" {
		t.Fatalf("message %v", m)
	}
	if tags := m["tags"].([]any); tags[0] != "rotating_light" {
		t.Fatalf("tags %v", tags)
	}
}

func TestNtfyTopicUnderAPathAndNoToken(t *testing.T) {
	rc := newReceiver(t, nil)
	n := mustNew(t, Spec{Alert: config.Alert{Type: "ntfy", URL: rc.URL + "/ntfy/ops"}})
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	if r.Path != "/ntfy/" || r.Header.Get("Authorization") != "" || decode(t, r.Body)["topic"] != "ops" {
		t.Fatalf("request %s %v", r.Path, r.Header)
	}
}

func TestNewRejectsBadSpecsWithoutEchoingSecrets(t *testing.T) {
	const secretURL = "hooks.slack.com/services/T0/B0/verySecretPath"
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Alert: config.Alert{Type: "pager"}}, `unknown type "pager"`},
		{Spec{Alert: config.Alert{Type: "webhook"}}, "`url` is required"},
		{Spec{Alert: config.Alert{Type: "slack"}}, "no webhook URL"},
		{Spec{Alert: config.Alert{Type: "slack"}, Token: keystore.NewSecret(secretURL)}, "not an http(s) URL"},
		{Spec{Alert: config.Alert{Type: "telegram", ChatID: "1"}}, "needs a bot token"},
		{Spec{Alert: config.Alert{Type: "telegram"}, Token: keystore.NewSecret("123:abc-token")}, "needs `chat_id`"},
	} {
		_, err := New(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.spec.Type, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "verySecretPath") || strings.Contains(err.Error(), "abc-token") {
			t.Errorf("%s: error shows the secret: %v", tc.spec.Type, err)
		}
	}
}

func TestRedirectIsNotFollowedAndIsPermanent(t *testing.T) {
	target := newReceiver(t, nil)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	})
	n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}, Token: keystore.NewSecret("signing-key-1234")})
	var de *DeliveryError
	if err := n.Send(context.Background(), sample()); !errors.As(err, &de) || !de.Permanent {
		t.Fatalf("err %v", err)
	}
	if len(target.requests()) != 0 {
		t.Fatal("redirect followed: the signed body went to another host")
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"0.25":                          250 * time.Millisecond,
		"Wed, 25 Nov 2026 16:00:30 GMT": 30 * time.Second,
		"Wed, 25 Nov 2026 15:00:00 GMT": 0,
		"soon":                          0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestWebhookSignatureRefusesReplays: the signed time makes a captured
// request worthless after the tolerance, and neither the time nor the
// body can be changed without breaking the signature.
func TestWebhookSignatureRefusesReplays(t *testing.T) {
	key := []byte("whsec-9f8e7d6c5b4a-signing-key")
	sent := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	rc := newReceiver(t, nil)
	n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}, Token: keystore.NewSecret(string(key))})
	n.(*Webhook).now = func() time.Time { return sent }
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	sig := r.Header.Get(SignatureHeader)
	if sig != Sign(key, r.Body, sent) {
		t.Fatalf("header %q is not the signature of the body at the time of sending", sig)
	}
	later := strings.Replace(sig, "t=1795622400", "t=1795623000", 1)
	for _, c := range []struct {
		name   string
		body   []byte
		header string
		now    time.Time
		want   error
	}{
		{"fresh", r.Body, sig, sent.Add(time.Minute), nil},
		{"clock a little behind", r.Body, sig, sent.Add(-time.Minute), nil},
		{"replayed after 6 minutes", r.Body, sig, sent.Add(6 * time.Minute), ErrStaleRequest},
		{"from the future", r.Body, sig, sent.Add(-6 * time.Minute), ErrStaleRequest},
		{"time rewritten", r.Body, later, sent.Add(10 * time.Minute), ErrNoSignature},
		{"body altered", append([]byte(" "), r.Body...), sig, sent, ErrNoSignature},
		{"no v1", r.Body, "t=1795622400", sent, ErrNoSignature},
		{"empty", r.Body, "", sent, ErrNoSignature},
		{"second key's v1 among others", r.Body, sig[:strings.Index(sig, ",")] + ",v1=00ff," + sig[strings.Index(sig, ",")+1:], sent, nil},
	} {
		if err := Verify(key, c.body, c.header, c.now, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
	if err := Verify(key, r.Body, sig, sent.Add(20*time.Minute), 30*time.Minute); err != nil {
		t.Errorf("a wider tolerance: %v", err)
	}

	// Each attempt is signed at its own time.
	n.(*Webhook).now = func() time.Time { return sent.Add(time.Second) }
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	if again := rc.next(t).Header.Get(SignatureHeader); again == sig || !strings.HasPrefix(again, "t=1795622401,") {
		t.Fatalf("a retry reuses the signature or its time: %q", again)
	}
}
