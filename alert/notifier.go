package alert

import (
	"bytes"
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

	"github.com/keywarden/keywarden/alert/alerttype"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// Notifier delivers one alert to one destination.
//
// Send makes exactly one attempt. Its error is a *DeliveryError that says
// whether a retry can help and how long the receiver asked to wait; the
// error never contains the token, the webhook URL's path or any secret.
type Notifier interface {
	// Name identifies the notifier in logs and metric labels, e.g. "slack"
	// or "webhook-2". It never contains a URL or token.
	Name() string
	Send(ctx context.Context, a Alert) error
}

// DeliveryError is a failed delivery attempt.
type DeliveryError struct {
	Notifier   string
	StatusCode int           // HTTP status, 0 when no response arrived
	Permanent  bool          // retrying cannot help (bad URL, 4xx other than 408/425/429)
	RetryAfter time.Duration // the receiver's Retry-After, 0 when none
	Msg        string        // already scrubbed
}

func (e *DeliveryError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s: HTTP %d: %s", e.Notifier, e.StatusCode, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Notifier, e.Msg)
}

// Spec is everything needed to build a notifier from one `[[alert]]` block.
type Spec struct {
	config.Alert
	// Name overrides the default name (the type, numbered when repeated).
	Name string
	// Token is the APISecret of the keystore item named by Alert.Token:
	// the HMAC key (webhook), the full incoming-webhook URL (slack,
	// discord), the bot token (telegram) or the access token (ntfy).
	Token keystore.Secret
	// Client sends the requests; nil means a client with no redirects.
	Client *http.Client
	// Scrub cleans receiver error bodies before they reach a log.
	Scrub *Scrubber
}

// New builds the notifier described by spec. The type's rules on the block
// (alerttype) are applied first, as config applied them at load, so a Spec
// made without a config file gets the same defaults and refusals; then the
// type's builder checks what only the secrets can tell.
func New(spec Spec) (Notifier, error) {
	if spec.Name == "" {
		spec.Name = spec.Type
	}
	t, known := alerttype.Lookup(spec.Type)
	build := builders[spec.Type]
	if !known || build == nil {
		return nil, fmt.Errorf("alert %s: unknown type %q (want one of %s)", spec.Name, spec.Type, strings.Join(alerttype.Names(), ", "))
	}
	b := alerttype.Block{URL: spec.URL, ChatID: spec.ChatID, HasToken: !spec.Token.Empty()}
	if p := t.Check(&b); p != nil {
		return nil, fmt.Errorf("alert %s: %s", spec.Name, p.Msg)
	}
	spec.URL = b.URL
	if spec.Client == nil {
		spec.Client = &http.Client{CheckRedirect: noRedirect}
	}
	return build(spec, httpNotifier{name: spec.Name, client: spec.Client, scrub: NewScrubberWith(spec.Scrub, credentials(spec)...)})
}

// credentials are the secrets one notifier's errors must never show: its
// token, and each part of every URL it posts to (the config's url can carry
// a topic or a query token; Slack's and Discord's stored URL is the
// credential itself).
func credentials(spec Spec) []keystore.Secret {
	out := append([]keystore.Secret{spec.Token}, URLParts(spec.URL)...)
	if !spec.Token.Empty() && strings.Contains(spec.Token.Reveal(), "://") {
		out = append(out, URLParts(spec.Token.Reveal())...)
	}
	return out
}

// builders make each alerttype's notifier; each lives in its type's file.
var builders = map[string]func(Spec, httpNotifier) (Notifier, error){
	"webhook":  newWebhook,
	"slack":    newSlack,
	"discord":  newDiscord,
	"telegram": newTelegram,
	"ntfy":     newNtfy,
}

// endpoint validates the url of a notifier whose url is not secret.
func endpoint(spec Spec) (string, error) {
	u, err := url.Parse(spec.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("alert %s: `url` %q is not an http(s) URL", spec.Name, spec.URL)
	}
	return u.String(), nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// httpNotifier is the shared part of every notifier: one POST, with the
// response judged and the error cleaned of secrets.
type httpNotifier struct {
	name   string
	client *http.Client
	scrub  *Scrubber
}

// Name implements Notifier.
func (h httpNotifier) Name() string { return h.name }

// post sends body to u and turns anything but a 2xx into a *DeliveryError.
// u is never put into an error: for Slack, Discord and Telegram it holds
// the credential.
func (h httpNotifier) post(ctx context.Context, u, contentType string, body []byte, header http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, nil, &DeliveryError{Notifier: h.name, Permanent: true, Msg: "cannot build the request: check the notifier URL"}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "keywarden-watch")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, nil, &DeliveryError{Notifier: h.name, Msg: h.scrub.Scrub(transportMessage(err))}
	}
	defer resp.Body.Close()
	respBody := readBody(resp.Body)
	if resp.StatusCode/100 == 2 {
		return resp, respBody, nil
	}
	return resp, respBody, h.statusError(resp, respBody)
}

// statusError classifies a non-2xx answer.
func (h httpNotifier) statusError(resp *http.Response, body []byte) *DeliveryError {
	code := resp.StatusCode
	e := &DeliveryError{
		Notifier:   h.name,
		StatusCode: code,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Permanent:  code/100 == 4 && code != 408 && code != 425 && code != 429,
		Msg:        snippet(h.scrub.Scrub(string(body))),
	}
	if code/100 == 3 {
		e.Permanent = true
		e.Msg = "the receiver answered with a redirect, which is not followed: fix the URL"
	}
	if e.Msg == "" {
		e.Msg = http.StatusText(code)
	}
	return e
}

// transportMessage describes a failed round trip without the request URL
// (url.Error would print it, and for some notifiers it holds the token).
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer before the timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "no answer before the timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return fmt.Sprintf("%s: %v", oe.Op, oe.Err)
	}
	return err.Error()
}

// maxBody is how much of a receiver's answer is read.
const maxBody = 64 << 10

// readBody reads at most maxBody bytes of an answer. When the answer is
// longer, its last word is dropped: the cut may have split a secret, and a
// piece of one is something the Scrubber cannot recognise.
func readBody(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, maxBody+1))
	if len(b) <= maxBody {
		return b
	}
	b = b[:maxBody]
	if i := bytes.LastIndexAny(b, " \t\r\n"); i >= 0 {
		return b[:i]
	}
	return nil
}

// snippet is the start of a response body, on one line. It must be given
// scrubbed text: cutting first could leave a prefix of a secret that no
// longer matches it.
func snippet(s string) string {
	return clip(strings.Join(strings.Fields(s), " "), 200)
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// color is the status colour used by Slack and Discord.
func color(a Alert) int {
	if a.Kind == Resolved {
		return 0x2eb67d
	}
	switch a.New {
	case checks.OK:
		return 0x2eb67d
	case checks.Warn:
		return 0xecb22e
	case checks.Crit:
		return 0xe01e5a
	}
	return 0x868686
}
