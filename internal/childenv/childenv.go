// Package childenv builds the environment of the helper processes keywarden
// starts (git): the user's environment without the variables that hold
// credentials. keywarden may itself run with a key in its environment (a
// `keywarden check` from a shell that `keywarden exec` started, or a
// dashboard next to a bot's .env exported into the shell); a helper has no
// use for it, and every process's environment is one more place to read it.
//
// Names alone cannot tell: a profile's env table may call its variables
// anything (BOT_K, BOT_S). So a variable is also dropped when it holds a
// value keywarden knows to be a credential: every keystore.Secret is
// withheld here when it is made.
package childenv

import (
	"os"
	"strings"
	"sync"
)

// minContained is the shortest withheld value looked for inside a variable;
// a shorter one drops only a variable that equals it, so that a short
// passphrase cannot strip PATH or HOME for containing it.
const minContained = 8

var withheld struct {
	sync.RWMutex
	values map[string]struct{}
}

// Withhold adds credential values that no helper may get in its
// environment, under whatever name. Empty values are ignored.
func Withhold(values ...string) {
	withheld.Lock()
	defer withheld.Unlock()
	for _, v := range values {
		if v == "" {
			continue
		}
		if withheld.values == nil {
			withheld.values = map[string]struct{}{}
		}
		withheld.values[v] = struct{}{}
	}
}

// holdsWithheld reports whether the entry "NAME=value" carries a withheld
// value: as its value, or (for values of minContained bytes or more) inside
// its name or value.
func holdsWithheld(kv string) bool {
	_, val, _ := strings.Cut(kv, "=")
	withheld.RLock()
	defer withheld.RUnlock()
	for v := range withheld.values {
		if val == v || (len(v) >= minContained && strings.Contains(kv, v)) {
			return true
		}
	}
	return false
}

// credentialWords mark a variable name as holding a credential.
var credentialWords = []string{"SECRET", "PASSPHRASE", "PASSWORD", "PASSWD", "TOKEN",
	"API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL"}

// Credential reports whether a variable of this name probably holds a
// credential: EXCHANGE_API_KEY/SECRET/PASSPHRASE, *_TOKEN, *_PASSWORD,
// *_KEY and the like (case-insensitive).
func Credential(name string) bool {
	n := strings.ToUpper(name)
	if strings.HasSuffix(n, "_KEY") {
		return true
	}
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Without returns env ("NAME=value" entries) without the credential
// variables: those Credential names and those holding a withheld value.
// env itself is not modified.
func Without(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !Credential(name) && !holdsWithheld(kv) {
			out = append(out, kv)
		}
	}
	return out
}

// Environ is os.Environ without the credential variables: set it as the Env
// of every helper process.
func Environ() []string { return Without(os.Environ()) }
