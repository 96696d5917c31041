package keystore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/keywarden/keywarden/internal/childenv"
)

// Secret holds a credential (API key, API secret, passphrase, notifier token).
// It redacts itself wherever Go would print it: String, every fmt verb
// (including %#v and %x), and JSON. The only way to the raw value is Reveal,
// and callers of Reveal must never pass its result to output, logs or errors.
type Secret struct {
	v string
}

// NewSecret wraps a raw credential value. The value is withheld from the
// environment of every helper process keywarden starts from now on
// (childenv), whatever the variable holding it is called.
func NewSecret(v string) Secret {
	childenv.Withhold(v)
	return Secret{v: v}
}

// Reveal returns the raw value. Use it only to sign requests, to hand the
// value to a child process environment, or to search for leaks.
func (s Secret) Reveal() string { return s.v }

// Empty reports whether the secret holds no value.
func (s Secret) Empty() bool { return s.v == "" }

// Equal compares two secrets.
func (s Secret) Equal(o Secret) bool { return s.v == o.v }

const redacted = "[REDACTED]"

// String implements fmt.Stringer and never returns the value.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v) and never returns the value.
func (s Secret) GoString() string { return "keystore.Secret{" + redacted + "}" }

// Format implements fmt.Formatter so that no verb (%x, %q, %d...) leaks it.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(redacted))
}

// MarshalJSON never emits the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText never emits the value (covers TOML, slog text and others).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Fingerprint identifies an API key without revealing it: the first 4 and
// last 4 characters. Use it only for API keys (public identifiers), never for
// secrets or passphrases; for those use Digest.
func Fingerprint(apiKey Secret) string {
	k := apiKey.v
	if len(k) <= 10 {
		return "…" + Digest(apiKey)[:8]
	}
	return k[:4] + "…" + k[len(k)-4:]
}

// Digest is a short, non-reversible identifier of any secret (first 12 hex
// characters of its SHA-256), for telling two values apart in reports.
func Digest(s Secret) string {
	sum := sha256.Sum256([]byte(s.v))
	return hex.EncodeToString(sum[:])[:12]
}
