package auditlog

import (
	"bytes"
	"sort"

	"github.com/keywarden/keywarden/internal/secretenc"
	"github.com/keywarden/keywarden/keystore"
)

// RedactedMark replaces a stored secret (in any of its encodings) in a line.
const RedactedMark = "[REDACTED]"

// MinSecretLen is the shortest secret a Redactor looks for: shorter values
// (a 4-digit passphrase) would match ordinary log text everywhere.
const MinSecretLen = 6

// Redactor removes stored secrets from log lines: the raw value and every
// form secretenc lists (base64 and base64url, padded or not; URL escapes;
// hex; the escaped forms of JSON, YAML, TOML and shell strings). It is
// immutable after NewRedactor and safe for concurrent use.
type Redactor struct {
	needles [][]byte // longest first, so a longer encoding wins over a prefix
	first   []byte   // distinct first bytes of the needles, for a fast miss (nil: no fast path)
}

// NewRedactor builds a Redactor for the given secrets. Empty secrets and
// secrets shorter than MinSecretLen are ignored.
func NewRedactor(secrets []keystore.Secret) *Redactor {
	seen := map[string]bool{}
	r := &Redactor{}
	add := func(s string) {
		if len(s) < MinSecretLen || seen[s] {
			return
		}
		seen[s] = true
		r.needles = append(r.needles, []byte(s))
	}
	for _, sec := range secrets {
		if sec.Empty() {
			continue
		}
		v := sec.Reveal()
		if len(v) < MinSecretLen {
			continue
		}
		for _, enc := range Encodings(v) {
			add(enc.Value)
		}
	}
	sort.Slice(r.needles, func(i, j int) bool { return len(r.needles[i]) > len(r.needles[j]) })
	for _, n := range r.needles {
		if n[0] >= 0x80 {
			r.first = nil // IndexAny would read the set as UTF-8
			break
		}
		if bytes.IndexByte(r.first, n[0]) < 0 {
			r.first = append(r.first, n[0])
		}
	}
	return r
}

// Encoding is one textual form of a secret: its name (raw, base64,
// base64url, urlencoded, hex, escaped, unicode-escaped, double-escaped,
// quoted) and value. The value is secret: never print it.
type Encoding struct {
	Name  string
	Value string
}

// Encodings lists the forms in which a secret can end up in a log: the
// forms secretenc lists, which the scanner and the git hooks search for
// too. Each distinct form is listed once, under the first name that
// produces it.
func Encodings(v string) []Encoding {
	forms := secretenc.Forms([]byte(v))
	out := make([]Encoding, len(forms))
	for i, f := range forms {
		out[i] = Encoding{string(f.Name), string(f.Value)}
	}
	return out
}

// Empty reports whether the Redactor has nothing to look for.
func (r *Redactor) Empty() bool { return r == nil || len(r.needles) == 0 }

// Redact returns line with every occurrence of a secret replaced by
// RedactedMark, and whether anything was replaced. The input is not
// modified; when nothing is found the input itself is returned.
func (r *Redactor) Redact(line []byte) ([]byte, bool) {
	if r.Empty() || r.first != nil && !bytes.ContainsAny(line, string(r.first)) {
		return line, false
	}
	out, found := r.pass(line)
	if !found {
		return line, false
	}
	// A replacement can join text into a new occurrence ("]" of the mark
	// and what follows); repeat until none is left.
	for i := 0; i < 8; i++ {
		next, again := r.pass(out)
		if !again {
			break
		}
		out = next
	}
	return out, true
}

func (r *Redactor) pass(line []byte) ([]byte, bool) {
	out := line
	found := false
	for _, n := range r.needles {
		if !bytes.Contains(out, n) {
			continue
		}
		out = bytes.ReplaceAll(out, n, []byte(RedactedMark))
		found = true
	}
	return out, found
}

// Contains reports whether b holds a secret in any of its encodings.
func (r *Redactor) Contains(b []byte) bool {
	if r.Empty() {
		return false
	}
	for _, n := range r.needles {
		if bytes.Contains(b, n) {
			return true
		}
	}
	return false
}

// longest is the length of the longest needle (0 when empty).
func (r *Redactor) longest() int {
	if r.Empty() {
		return 0
	}
	return len(r.needles[0])
}

// Count returns how many occurrences of secrets line holds (for leak counts
// without building the redacted line).
func (r *Redactor) Count(line []byte) int {
	if r.Empty() {
		return 0
	}
	red, ok := r.Redact(line)
	if !ok {
		return 0
	}
	return bytes.Count(red, []byte(RedactedMark)) - bytes.Count(line, []byte(RedactedMark))
}

// minCutPiece is the shortest piece of a secret redactCutEdges removes.
const minCutPiece = 4

// redactCutEdges removes what a cut left of a secret at either end of a
// line longer than MaxLineBytes (the reader keeps its first or its last
// MaxLineBytes): a needle's prefix at the end (before TruncatedMark) and a
// needle's suffix at the start. Redact cannot see these pieces.
func (r *Redactor) redactCutEdges(line []byte) ([]byte, bool) {
	body := bytes.TrimSuffix(line, []byte(TruncatedMark))
	mark := line[len(body):]
	found := false
	for _, n := range r.needles {
		for k := len(n) - 1; k >= minCutPiece; k-- {
			if bytes.HasSuffix(body, n[:k]) {
				body = append(body[:len(body)-k:len(body)-k], RedactedMark...)
				found = true
				break
			}
		}
		for k := len(n) - 1; k >= minCutPiece; k-- {
			if bytes.HasPrefix(body, n[len(n)-k:]) {
				body = append([]byte(RedactedMark), body[k:]...)
				found = true
				break
			}
		}
	}
	if !found {
		return line, false
	}
	return append(body, mark...), true
}
