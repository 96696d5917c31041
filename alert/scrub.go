package alert

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"

	"github.com/keywarden/keywarden/keystore"
)

// Scrubber removes known secret values from text: the raw value and its
// base64, base64url, URL-encoded and hex forms. It is the last line of
// defence for alert text, notifier error messages and logs — check summaries
// are built never to hold a secret, and this makes sure of it. A nil
// *Scrubber scrubs nothing.
type Scrubber struct {
	r replacer
}

// minSecretLen keeps tiny values (a test "x", an empty passphrase) from
// turning every occurrence of a common substring into [REDACTED].
const minSecretLen = 6

// NewScrubber builds a scrubber for the given secrets; empty and very short
// values are ignored.
func NewScrubber(secrets ...keystore.Secret) *Scrubber {
	seen := map[string]bool{}
	var forms []string
	for _, s := range secrets {
		v := s.Reveal()
		if len(v) < minSecretLen {
			continue
		}
		for _, f := range []string{
			v,
			base64.StdEncoding.EncodeToString([]byte(v)),
			base64.RawStdEncoding.EncodeToString([]byte(v)),
			base64.URLEncoding.EncodeToString([]byte(v)),
			base64.RawURLEncoding.EncodeToString([]byte(v)),
			url.QueryEscape(v),
			url.PathEscape(v),
			hex.EncodeToString([]byte(v)),
		} {
			if !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	if len(forms) == 0 {
		return &Scrubber{}
	}
	// Longest first, so a padded base64 form wins over its unpadded prefix.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, "[REDACTED]")
	}
	return &Scrubber{r: strings.NewReplacer(pairs...)}
}

// Scrub returns s with every known secret form replaced by [REDACTED].
func (sc *Scrubber) Scrub(s string) string {
	if sc == nil || sc.r == nil {
		return s
	}
	return sc.r.Replace(s)
}
