package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

type importOptions struct {
	exchange string
	baseURL  string
	vars     varChoice
	shred    bool
	token    bool // store a notifier token, not an exchange key
	offline  bool // do not validate the key live
	created  string
	// acceptRisk stores a key with withdrawals or without an IP
	// restriction, as the wizard's second screen does.
	acceptRisk bool
}

// maxDotenv bounds what import reads: a dotenv file is small.
const maxDotenv = 1 << 20

func newImportCmd(app *App) *cobra.Command {
	var o importOptions
	c := &cobra.Command{
		Use:   "import NAME --exchange EX [--key-var V] [--secret-var V] [--passphrase-var V] [--shred] [FILE|-]",
		Short: "Store a key from a dotenv file (or stdin) and create its profile",
		Long: `Read a dotenv file (or stdin when FILE is - or missing), store its API key,
secret and passphrase in the keystore as profile NAME, and add the profile to
the config file. Without --key-var/--secret-var, the one *_KEY and the one
*SECRET* variable are used (the exchange's name breaks ties); keywarden says
which it used. --shred, only after the stored copy has been read back and
matches, removes the imported variables from FILE (its other lines are kept
byte for byte; a file left empty is removed) and overwrites the old content
with zeros; it refuses a symlink or a file with several hard links. A value
holding a NUL or another control character (a PEM key's newlines excepted)
is refused before anything is stored.

With --token, NAME is a notifier token for ` + "`watch`" + ` (an [[alert]] block's
token = "NAME"): the dotenv's only variable (or --secret-var) is stored and no
profile is added.

Unless --offline, the key is validated live as 'keywarden add' validates it:
a key the exchange rejects, that lacks what the profile needs, or that has
withdrawals enabled or no IP restriction (without --accept-risk) is refused
and nothing is stored; an exchange out of reach is a warning. The creation
date and expiry come from the exchange when it reports them, else from
--created. A new profile's project is the git top level of FILE's directory
(or the directory): import warns when git tracks FILE or would commit it, and
prints the profile's hygiene checks before it returns.

Exit codes: 0 stored (whatever the hygiene checks found: they are printed),
2 the key refused, 3 an error, 64 a usage error.`,
		Example: `  keywarden import binance-main --exchange binance ~/mybot/.env
  keywarden import okx-arb --exchange okx --shred ./okx.env
  pass show okx | keywarden import okx-arb --exchange okx -
  keywarden import alert-hook --token --shred ./hook.env`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError("usage: keywarden import NAME --exchange EX [FILE|-]")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			src := "-"
			if len(args) == 2 {
				src = args[1]
			}
			if o.token {
				return runImportToken(c.Context(), app, o, args[0], src)
			}
			return runImport(c.Context(), app, o, args[0], src)
		},
	}
	f := c.Flags()
	f.StringVar(&o.exchange, "exchange", "", "exchange: "+strings.Join(config.Exchanges, ", "))
	f.StringVar(&o.baseURL, "base-url", "", "API base URL override (testnet, regional host, local fake)")
	f.StringVar(&o.vars.key, "key-var", "", "dotenv variable holding the API key")
	f.StringVar(&o.vars.secret, "secret-var", "", "dotenv variable holding the API secret")
	f.StringVar(&o.vars.passphrase, "passphrase-var", "", "dotenv variable holding the API passphrase (OKX, KuCoin)")
	f.BoolVar(&o.shred, "shred", false, "remove the imported variables from FILE (deleting it if nothing else is left) once the stored copy is verified")
	f.BoolVar(&o.offline, "offline", false, "do not validate the key with the exchange")
	f.StringVar(&o.created, "created", "", "the key's creation date, YYYY-MM-DD, when the exchange does not report it")
	f.BoolVar(&o.acceptRisk, "accept-risk", false, "store a key with withdrawals enabled or without an IP restriction")
	f.BoolVar(&o.token, "token", false, "store a notifier token for `watch` (the dotenv's only variable, or --secret-var) instead of an exchange key; no profile is added")
	_ = c.RegisterFlagCompletionFunc("exchange", cobra.FixedCompletions(config.Exchanges, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runImport(ctx context.Context, app *App, o importOptions, name, src string) error {
	if err := config.CheckProfileName(name); err != nil {
		return usageError("%w", err)
	}
	if o.exchange == "" {
		return usageError("--exchange is required: one of %s", strings.Join(config.Exchanges, ", "))
	}
	if err := config.CheckExchange(o.exchange); err != nil {
		return usageError("%w", err)
	}
	fromStdin := src == "-"
	createdFlag, err := parseCreated(o.created, time.Now())
	if err != nil {
		return err
	}
	if err := checkDotenvSource(app, src, o.shred, fmt.Sprintf("keywarden import %s --exchange %s - < .env", name, o.exchange)); err != nil {
		return err
	}
	cfg, err := app.LoadConfig()
	if _, serr := os.Stat(app.ConfigFile()); err != nil && errors.Is(serr, fs.ErrNotExist) {
		cfg, err = config.Default(), nil // an explicit --config that import will create
	}
	if err != nil {
		return err
	}
	existing, inConfig := cfg.Profile(name)
	if inConfig && existing.Exchange != o.exchange {
		return usageError("profile %q already exists in %s for exchange %s: pick another name", name, app.ConfigFile(), existing.Exchange)
	}
	if inConfig && o.baseURL != "" && o.baseURL != existing.BaseURL {
		return usageError("profile %q already exists in %s: edit its base_url there instead of passing --base-url", name, app.ConfigFile())
	}

	label, text, err := readDotenv(ctx, app, src)
	if err != nil {
		return err
	}
	env, err := parseDotenv(label, text)
	if err != nil {
		return err
	}
	vars, err := chooseVars(env, label, o.exchange, o.vars, config.NeedsPassphrase(o.exchange))
	if err != nil {
		return err
	}
	if err := env.checkValues(label, vars.key, vars.secret, vars.passphrase); err != nil {
		return err
	}
	if vars.guessed {
		used := vars.key + " and " + vars.secret
		if vars.passphrase != "" {
			used = vars.key + ", " + vars.secret + " and " + vars.passphrase
		}
		note := ""
		if vars.framework != "" {
			note = " (" + vars.framework + "'s names; exec hands them to the bot under the same names)"
		}
		fmt.Fprintf(app.Stderr, "using %s from %s%s\n", used, label, note)
	}
	for _, w := range warnOtherSecrets(vars) {
		fmt.Fprintln(app.Stderr, w)
	}
	if vars.others != "" {
		fmt.Fprintf(app.Stderr, "not imported, not an exchange key: %s\n", vars.others)
	}
	now := time.Now().UTC().Truncate(time.Second)
	item := keystore.Item{
		APIKey:     keystore.NewSecret(env.vals[vars.key]),
		APISecret:  keystore.NewSecret(env.vals[vars.secret]),
		Passphrase: keystore.NewSecret(env.vals[vars.passphrase]),
		CreatedAt:  now,
		StoredAt:   now,
	}

	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	prof := config.Profile{Name: name, Exchange: o.exchange, BaseURL: o.baseURL, Env: vars.env}
	if inConfig {
		prof = existing
	}
	if !fromStdin && prof.Project == "" {
		dir, why := botProject(ctx, src)
		switch {
		case why != "":
			fmt.Fprintf(app.Stderr, "note: no project set for %s (%s): set project in its block so check and exec run its hygiene checks\n", name, why)
		case inConfig:
			fmt.Fprintf(app.Stderr, "note: profile %s has no project: set project = %s in its block so check and exec run its hygiene checks\n", name, config.TOMLString(dir))
		default:
			prof.Project = dir
		}
		if dir != "" {
			warnDotenvGit(ctx, app, dir, src, prof)
		}
	}
	if _, err := store.Get(ctx, name); err == nil {
		if inConfig {
			return usageError("profile %q already exists with a stored key: use 'keywarden rotate %s' for a new key, or 'keywarden remove %s' first", name, name, name)
		}
		return fmt.Errorf("the %s keystore already holds a key named %s (without a profile): remove it with 'keywarden remove %s --yes' first", store.Backend(), name, name)
	} else if !errors.Is(err, keystore.ErrNotFound) {
		return err
	}
	accepted, err := validateImport(ctx, app, cfg, prof, &item, createdFlag, o)
	if err != nil {
		return err
	}
	if err := store.Set(ctx, name, item); err != nil {
		return fmt.Errorf("storing the key: %w", err)
	}
	if !inConfig {
		if err := config.AppendProfile(app.ConfigFile(), prof); err != nil {
			if derr := store.Delete(ctx, name); derr != nil {
				return fmt.Errorf("adding the profile: %w (and the stored key could not be removed again: %v)", err, derr)
			}
			return fmt.Errorf("adding the profile (the key was not kept): %w", err)
		}
	}
	where := store.Backend()
	if p := keystore.VaultPath(store); p != "" {
		where += " " + p
	}
	fmt.Fprintf(app.Stdout, "stored %s (%s, key %s) in keystore %s\n", name, o.exchange, keystore.Fingerprint(item.APIKey), where)
	warnElsewhere(ctx, app, cfg, store, item.APIKey)
	if inConfig {
		// A profile written by hand that had no key yet: kept as written.
		fmt.Fprintf(app.Stdout, "profile %s in %s now has its key\n", name, app.ConfigFile())
		if vars.env.Key != "" && existing.Env.Key != vars.env.Key {
			fmt.Fprintf(app.Stderr, "note: %s reads %s, but the profile hands the key as %s: set env = { key = %q, secret = %q } in its block\n", vars.framework, vars.env.Key, existing.Env.Key, vars.env.Key, vars.env.Secret)
		}
	} else {
		fmt.Fprintf(app.Stdout, "profile added to %s\n", app.ConfigFile())
	}

	if o.shred {
		res, err := verifyAndShred(ctx, store, name, item, src, env, text, vars.key, vars.secret, vars.passphrase)
		if err != nil {
			return err
		}
		reportShred(app, src, res, vars.key, vars.secret, vars.passphrase)
	} else if !fromStdin {
		fmt.Fprintf(app.Stderr, "the key is still in %s: delete it, or import with --shred next time\n", src)
	}
	warnAccepted(app, accepted)
	if prof.Project != "" {
		runImportHygiene(ctx, app, cfg, store, prof)
	}
	fmt.Fprintf(app.Stdout, "run your bot with: keywarden exec %s -- CMD\n", name)
	return nil
}

// checkDotenvSource refuses what cannot work before anything is read:
// --shred of stdin or of a file that shares its content with other names
// (a symlink, hard links), or stdin that is a terminal (nothing was piped
// in). example is the command line that would have worked.
func checkDotenvSource(app *App, src string, shred bool, example string) error {
	if src != "-" {
		if shred {
			return checkShreddable(src)
		}
		return nil
	}
	if shred {
		return usageError("--shred needs a FILE, not stdin")
	}
	if app.stdinIsTerminal() {
		return usageError("no dotenv given: name a FILE, or pipe one into stdin (%s)", example)
	}
	return nil
}

// readDotenv reads the dotenv at src ("-" for stdin). A pipe, a FIFO or
// process substitution is a fine source, so waiting for its writer is
// allowed; SIGINT and SIGTERM end the wait.
func readDotenv(ctx context.Context, app *App, src string) (label, text string, err error) {
	type dotenv struct{ label, text string }
	d, err := interruptible(ctx, func() (dotenv, error) {
		label, text, err := readDotenvBlocking(app, src)
		return dotenv{label, text}, err
	})
	return d.label, d.text, err
}

func readDotenvBlocking(app *App, src string) (label, text string, err error) {
	var r io.Reader
	label = src
	if src == "-" {
		r, label = app.Stdin, "stdin"
	} else {
		f, err := os.Open(src)
		if err != nil {
			return "", "", fmt.Errorf("reading dotenv: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxDotenv+1))
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", label, err)
	}
	if len(data) > maxDotenv {
		return "", "", fmt.Errorf("%s is larger than 1 MiB: that is not a dotenv file", label)
	}
	if strings.TrimSpace(string(data)) == "" {
		return "", "", fmt.Errorf("%s is empty: give a dotenv with the key and secret (NAME=value lines)", label)
	}
	return label, string(data), nil
}
