package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/keywarden/keywarden/keystore"
)

// Telegram sends the alert as a plain-text message with the Bot API's
// sendMessage (https://core.telegram.org/bots/api#sendmessage). The bot
// token is part of the request path, so it comes from the keystore and
// never appears in an error.
type Telegram struct {
	httpNotifier
	api    string // API base, e.g. https://api.telegram.org
	token  keystore.Secret
	chatID string
}

func newTelegram(spec Spec, base httpNotifier) (Notifier, error) {
	if spec.Token.Empty() {
		return nil, fmt.Errorf("alert %s: telegram needs a bot token: store it as the api_secret of a keystore item and name that item in `token`", spec.Name)
	}
	u, err := endpoint(spec)
	if err != nil {
		return nil, err
	}
	return &Telegram{httpNotifier: base, api: strings.TrimRight(u, "/"), token: spec.Token, chatID: spec.ChatID}, nil
}

// telegramTextMax is the most characters sendMessage takes. Telegram counts
// UTF-16 code units (as its entity offsets do); held alerts are cut by that
// count, which is never less than the count of runes clip cuts by.
const telegramTextMax = 4096

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

type telegramMessage struct {
	ChatID             any              `json:"chat_id"` // integer id or "@channel"
	Text               string           `json:"text"`
	LinkPreviewOptions telegramPreviews `json:"link_preview_options"`
}

type telegramPreviews struct {
	IsDisabled bool `json:"is_disabled"`
}

// telegramReply is the Bot API's answer envelope.
type telegramReply struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Send implements Notifier.
func (t *Telegram) Send(ctx context.Context, a Alert) error {
	text := clip(a.textWithin(telegramTextMax, utf16Len), telegramTextMax)
	msg := telegramMessage{ChatID: t.chatID, Text: text, LinkPreviewOptions: telegramPreviews{IsDisabled: true}}
	if id, err := strconv.ParseInt(t.chatID, 10, 64); err == nil {
		msg.ChatID = id
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return &DeliveryError{Notifier: t.name, Permanent: true, Msg: "cannot encode the alert: " + err.Error()}
	}
	_, body, err := t.post(ctx, t.api+"/bot"+t.token.Reveal()+"/sendMessage", "application/json", b, nil)
	var reply telegramReply
	decoded := json.Unmarshal(body, &reply) == nil
	if de, ok := err.(*DeliveryError); ok {
		if decoded && reply.Description != "" {
			de.Msg = snippet(t.scrub.Scrub(reply.Description))
		}
		if de.RetryAfter == 0 && reply.Parameters.RetryAfter > 0 {
			de.RetryAfter = time.Duration(reply.Parameters.RetryAfter) * time.Second
		}
		return de
	}
	if err != nil {
		return err
	}
	if !decoded || !reply.OK {
		return &DeliveryError{Notifier: t.name, Msg: "the Bot API did not confirm the message: " + snippet(t.scrub.Scrub(string(body)))}
	}
	return nil
}
