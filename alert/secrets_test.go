package alert

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// Real-looking values (Binance's documented example key pair, a Telegram
// token in the real format, a webhook signing key).
const (
	apiKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	apiSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	hookKey   = "whsec-1f2e3d4c5b6a-hook-signing"
	botToken  = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
)

// TestSecretsNeverInAlertsOrLogs feeds a check result that (wrongly)
// quotes a stored secret, and receivers whose errors echo secrets, and
// looks for every secret in every form in what the receivers got and in
// the logs.
func TestSecretsNeverInAlertsOrLogs(t *testing.T) {
	ctx := context.Background()
	store := keystore.NewMemory()
	for name, it := range map[string]keystore.Item{
		"binance-main": {APIKey: keystore.NewSecret(apiKey), APISecret: keystore.NewSecret(apiSecret)},
		"alert-hook":   {APISecret: keystore.NewSecret(hookKey)},
		"tg-bot":       {APISecret: keystore.NewSecret(botToken)},
	} {
		if err := store.Set(ctx, name, it); err != nil {
			t.Fatal(err)
		}
	}
	hook := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 { // a receiver that echoes what it was given
			http.Error(w, "rejected payload containing "+apiSecret+" signed with "+hookKey, http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	tg := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 { // a proxy that echoes the request path (which holds the token)
			http.Error(w, `{"ok":false,"error_code":502,"description":"upstream failed for `+r.URL.Path+`"}`, http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true,"result":{}}`))
	})

	entries, err := keystore.Secrets(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	var stored []keystore.Secret
	for _, e := range entries {
		for _, f := range e.Values() {
			stored = append(stored, f.Value)
		}
	}
	scrub := NewScrubber(stored...)
	targets, tokens, err := Targets(ctx, []config.Alert{
		{Type: "webhook", URL: hook.URL, Token: "alert-hook"},
		{Type: "telegram", URL: tg.URL, ChatID: "42", Token: "tg-bot"},
	}, store, nil, scrub)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 2 {
		t.Fatalf("tokens %d", len(tokens))
	}
	var logs bytes.Buffer
	a := NewAlerter(targets, Options{
		Host: "vps-1", Retry: fastRetry, Scrub: NewScrubberWith(scrub, tokens...),
		Log: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	a.Observe([]checks.Result{{
		ID: "auditlog", Profile: "binance-main", Status: checks.Crit,
		Summary: "secret in the audit log: " + apiSecret,
		Hint:    "line was " + base64.StdEncoding.EncodeToString([]byte(apiSecret)) + " key " + apiKey + " " + url.QueryEscape(botToken),
	}})
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(hook.requests()) != 2 || len(tg.requests()) != 2 {
		t.Fatalf("requests: hook %d, telegram %d", len(hook.requests()), len(tg.requests()))
	}
	var bodies []string
	for _, r := range append(hook.requests(), tg.requests()...) {
		bodies = append(bodies, string(r.Body))
	}
	for _, v := range []string{apiKey, apiSecret, hookKey, botToken} {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), url.QueryEscape(v), "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"} {
			if strings.Contains(logs.String(), form) {
				t.Errorf("logs hold a secret (%.6s…):\n%s", form, logs.String())
			}
			for _, b := range bodies {
				if strings.Contains(b, form) {
					t.Errorf("an alert body holds a secret (%.6s…): %s", form, b)
				}
			}
		}
	}
	if !strings.Contains(bodies[0], "secret in the audit log: [REDACTED]") {
		t.Fatalf("summary not redacted as expected: %s", bodies[0])
	}
	if !strings.Contains(logs.String(), "HTTP 500: rejected payload containing [REDACTED] signed with [REDACTED]") ||
		!strings.Contains(logs.String(), "HTTP 502: upstream failed for /bot[REDACTED]/sendMessage") {
		t.Fatalf("receiver errors not logged (redacted):\n%s", logs.String())
	}
}

func TestTokenErrorsSayHowToFix(t *testing.T) {
	ctx := context.Background()
	store := keystore.NewMemory()
	_ = store.Set(ctx, "empty", keystore.Item{APIKey: keystore.NewSecret("only-a-key-here")})
	for name, want := range map[string]string{
		"missing": `notifier token "missing" is not in the keystore: store it as the api_secret of an item named "missing"`,
		"empty":   `notifier token "empty": the keystore item has an empty api_secret`,
	} {
		_, err := Token(ctx, store, name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := Targets(ctx, []config.Alert{{Type: "ntfy", URL: "https://ntfy.sh/x", MinStatus: "bad"}}, store, nil, nil); err == nil ||
		!strings.Contains(err.Error(), "min_status") {
		t.Errorf("bad min_status: %v", err)
	}
}

func TestTargetsNamesRepeatedTypes(t *testing.T) {
	ts, _, err := Targets(context.Background(), []config.Alert{
		{Type: "webhook", URL: "http://127.0.0.1:1/a"}, {Type: "ntfy", URL: "https://ntfy.sh/kw", MinStatus: "crit"}, {Type: "webhook", URL: "http://127.0.0.1:1/b"},
	}, keystore.NewMemory(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range ts {
		got = append(got, tg.Notifier.Name()+":"+tg.MinStatus.String())
	}
	if strings.Join(got, " ") != "webhook-1:warn ntfy:crit webhook-2:warn" {
		t.Fatal(got)
	}
}
