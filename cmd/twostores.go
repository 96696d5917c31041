package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// copyElsewhere is the same API key stored in the other keystore backend.
type copyElsewhere struct {
	store   keystore.Store
	profile string
	item    keystore.Item
}

// findElsewhere looks for apiKey in the backend cur is not (the keyring
// when cur is the vault, the vault when cur is the keyring), so that a
// rotation cannot update one copy and leave the other working behind. The
// vault is only opened when its passphrase comes without asking (a
// passphrase file or a systemd credential); note says when it could not be
// looked at.
func findElsewhere(ctx context.Context, cfg *config.Config, cur keystore.Store, apiKey keystore.Secret) (c copyElsewhere, found bool, note string) {
	if apiKey.Empty() {
		return c, false, ""
	}
	var other keystore.Store
	switch cur.Backend() {
	case keystore.BackendFile:
		kctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		kr, err := keystore.Open(kctx, keystore.Options{Backend: keystore.BackendKeyring, Timeout: 3 * time.Second})
		if err != nil {
			return c, false, ""
		}
		if _, err := kr.List(kctx); err != nil {
			return c, false, "" // no Secret Service here: nothing can be stored in it
		}
		other = kr
	case keystore.BackendKeyring:
		if cfg.Vault == "" {
			return c, false, ""
		}
		if _, err := os.Stat(cfg.Vault); err != nil {
			return c, false, ""
		}
		cred := os.Getenv("CREDENTIALS_DIRECTORY")
		if cfg.PassphraseFile == "" && (cred == "" || !exists(filepath.Join(cred, "keywarden-passphrase"))) {
			return c, false, "a vault exists at " + cfg.Vault + " but its passphrase is not in a file: keywarden could not check whether it holds the same key"
		}
		fs, err := keystore.Open(ctx, keystore.Options{Backend: keystore.BackendFile, VaultPath: cfg.Vault, PassphraseFile: cfg.PassphraseFile})
		if err != nil {
			return c, false, "could not open the vault at " + cfg.Vault + " to check for the same key: " + err.Error()
		}
		other = fs
	default:
		return c, false, ""
	}
	entries, err := keystore.Secrets(ctx, other)
	if err != nil {
		return c, false, "could not read the " + other.Backend() + " keystore to check for the same key: " + err.Error()
	}
	for _, e := range entries {
		if e.APIKey.Equal(apiKey) {
			return copyElsewhere{store: other, profile: e.Profile, item: e.Item}, true, ""
		}
	}
	return c, false, ""
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// warnElsewhere tells the user that the key just stored is stored in the
// other backend too.
func warnElsewhere(ctx context.Context, app *App, cfg *config.Config, cur keystore.Store, apiKey keystore.Secret) {
	c, found, note := findElsewhere(ctx, cfg, cur, apiKey)
	switch {
	case found:
		fmt.Fprintf(app.Stderr, "warning: key %s is also stored in the %s keystore (as %s): keep one copy, e.g. 'keywarden --keystore %s remove %s --yes'; 'keywarden rotate' updates both while both hold it\n",
			keystore.Fingerprint(apiKey), c.store.Backend(), c.profile, c.store.Backend(), c.profile)
	case note != "":
		fmt.Fprintln(app.Stderr, "note: "+note)
	}
}

// rotateElsewhere gives the other backend's copy of the old key the same
// rotation: the new key in its place, the old one retired.
func rotateElsewhere(ctx context.Context, app *App, cfg *config.Config, cur keystore.Store, old, next keystore.Item) error {
	c, found, note := findElsewhere(ctx, cfg, cur, old.APIKey)
	if note != "" {
		fmt.Fprintln(app.Stderr, "note: "+note)
	}
	if !found {
		return nil
	}
	if err := c.store.Set(ctx, c.profile, c.item.Replace(next, time.Now())); err != nil {
		return errors.Join(fmt.Errorf("the old key %s is also stored in the %s keystore (as %s) and could not be replaced there: remove it with 'keywarden --keystore %s remove %s --yes'",
			keystore.Fingerprint(old.APIKey), c.store.Backend(), c.profile, c.store.Backend(), c.profile), err)
	}
	fmt.Fprintf(app.Stdout, "also rotated in the %s keystore (as %s), where the old key was stored too\n", c.store.Backend(), c.profile)
	return nil
}
