package keystore

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// A new vault's passphrase is all that stands between a copy of the vault
// and every key in it: scrypt makes each guess cost about a second, so the
// passphrase needs enough entropy that guessing stays out of reach.
const (
	// MinPassphraseLen is the fewest characters a new vault passphrase has.
	MinPassphraseLen = 12
	// MinPassphraseBits is the least estimated entropy it has.
	MinPassphraseBits = 50
)

// PassphraseBits estimates the entropy of a passphrase in bits, as an
// attacker who knows its character classes would guess it: each character
// is worth log2 of the classes' size, except one that repeats the one
// before or continues a run ("aaaa", "1234", "abcd"), worth 1 bit. It is an
// upper bound for a phrase a person chose, not a measure of one: words and
// keyboard walks score higher than they should. That is why the length is
// also required, and why GeneratePassphrase is offered.
func PassphraseBits(p Secret) float64 {
	rs := []rune(p.Reveal())
	var lower, upper, digit, other, wide bool
	for _, r := range rs {
		switch {
		case r > unicode.MaxASCII:
			wide = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	pool := 0
	for _, c := range []struct {
		in   bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {other, 33}, {wide, 100}} {
		if c.in {
			pool += c.size
		}
	}
	if pool == 0 {
		return 0
	}
	per := math.Log2(float64(pool))
	bits := 0.0
	for i, r := range rs {
		if i > 0 {
			if d := r - rs[i-1]; d >= -1 && d <= 1 {
				bits++
				continue
			}
		}
		bits += per
	}
	return bits
}

// CheckNewPassphrase refuses a passphrase too weak for a new vault: shorter
// than MinPassphraseLen or estimated under MinPassphraseBits. The error
// says how strong it is, never what it is.
func CheckNewPassphrase(p Secret) error {
	n := len([]rune(p.Reveal()))
	bits := PassphraseBits(p)
	if n >= MinPassphraseLen && bits >= MinPassphraseBits {
		return nil
	}
	return fmt.Errorf("the new vault passphrase is too weak (%d characters, about %.0f bits; at least %d characters and %d bits are needed): use five or more random words, or let keywarden generate one ('keywarden passphrase --generate', or Enter at the prompt)",
		n, bits, MinPassphraseLen, MinPassphraseBits)
}

// GeneratePassphrase returns a random passphrase of 125 bits: five groups of
// five lower-case base32 characters ("q7kz2-…"), easy to read out and type.
func GeneratePassphrase() (Secret, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return Secret{}, fmt.Errorf("generating a passphrase: %w", err)
	}
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:25]
	var parts []string
	for i := 0; i < len(s); i += 5 {
		parts = append(parts, s[i:i+5])
	}
	return NewSecret(strings.Join(parts, "-")), nil
}
