package alert

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/keywarden/keywarden/alert/alerttype"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// Token reads a notifier's token: the APISecret of the keystore item name.
// The error names the item (never its value) and says how to store it.
func Token(ctx context.Context, store keystore.Store, name string) (keystore.Secret, error) {
	if store == nil {
		return keystore.Secret{}, fmt.Errorf("notifier token %q: no keystore is open: check --keystore", name)
	}
	it, err := store.Get(ctx, name)
	if errors.Is(err, keystore.ErrNotFound) {
		return keystore.Secret{}, fmt.Errorf("notifier token %q is not in the keystore: store it as the api_secret of an item named %q (see docs/watch.md): %w", name, name, err)
	}
	if err != nil {
		return keystore.Secret{}, fmt.Errorf("notifier token %q: %w", name, err)
	}
	if it.APISecret.Empty() {
		return keystore.Secret{}, fmt.Errorf("notifier token %q: the keystore item has an empty api_secret: store the token there", name)
	}
	return it.APISecret, nil
}

// Targets builds the notifiers of the config's `[[alert]]` blocks, reading
// their tokens from store. Names are alerttype.NotifierNames; a block
// another names as its `fallback` gets only what that one could not
// deliver. The returned secrets are the tokens (and each part of a token
// that is a URL), for the caller's Scrubber.
func Targets(ctx context.Context, alerts []config.Alert, store keystore.Store, client *http.Client, scrub *Scrubber) ([]Target, []keystore.Secret, error) {
	set := config.NamedAlerts(alerts)
	if i, p := alerttype.CheckSet(set); p != nil {
		return nil, nil, fmt.Errorf("alert #%d: %s", i+1, p.Msg)
	}
	names := alerttype.NotifierNames(set)
	only := alerttype.FallbackOnly(set)
	var out []Target
	var tokens []keystore.Secret
	for i, a := range alerts {
		name := names[i]
		min := checks.Warn
		if a.MinStatus != "" {
			s, err := checks.ParseStatus(a.MinStatus)
			if err != nil {
				return nil, nil, fmt.Errorf("alert %s: min_status: %w", name, err)
			}
			min = s
		}
		var tok keystore.Secret
		if a.Token != "" {
			t, err := Token(ctx, store, a.Token)
			if err != nil {
				return nil, nil, fmt.Errorf("alert %s: %w", name, err)
			}
			tok = t
			tokens = append(tokens, t)
			if strings.Contains(t.Reveal(), "://") {
				tokens = append(tokens, URLParts(t.Reveal())...)
			}
		}
		n, err := New(Spec{Alert: a, Name: name, Token: tok, Client: client, Scrub: scrub})
		if err != nil {
			return nil, nil, err
		}
		after := a.FallbackAfter
		if after <= 0 {
			after = config.DefaultFallbackAfter
		}
		out = append(out, Target{Notifier: n, MinStatus: min, Fallback: a.Fallback, FallbackAfter: after, FallbackOnly: only[i]})
	}
	return out, tokens, nil
}
