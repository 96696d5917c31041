package alert

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// Canary credentials: each a recognisable value that must never show, not
// even in part, in an error or a log.
const (
	canaryTeam  = "T0CANARY7QZ"
	canaryBot   = "B0CANARY4XW"
	canaryToken = "CnRy22charSlackTokenX1" // 22 characters, as in the report
	canaryQuery = "qCanaryQueryValue93kd"
	canaryTG    = "7099887766:AAcanaryTelegramToken0fEchoX"
	canaryTopic = "kw-canary-topic-8c1f"
)

// assertNoPiece fails when out holds any 8 consecutive characters of a
// canary.
func assertNoPiece(t *testing.T, what, out string, canaries ...string) {
	t.Helper()
	for _, c := range canaries {
		for i := 0; i+8 <= len(c); i++ {
			if strings.Contains(out, c[i:i+8]) {
				t.Errorf("%s holds %q, a piece of a credential:\n%s", what, c[i:i+8], out)
				break
			}
		}
	}
}

// TestNotifierCredentialsInLog: a receiver that echoes the request path and
// query the way Express does ("Cannot POST /services/T…/B…/TOKEN"), with
// padding that puts the token across the 200-character cut of the error
// snippet at every offset, never gets a credential's characters into the
// delivery error or watch's log.
func TestNotifierCredentialsInLog(t *testing.T) {
	var pad int
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Error</title></head>\n<body>\n<pre>%sCannot POST %s</pre>\n</body>\n</html>\n",
			strings.Repeat("x", pad), r.URL.RequestURI())
	}))
	defer echo.Close()
	slackURL := echo.URL + "/services/" + canaryTeam + "/" + canaryBot + "/" + canaryToken + "?k=" + canaryQuery
	cases := []struct {
		name     string
		spec     Spec
		canaries []string
	}{
		{"slack", Spec{Alert: config.Alert{Type: "slack"}, Token: keystore.NewSecret(slackURL)}, []string{canaryTeam, canaryBot, canaryToken, canaryQuery}},
		{"discord", Spec{Alert: config.Alert{Type: "discord"}, Token: keystore.NewSecret(echo.URL + "/api/webhooks/" + canaryBot + "/" + canaryToken)}, []string{canaryBot, canaryToken}},
		{"telegram", Spec{Alert: config.Alert{Type: "telegram", URL: echo.URL, ChatID: "42"}, Token: keystore.NewSecret(canaryTG)}, []string{canaryTG}},
		{"webhook", Spec{Alert: config.Alert{Type: "webhook", URL: echo.URL + "/hooks/kw?token=" + canaryQuery}}, []string{canaryQuery}},
		{"ntfy", Spec{Alert: config.Alert{Type: "ntfy", URL: echo.URL + "/" + canaryTopic + "?auth=" + canaryQuery}}, []string{canaryQuery}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := mustNew(t, c.spec)
			for pad = 0; pad <= 200; pad++ {
				err := n.Send(context.Background(), sample())
				if err == nil {
					t.Fatal("a 404 was taken for a delivery")
				}
				assertNoPiece(t, fmt.Sprintf("the error with %d characters of padding", pad), err.Error(), c.canaries...)
			}
			pad = 0
			var logs bytes.Buffer
			a := NewAlerter([]Target{{Notifier: n, MinStatus: checks.Warn}}, Options{Host: "vps-1", Retry: fastRetry, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
			a.Observe([]checks.Result{{ID: "key.permissions", Profile: "binance-main", Status: checks.Crit, Summary: "withdrawals enabled"}})
			if err := a.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), "Cannot POST /") || !strings.Contains(logs.String(), "[REDACTED]") {
				t.Fatalf("the receiver's answer is not logged:\n%s", logs.String())
			}
			assertNoPiece(t, "the log", logs.String(), c.canaries...)
		})
	}
}

func TestURLPartsKeepsTheAPIsWords(t *testing.T) {
	var got []string
	for _, s := range URLParts("https://hooks.slack.com/services/T0001AB/B0002CD/xoxbSecret99?channel=alerts&token=Tk%2Fabc123") {
		got = append(got, s.Reveal())
	}
	want := "T0001AB B0002CD xoxbSecret99 Tk/abc123"
	if strings.Join(got, " ") != want {
		t.Fatalf("parts %q, want %q", got, want)
	}
}
