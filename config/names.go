package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/keywarden/keywarden/exchange"
)

var profileNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidProfileName reports whether name follows the profile-name rule
// [a-z0-9][a-z0-9._-]{0,63}. Names double as keyring account names and
// file names, so the rule is strict.
func ValidProfileName(name string) bool { return profileNameRE.MatchString(name) }

// CheckProfileName returns an error explaining the rule when name breaks it.
func CheckProfileName(name string) error {
	if ValidProfileName(name) {
		return nil
	}
	hint := ""
	if l := strings.ToLower(name); l != name && ValidProfileName(l) {
		hint = fmt.Sprintf(" (try %q)", l)
	}
	return fmt.Errorf("invalid profile name %q: use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit%s", name, hint)
}

// CheckExchange returns an error listing the supported exchanges when name
// is not one of them.
func CheckExchange(name string) error {
	if slices.Contains(Exchanges, name) {
		return nil
	}
	return fmt.Errorf("unknown exchange %q: use one of %s", name, strings.Join(Exchanges, ", "))
}

// NeedsPassphrase reports whether keys of this exchange come with a
// passphrase (exchange.Info.Passphrase: OKX, KuCoin).
func NeedsPassphrase(name string) bool {
	in, ok := exchange.Lookup(name)
	return ok && in.Passphrase
}

// Default environment variable names `keywarden exec` sets for the bot.
const (
	DefaultEnvKey        = "EXCHANGE_API_KEY"
	DefaultEnvSecret     = "EXCHANGE_API_SECRET"
	DefaultEnvPassphrase = "EXCHANGE_API_PASSPHRASE"
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkEnvName(v string) error {
	if envNameRE.MatchString(v) {
		return nil
	}
	return fmt.Errorf("invalid environment variable name %q: use letters, digits and '_', not starting with a digit", v)
}
