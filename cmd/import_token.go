package cmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// runImportToken stores a notifier token (a webhook signing key, a Telegram
// bot token, a Slack or Discord webhook URL, an ntfy access token) as the
// api_secret of a keystore item NAME, with no profile: `[[alert]] token =
// "NAME"` refers to it. The value comes from the dotenv's only variable, or
// from --secret-var.
func runImportToken(ctx context.Context, app *App, o importOptions, name, src string) error {
	if o.exchange != "" || o.baseURL != "" || o.vars.key != "" || o.vars.passphrase != "" {
		return usageError("--token stores one value: it takes no --exchange, --base-url, --key-var or --passphrase-var")
	}
	if err := config.CheckProfileName(name); err != nil { // same rules as a profile: it shares the keystore
		return usageError("%w", err)
	}
	if err := checkDotenvSource(app, src, o.shred, fmt.Sprintf(`printf 'TOKEN=%%s\n' "$TOKEN" | keywarden import %s --token -`, name)); err != nil {
		return err
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	if _, ok := cfg.Profile(name); ok {
		return usageError("%q is a profile in %s: give the token a name of its own", name, app.ConfigFile())
	}
	label, text, err := readDotenv(ctx, app, src)
	if err != nil {
		return err
	}
	env, err := parseDotenv(label, text)
	if err != nil {
		return err
	}
	v := o.vars.secret
	if v == "" {
		names := env.names
		if len(names) != 1 {
			return usageError("%s has %d variables (%v): name the token's with --secret-var", label, len(names), names)
		}
		v = names[0]
	}
	val, ok := env.vals[v]
	if !ok || val == "" {
		return usageError("%s has no value for %s", label, v)
	}
	if err := env.checkValues(label, v); err != nil {
		return err
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := store.Get(ctx, name); err == nil {
		return usageError("the %s keystore already holds an item named %s: remove it with 'keywarden remove %s --yes' first", store.Backend(), name, name)
	} else if !errors.Is(err, keystore.ErrNotFound) {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	item := keystore.Item{APISecret: keystore.NewSecret(val), CreatedAt: now, StoredAt: now}
	if err := store.Set(ctx, name, item); err != nil {
		return fmt.Errorf("storing the token: %w", err)
	}
	fmt.Fprintf(app.Stdout, "stored notifier token %s (from %s) in keystore %s\n", name, v, store.Backend())
	fmt.Fprintf(app.Stdout, "use it in an [[alert]] block: token = %q\n", name)
	if o.shred {
		res, err := verifyAndShred(ctx, store, name, item, src, env, text, v)
		if err != nil {
			return err
		}
		reportShred(app, src, res, v)
	}
	return nil
}
