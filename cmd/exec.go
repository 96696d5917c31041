package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// Gate runs the pre-launch checks for profile p before `exec` starts the
// bot: nil lets it start, an error (an *ExitError with code 2 to refuse)
// stops it.
type Gate func(ctx context.Context, cfg *config.Config, p config.Profile, o GateOptions) error

// GateOptions are exec's flags the gate reads.
type GateOptions struct {
	Force  bool // --force: start whatever the checks found
	Strict bool // --strict: refuse while any check is unknown
}

type execOptions struct {
	noCheck bool
	gate    GateOptions
}

// newExecCmd builds `exec` around gate. The gate is what stands between a
// bad or exposed key and a live bot, so exec cannot be built without one: a
// nil gate panics when the command tree is built rather than letting every
// bot start unchecked. Only --no-check skips it, at the user's request.
func newExecCmd(app *App, gate Gate) *cobra.Command {
	if gate == nil {
		panic("cmd: exec built without a pre-launch gate")
	}
	var o execOptions
	c := &cobra.Command{
		Use:   "exec NAME [--no-check] [--strict] [--force] -- CMD [ARGS...]",
		Short: "Run a bot with a profile's key in its environment",
		Long: `Run the pre-launch checks for profile NAME, then replace keywarden with
CMD, its environment holding the key as EXCHANGE_API_KEY, EXCHANGE_API_SECRET
and (OKX, KuCoin) EXCHANGE_API_PASSPHRASE — or the names set in the
profile's env table. The key never appears in arguments or output.

The checks get 10 s (an exchange that never answers costs that long). The
bot is refused on a critical finding, and when the key's permissions could
not be verified (key.permissions unknown). An NTP offset is only a warning
while the exchange's own clock agrees with this host within its window.
--strict (or gate.unknown = "refuse" in the config) also refuses while any
check is unknown. --force starts the bot whatever was found, and says so.

Exit status: CMD's own, or 2 when keywarden refused or failed to start it
(64 for an unknown profile and 3 for a config that does not load, as from
every command).`,
		Example: `  keywarden exec binance-main -- python3 bot.py --live`,
		Args: func(c *cobra.Command, args []string) error {
			if c.ArgsLenAtDash() != 1 || len(args) < 2 {
				return usageError("usage: keywarden exec NAME -- CMD [ARGS...]")
			}
			return nil
		},
		ValidArgsFunction: completeProfiles(app),
		RunE: func(c *cobra.Command, args []string) error {
			return withCode(ExitCrit, runExec(c.Context(), app, gate, o, args[0], args[1:]))
		},
	}
	c.Flags().BoolVar(&o.noCheck, "no-check", false, "start without running the checks")
	c.Flags().BoolVar(&o.gate.Force, "force", false, "start even when the checks refuse")
	c.Flags().BoolVar(&o.gate.Strict, "strict", false, "refuse while any check is unknown")
	return c
}

func runExec(ctx context.Context, app *App, gate Gate, o execOptions, name string, argv []string) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	p, ok := cfg.Profile(name)
	if !ok {
		return usageError("no profile %q in %s: create it with 'keywarden import' or 'keywarden add'", name, app.ConfigFile())
	}
	if !o.noCheck {
		if err := gate(ctx, cfg, p, o.gate); err != nil {
			return err
		}
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	it, err := store.Get(ctx, p.Name)
	if errors.Is(err, keystore.ErrNotFound) {
		return fmt.Errorf("no stored key for profile %s in the %s keystore: store one with 'keywarden import %s --exchange %s FILE'", p.Name, store.Backend(), p.Name, p.Exchange)
	}
	if err != nil {
		return err
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("cannot start %s: %w", argv[0], err)
	}
	return execProcess(path, argv, childEnv(os.Environ(), p.Env, it))
}

// childEnv is env without any previous values of the profile's variables,
// plus the key, secret and (when stored) passphrase under those names.
func childEnv(env []string, names config.Env, it keystore.Item) []string {
	set := []struct {
		name string
		v    keystore.Secret
	}{{names.Key, it.APIKey}, {names.Secret, it.APISecret}, {names.Passphrase, it.Passphrase}}
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, s := range set {
			if k == s.name {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	for _, s := range set {
		if s.name != "" && !s.v.Empty() {
			out = append(out, s.name+"="+s.v.Reveal())
		}
	}
	return out
}
