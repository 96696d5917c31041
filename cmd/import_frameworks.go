package cmd

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/keywarden/keywarden/config"
)

// This file knows the dotenv conventions of the bot frameworks people run
// under keywarden: which variables hold the exchange key, and which other
// secrets sit beside it and must never be taken for it. A key imported under
// a framework's names is handed back to the bot under the same names (the
// profile's env map), since the framework reads those and no others.

// convention is one framework's names for one exchange's key. passphrase is
// the name the framework reads it from, whether or not the file has it.
type convention struct {
	framework               string
	key, secret, passphrase string
}

// envMap is the profile env map that hands the bot c's names; the
// passphrase's only when there is one.
func (c convention) envMap(withPass bool) config.Env {
	e := config.Env{Key: c.key, Secret: c.secret}
	if withPass {
		e.Passphrase = c.passphrase
	}
	return e
}

// jessePairRE matches jesse's per-market names, BINANCE_PERPETUAL_FUTURES_API_KEY
// and the like: the exchange, a market, then _API_KEY / _API_SECRET /
// _API_PASSPHRASE.
var jessePairRE = regexp.MustCompile(`^([A-Z0-9]+)_([A-Z0-9_]+)_API_KEY$`)

// conventions lists the framework conventions d follows for exchange ex,
// each with its key and secret set in d (empty values do not count).
func conventions(d *dotenv, ex string) []convention {
	set := func(n string) bool { return d.vals[n] != "" }
	up := strings.ToUpper(ex)
	var out []convention
	// freqtrade reads any setting from FREQTRADE__SECTION__KEY; the exchange
	// block's key, secret and password (ccxt's passphrase) are these.
	// https://www.freqtrade.io/en/stable/configuration/#environment-variables
	if set("FREQTRADE__EXCHANGE__KEY") && set("FREQTRADE__EXCHANGE__SECRET") {
		out = append(out, convention{framework: "freqtrade", key: "FREQTRADE__EXCHANGE__KEY",
			secret: "FREQTRADE__EXCHANGE__SECRET", passphrase: "FREQTRADE__EXCHANGE__PASSWORD"})
	}
	// ccxt's examples and test suite load <EXCHANGEID>_APIKEY, _SECRET and
	// _PASSWORD (loadCredentialsFromEnv, "example: KRAKEN_APIKEY").
	// https://github.com/ccxt/ccxt/blob/master/ts/src/test/tests.ts
	if set(up+"_APIKEY") && set(up+"_SECRET") {
		out = append(out, convention{framework: "ccxt", key: up + "_APIKEY", secret: up + "_SECRET", passphrase: up + "_PASSWORD"})
	}
	// jesse's .env names each exchange and market:
	// BINANCE_PERPETUAL_FUTURES_API_KEY / _API_SECRET, BITGET_USDT_PERPETUAL_API_PASSPHRASE.
	// https://github.com/jesse-ai/project-template/blob/master/.env.example
	if isJesse(d) {
		for _, n := range d.names {
			m := jessePairRE.FindStringSubmatch(n)
			if m == nil || m[1] != up {
				continue
			}
			base := m[1] + "_" + m[2] + "_API_"
			if set(n) && set(base+"SECRET") {
				out = append(out, convention{framework: "jesse", key: n, secret: base + "SECRET", passphrase: base + "PASSPHRASE"})
			}
		}
	}
	return out
}

// isJesse reports whether d looks like a jesse project's .env: jesse's own
// settings sit beside the keys.
func isJesse(d *dotenv) bool {
	_, lic := d.vals["LICENSE_API_TOKEN"]
	_, pg := d.vals["POSTGRES_NAME"]
	_, redis := d.vals["REDIS_HOST"]
	return lic || pg && redis
}

// otherSecrets are the names of secrets that frameworks keep in the same
// .env and that are not an exchange key, with what each is.
var otherSecrets = map[string]string{
	// https://www.freqtrade.io/en/stable/rest-api/#configuration
	"FREQTRADE__API_SERVER__JWT_SECRET_KEY": "freqtrade's API server JWT signing key",
	"FREQTRADE__API_SERVER__PASSWORD":       "freqtrade's API server password",
	"FREQTRADE__API_SERVER__WS_TOKEN":       "freqtrade's API server websocket token",
	// https://www.freqtrade.io/en/stable/telegram-usage/
	"FREQTRADE__TELEGRAM__TOKEN": "freqtrade's Telegram bot token",
	// hummingbot keeps exchange keys encrypted in conf/connectors; its
	// docker-compose.yml passes only the password that decrypts them.
	// https://github.com/hummingbot/hummingbot/blob/master/docker-compose.yml
	"CONFIG_PASSWORD":    "hummingbot's password for its encrypted conf/connectors (hummingbot keeps exchange keys there, not in the environment)",
	"GATEWAY_PASSPHRASE": "hummingbot gateway's certificate passphrase",
	// https://github.com/jesse-ai/project-template/blob/master/.env.example
	"LICENSE_API_TOKEN": "jesse's license token",
	"POSTGRES_PASSWORD": "a database password",
	"REDIS_PASSWORD":    "a database password",
}

// otherSecret says what name holds when it is a known secret that is not an
// exchange key: one of otherSecrets, a freqtrade setting outside its
// exchange block, or a webhook, chat or JWT token.
func otherSecret(name string) (string, bool) {
	u := strings.ToUpper(name)
	if what, ok := otherSecrets[u]; ok {
		return what, true
	}
	if strings.HasPrefix(u, "FREQTRADE__") && !strings.HasPrefix(u, "FREQTRADE__EXCHANGE__") {
		return "a freqtrade setting outside its exchange block", true
	}
	for _, w := range []string{"WEBHOOK", "JWT", "TELEGRAM", "DISCORD", "SLACK", "POSTGRES", "REDIS", "DATABASE"} {
		if strings.Contains(u, w) {
			return "a " + strings.ToLower(w) + " secret, not an exchange key", true
		}
	}
	return "", false
}

// secretLike reports whether name looks like it holds a credential.
func secretLike(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "KEY", "TOKEN", "PASSWORD", "PASSPHRASE", "WEBHOOK"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// describeOthers lists names with what each is, for a message.
func describeOthers(names []string) string {
	var parts []string
	for _, n := range names {
		what, _ := otherSecret(n)
		parts = append(parts, n+" ("+what+")")
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// warnOtherSecrets says when a variable chosen by flag is a known
// non-exchange secret: used as asked, but never silently.
func warnOtherSecrets(c varChoice) []string {
	var out []string
	for _, n := range []string{c.key, c.secret, c.passphrase} {
		if what, ok := otherSecret(n); ok && n != "" {
			out = append(out, fmt.Sprintf("warning: %s is %s, not the exchange's key: used as you asked", n, what))
		}
	}
	return out
}
