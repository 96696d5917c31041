package ui

import (
	"fmt"
	"strings"

	"github.com/keywarden/keywarden/auditlog"
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

// redact removes every secret, and its encodings (base64 with and without
// padding, URL escaping, hex), from s.
func redact(s string, secrets []keystore.Secret) string {
	for _, sec := range secrets {
		v := sec.Reveal()
		if len(v) < 4 {
			continue
		}
		// Encodings lists padded base64 before its unpadded prefix, so no
		// "=" tail is left behind.
		for _, enc := range auditlog.Encodings(v) {
			s = strings.ReplaceAll(s, enc.Value, "[redacted]")
		}
	}
	return s
}
