// Package childenv builds the environment of the helper processes keywarden
// starts (git): the user's environment without the variables that hold
// credentials. keywarden may itself run with a key in its environment (a
// `keywarden check` from a shell that `keywarden exec` started, or a
// dashboard next to a bot's .env exported into the shell); a helper has no
// use for it, and every process's environment is one more place to read it.
package childenv

import (
	"os"
	"strings"
)

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
// variables; env itself is not modified.
func Without(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !Credential(name) {
			out = append(out, kv)
		}
	}
	return out
}

// Environ is os.Environ without the credential variables: set it as the Env
// of every helper process.
func Environ() []string { return Without(os.Environ()) }
