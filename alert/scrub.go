package alert

import (
	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/keystore"
)

// Scrubber removes known secret values from text: the raw value and every
// encoding the audit-log redactor knows (base64 and base64url, padded or
// not, URL query and path escaping, hex). It is the last line of defence for
// alert text, notifier error messages and logs — check summaries are built
// never to hold a secret, and this makes sure of it. A nil *Scrubber scrubs
// nothing.
type Scrubber struct {
	secrets []keystore.Secret
	r       *auditlog.Redactor
}

// NewScrubber builds a scrubber for the given secrets; empty and very short
// values (under auditlog.MinSecretLen) are ignored.
func NewScrubber(secrets ...keystore.Secret) *Scrubber {
	return &Scrubber{secrets: secrets, r: auditlog.NewRedactor(secrets)}
}

// NewScrubberWith extends base (which may be nil) with more secrets.
func NewScrubberWith(base *Scrubber, more ...keystore.Secret) *Scrubber {
	if base == nil {
		return NewScrubber(more...)
	}
	return NewScrubber(append(append([]keystore.Secret(nil), base.secrets...), more...)...)
}

// Scrub returns s with every known secret form replaced by [REDACTED].
func (sc *Scrubber) Scrub(s string) string {
	if sc == nil {
		return s
	}
	out, found := sc.r.Redact([]byte(s))
	if !found {
		return s
	}
	return string(out)
}
