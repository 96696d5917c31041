package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/keystore"
)

// Ntfy publishes the alert to an ntfy topic with ntfy's JSON publishing
// (https://docs.ntfy.sh/publish/#publish-as-json): the config `url` is the
// topic URL (https://ntfy.sh/my-topic); the message is POSTed to the
// server's root with the topic in the body. An access token, when stored,
// is sent as "Authorization: Bearer".
type Ntfy struct {
	httpNotifier
	url   string // topic URL
	token keystore.Secret
}

func newNtfy(spec Spec, base httpNotifier) (Notifier, error) {
	u, err := endpoint(spec)
	if err != nil {
		return nil, err
	}
	return &Ntfy{httpNotifier: base, url: u, token: spec.Token}, nil
}

// ntfyMessageMax is ntfy's default message-size-limit in bytes; a server
// turns a longer message into an attachment.txt the phone does not show,
// so the held alerts of a Suppressed one are cut to fit.
const ntfyMessageMax = 4096

// ntfyMessage is ntfy's JSON publishing body.
type ntfyMessage struct {
	Topic    string   `json:"topic"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	Priority int      `json:"priority"`
	Tags     []string `json:"tags"`
}

// split turns the topic URL into the server root and the topic name.
func (n *Ntfy) split() (root, topic string, err error) {
	u, err := url.Parse(n.url)
	if err != nil {
		return "", "", err
	}
	p := strings.Trim(u.Path, "/")
	i := strings.LastIndex(p, "/")
	topic = p[i+1:]
	if topic == "" {
		return "", "", fmt.Errorf("no topic in the URL: use https://ntfy.example/TOPIC")
	}
	u.Path = "/" + p[:i+1]
	u.RawPath = ""
	return u.String(), topic, nil
}

// ntfyPriority maps a status to ntfy's 1–5 priority.
func ntfyPriority(a Alert) int {
	if a.Kind == Resolved {
		return 3
	}
	switch a.New {
	case checks.Crit:
		return 5
	case checks.Warn, checks.Unknown:
		return 4
	}
	return 3
}

// ntfyTags are emoji short codes ntfy shows before the title.
func ntfyTags(a Alert) []string {
	if a.Kind == Resolved || a.New == checks.OK {
		return []string{"white_check_mark", "keywarden"}
	}
	switch a.New {
	case checks.Crit:
		return []string{"rotating_light", "keywarden"}
	case checks.Warn:
		return []string{"warning", "keywarden"}
	}
	return []string{"grey_question", "keywarden"}
}

// Send implements Notifier.
func (n *Ntfy) Send(ctx context.Context, a Alert) error {
	root, topic, err := n.split()
	if err != nil {
		return &DeliveryError{Notifier: n.name, Permanent: true, Msg: err.Error()}
	}
	b, err := json.Marshal(ntfyMessage{
		Topic: topic, Title: a.Subject(), Message: strings.Join(a.linesWithin(ntfyMessageMax, func(s string) int { return len(s) }), "\n"),
		Priority: ntfyPriority(a), Tags: ntfyTags(a),
	})
	if err != nil {
		return &DeliveryError{Notifier: n.name, Permanent: true, Msg: "cannot encode the alert: " + err.Error()}
	}
	h := http.Header{}
	if !n.token.Empty() {
		h.Set("Authorization", "Bearer "+n.token.Reveal())
	}
	_, _, err = n.post(ctx, root, "application/json", b, h)
	return err
}
