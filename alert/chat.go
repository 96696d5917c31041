package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Slack posts to a Slack incoming webhook
// (https://api.slack.com/messaging/webhooks): a fallback "text" plus a
// coloured attachment holding one mrkdwn section. The webhook URL is the
// credential, so it comes from the keystore.
type Slack struct {
	httpNotifier
	url string
}

func newSlack(spec Spec, base httpNotifier) (Notifier, error) {
	u, err := webhookURL(spec)
	if err != nil {
		return nil, err
	}
	return &Slack{httpNotifier: base, url: u}, nil
}

// webhookURL is Slack's or Discord's webhook URL: the stored token, or the
// config's url when no token is given. It is the credential, so an error
// never echoes it.
func webhookURL(spec Spec) (string, error) {
	raw := spec.URL
	if !spec.Token.Empty() {
		raw = spec.Token.Reveal()
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("alert %s: the webhook URL is not an http(s) URL: check the stored value", spec.Name)
	}
	return u.String(), nil
}

// slackMessage is the incoming-webhook body.
type slackMessage struct {
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color  string       `json:"color"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackSectionMax is the most characters a section block's text may have
// (https://api.slack.com/reference/block-kit/blocks#section).
const slackSectionMax = 3000

// slackEscape escapes the three characters Slack's mrkdwn treats as markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Send implements Notifier.
func (s *Slack) Send(ctx context.Context, a Alert) error {
	head := "*" + slackEscape.Replace(a.Subject()) + "*\n"
	escaped := func(s string) int { return utf8.RuneCountInString(slackEscape.Replace(s)) }
	lines := a.linesWithin(max(slackSectionMax-utf8.RuneCountInString(head), 1), escaped)
	body := head + slackEscape.Replace(strings.Join(lines, "\n"))
	msg := slackMessage{
		Text: slackEscape.Replace(a.Subject()),
		Attachments: []slackAttachment{{
			Color:  fmt.Sprintf("#%06x", color(a)),
			Blocks: []slackBlock{{Type: "section", Text: &slackText{Type: "mrkdwn", Text: clip(body, slackSectionMax)}}},
		}},
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return &DeliveryError{Notifier: s.name, Permanent: true, Msg: "cannot encode the alert: " + err.Error()}
	}
	_, _, err = s.post(ctx, s.url, "application/json", b, nil)
	return err
}

// Discord posts to a Discord webhook
// (https://discord.com/developers/docs/resources/webhook#execute-webhook)
// one embed with the status colour. Mentions are disabled so an alert can
// never ping @everyone. The webhook URL is the credential.
type Discord struct {
	httpNotifier
	url string
}

func newDiscord(spec Spec, base httpNotifier) (Notifier, error) {
	u, err := webhookURL(spec)
	if err != nil {
		return nil, err
	}
	return &Discord{httpNotifier: base, url: u}, nil
}

// discordDescriptionMax is the most characters an embed's description may
// have (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
const discordDescriptionMax = 4096

type discordMessage struct {
	Username        string          `json:"username"`
	Content         string          `json:"content"`
	Embeds          []discordEmbed  `json:"embeds"`
	AllowedMentions discordMentions `json:"allowed_mentions"`
}

type discordMentions struct {
	Parse []string `json:"parse"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Color       int            `json:"color"`
	Timestamp   string         `json:"timestamp"`
	Fields      []discordField `json:"fields,omitempty"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// Send implements Notifier.
func (d *Discord) Send(ctx context.Context, a Alert) error {
	e := discordEmbed{
		Title:       clip(a.Subject(), 256),
		Description: clip(strings.Join(a.linesWithin(discordDescriptionMax, nil), "\n"), discordDescriptionMax),
		Color:       color(a),
		Timestamp:   a.At.UTC().Format(time.RFC3339),
	}
	for _, f := range [][2]string{{"host", a.Host}, {"profile", a.Profile}, {"check", a.Check}} {
		if f[1] != "" {
			e.Fields = append(e.Fields, discordField{Name: f[0], Value: clip(f[1], 1024), Inline: true})
		}
	}
	msg := discordMessage{
		Username:        "keywarden",
		Content:         clip(a.Subject(), 2000),
		Embeds:          []discordEmbed{e},
		AllowedMentions: discordMentions{Parse: []string{}},
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return &DeliveryError{Notifier: d.name, Permanent: true, Msg: "cannot encode the alert: " + err.Error()}
	}
	_, body, err := d.post(ctx, d.url, "application/json", b, nil)
	if de, ok := err.(*DeliveryError); ok && de.StatusCode == 429 && de.RetryAfter == 0 {
		// Discord also says how long to wait in the body, in seconds.
		var rl struct {
			RetryAfter float64 `json:"retry_after"`
		}
		if json.Unmarshal(body, &rl) == nil && rl.RetryAfter > 0 {
			de.RetryAfter = time.Duration(rl.RetryAfter * float64(time.Second))
		}
	}
	return err
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
