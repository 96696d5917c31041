package alert

import (
	"maps"
	"net/url"
	"slices"
	"strings"

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

// URLParts are the pieces of a URL that can each be a credential on their
// own: every path segment and every query value, raw and unescaped. A
// receiver that echoes only the path ("Cannot POST /services/T…/B…/TOKEN")
// or one parameter never shows the whole URL, so scrubbing the whole URL is
// not enough. Segments of lower-case letters only ("services", "webhooks",
// "api") are the API's own words, not credentials, and are left out so
// they stay readable in errors. Parts shorter than auditlog.MinSecretLen
// are ignored by the Scrubber anyway.
func URLParts(raw string) []keystore.Secret {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []keystore.Secret
	add := func(v string) {
		if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyz") != "" {
			out = append(out, keystore.NewSecret(v))
		}
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		add(seg)
		if un, err := url.PathUnescape(seg); err == nil && un != seg {
			add(un)
		}
	}
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			add(v)
		}
	}
	if u.User != nil {
		add(u.User.Username())
		if p, ok := u.User.Password(); ok {
			add(p)
		}
	}
	return out
}
