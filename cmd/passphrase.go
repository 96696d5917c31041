package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/keystore"
)

type passphraseOptions struct {
	newFile  string
	generate bool
}

func newPassphraseCmd(app *App) *cobra.Command {
	var o passphraseOptions
	c := &cobra.Command{
		Use:   "passphrase [--new-file FILE | --generate]",
		Short: "Re-encrypt the age vault under a new passphrase",
		Long: `Re-encrypt the file keystore's age vault under a new passphrase. The current
passphrase (passphrase_file, the systemd credential, or the prompt) must
open the vault first. The new one is read from --new-file (its first line;
the file must be 0600 and yours), generated with --generate (shown once on
the terminal), or typed twice at the prompt (Enter generates one); it must
have at least 12 characters and an estimated 50 bits.

The new vault is written to a temp file beside the old one and renamed over
it under the vault's lock: killed at any point, keywarden leaves the old
vault under the old passphrase, or the new one. Then put the new
passphrase where keywarden reads it (passphrase_file, or re-encrypt the
systemd credential): the old one no longer opens the vault.

Exit codes: 0 re-encrypted, 3 an error (nothing changed), 64 a usage error.`,
		Example: `  keywarden passphrase
  keywarden passphrase --new-file /root/new-pass
  keywarden passphrase --generate`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageError("usage: keywarden passphrase [--new-file FILE | --generate]")
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return runPassphrase(c.Context(), app, o) },
	}
	c.Flags().StringVar(&o.newFile, "new-file", "", "read the new passphrase from the first line of FILE (0600)")
	c.Flags().BoolVar(&o.generate, "generate", false, "generate the new passphrase and show it once on the terminal")
	return c
}

func runPassphrase(ctx context.Context, app *App, o passphraseOptions) error {
	if o.newFile != "" && o.generate {
		return usageError("--new-file and --generate: choose one")
	}
	if o.generate && !isTerminal(app.Stderr) {
		return usageError("--generate shows the new passphrase once, on the terminal, and stderr is not one: use --new-file")
	}
	if o.newFile == "" && !o.generate && !(app.stdinIsTerminal() && isTerminal(app.Stderr)) {
		return usageError("no terminal to type the new passphrase at: use --new-file FILE")
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	path := keystore.VaultPath(store)
	if path == "" {
		return usageError("the %s keystore has no keywarden passphrase: only the file keystore (--keystore file) does", store.Backend())
	}
	// The old passphrase first: nothing new is asked for a vault it does
	// not open.
	if _, err := store.List(ctx); err != nil {
		return err
	}
	newPass, err := newVaultPassphrase(ctx, app, o)
	if err != nil {
		return err
	}
	if err := keystore.ChangePassphrase(ctx, store, newPass); err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "vault %s re-encrypted under the new passphrase\n", path)
	switch {
	case cfg.PassphraseFile != "":
		fmt.Fprintf(app.Stderr, "now put the new passphrase in passphrase_file %s: the old one no longer opens the vault\n", cfg.PassphraseFile)
	default:
		fmt.Fprintf(app.Stderr, "a service reading it as a systemd credential needs it again: systemd-creds encrypt --name=%s NEWFILE /etc/credstore.encrypted/%s\n", keystore.CredentialName, keystore.CredentialName)
	}
	return nil
}

// newVaultPassphrase reads, generates or asks for the new passphrase.
func newVaultPassphrase(ctx context.Context, app *App, o passphraseOptions) (keystore.Secret, error) {
	if o.newFile != "" {
		p, err := keystore.ReadPassphraseFile(o.newFile)
		if err != nil {
			return keystore.Secret{}, err
		}
		return p, keystore.CheckNewPassphrase(p)
	}
	if !o.generate {
		p, err := app.promptSecret(ctx, "new passphrase (Enter to generate one): ")
		if err != nil {
			return keystore.Secret{}, err
		}
		if !p.Empty() {
			if err := keystore.CheckNewPassphrase(p); err != nil {
				return keystore.Secret{}, err
			}
			again, err := app.promptSecret(ctx, "repeat it: ")
			if err != nil {
				return keystore.Secret{}, err
			}
			if !again.Equal(p) {
				return keystore.Secret{}, fmt.Errorf("the two passphrases differ: nothing was changed, try again")
			}
			return p, nil
		}
	}
	g, err := keystore.GeneratePassphrase()
	if err != nil {
		return keystore.Secret{}, err
	}
	// Shown on the terminal only, once; typed back when there is a
	// keyboard, so the vault is never locked under a phrase nobody kept.
	fmt.Fprintf(app.Stderr, "new passphrase, shown this once:\n\n    %s\n\nwrite it down\n", g.Reveal())
	if app.stdinIsTerminal() {
		again, err := app.promptSecret(ctx, "type it back: ")
		if err != nil {
			return keystore.Secret{}, err
		}
		if !again.Equal(g) {
			return keystore.Secret{}, fmt.Errorf("that is not the generated passphrase: nothing was changed, try again")
		}
	}
	return g, nil
}
