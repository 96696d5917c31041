package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/keystore"
)

func newLockCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "Forget the unlocked vault now: the next command pays the key derivation again",
		Long: `A command that opened the age vault leaves its file key in the kernel's user
keyring for ` + keystore.DefaultUnlockTTL.String() + ` (` + keystore.UnlockTTLEnv + `, a Go duration; 0 turns
it off), so the next commands skip the passphrase's key derivation. lock
drops it at once. docs/hardening.md has the threat model.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			if err := keystore.Lock(cfg.Vault); err != nil {
				return fmt.Errorf("dropping the cached vault key: %w", err)
			}
			fmt.Fprintf(app.Stdout, "vault %s locked: the next command asks for its passphrase again\n", cfg.Vault)
			return nil
		},
	}
}
