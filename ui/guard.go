package ui

import (
	"fmt"

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
	// The audit log's redactor: one list of encodings and one minimum
	// length for everything keywarden redacts.
	msg, _ := auditlog.NewRedactor(secrets).Redact([]byte(fmt.Sprint(r)))
	panic(PanicError{Msg: string(msg)})
}
