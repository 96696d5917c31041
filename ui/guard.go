package ui

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/keywarden/keywarden/keystore"
)

// PanicError is what the dashboard panics with after recovering a panic in
// its own code: the original value as text with every stored secret (raw,
// base64, URL-encoded) removed. bubbletea then restores the terminal and
// prints it.
type PanicError struct{ Msg string }

// Error is the redacted panic report.
func (e PanicError) Error() string { return "keywarden internal error: " + e.Msg }

// guard, deferred, turns a panic into a PanicError that holds no secret.
func guard(secrets []keystore.Secret) {
	r := recover()
	if r == nil {
		return
	}
	if pe, ok := r.(PanicError); ok {
		panic(pe)
	}
	panic(PanicError{Msg: redact(fmt.Sprint(r), secrets)})
}

// redact removes every secret, and its common encodings, from s.
func redact(s string, secrets []keystore.Secret) string {
	for _, sec := range secrets {
		v := sec.Reveal()
		if len(v) < 4 {
			continue
		}
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.URLEncoding.EncodeToString([]byte(v)), url.QueryEscape(v)} {
			s = strings.ReplaceAll(s, form, "[redacted]")
		}
	}
	return s
}
