package keystore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// BackendMemory is the name of the in-memory store used by the demo and tests.
const BackendMemory = "memory"

// itemJSON is the stored form of an Item: the spec's
// {"api_key","api_secret","passphrase","created_at","stored_at"}.
type itemJSON struct {
	APIKey     string        `json:"api_key"`
	APISecret  string        `json:"api_secret"`
	Passphrase string        `json:"passphrase"`
	CreatedAt  time.Time     `json:"created_at"`
	StoredAt   time.Time     `json:"stored_at"`
	Retired    []retiredJSON `json:"retired,omitempty"`
}

type retiredJSON struct {
	APIKey     string     `json:"api_key"`
	APISecret  string     `json:"api_secret"`
	Passphrase string     `json:"passphrase,omitempty"`
	RetiredAt  time.Time  `json:"retired_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// MarshalItem serialises it as the stored JSON object. The result holds the
// raw secrets: it goes to a keystore and nowhere else.
func MarshalItem(it Item) ([]byte, error) {
	j := itemJSON{
		APIKey:     it.APIKey.Reveal(),
		APISecret:  it.APISecret.Reveal(),
		Passphrase: it.Passphrase.Reveal(),
		CreatedAt:  it.CreatedAt.UTC(),
		StoredAt:   it.StoredAt.UTC(),
	}
	for _, r := range it.Retired {
		rj := retiredJSON{APIKey: r.APIKey.Reveal(), APISecret: r.APISecret.Reveal(),
			Passphrase: r.Passphrase.Reveal(), RetiredAt: r.RetiredAt.UTC()}
		if !r.RevokedAt.IsZero() {
			t := r.RevokedAt.UTC()
			rj.RevokedAt = &t
		}
		j.Retired = append(j.Retired, rj)
	}
	return json.Marshal(j)
}

// UnmarshalItem parses the stored JSON object. Errors never quote the input.
func UnmarshalItem(data []byte) (Item, error) {
	var j itemJSON
	if err := json.Unmarshal(data, &j); err != nil {
		// json errors can quote input bytes; never pass them on.
		return Item{}, errors.New("stored item is not valid JSON: remove it and import the key again")
	}
	// api_key may be empty: a notifier token (import --token) is only an
	// api_secret. An exchange profile without a key fails at its first
	// signed request, saying so.
	if j.APISecret == "" {
		return Item{}, errors.New("stored item lacks api_secret: remove it and import the key again")
	}
	it := Item{
		APIKey:     NewSecret(j.APIKey),
		APISecret:  NewSecret(j.APISecret),
		Passphrase: NewSecret(j.Passphrase),
		CreatedAt:  j.CreatedAt,
		StoredAt:   j.StoredAt,
	}
	for _, rj := range j.Retired {
		r := Retired{APIKey: NewSecret(rj.APIKey), APISecret: NewSecret(rj.APISecret),
			Passphrase: NewSecret(rj.Passphrase), RetiredAt: rj.RetiredAt}
		if rj.RevokedAt != nil {
			r.RevokedAt = *rj.RevokedAt
		}
		it.Retired = append(it.Retired, r)
	}
	return it, nil
}

// Secrets returns every value the item holds, current and retired, for
// redaction: nothing a profile ever stored may appear in output.
func (it Item) Secrets() []Secret {
	out := []Secret{it.APIKey, it.APISecret, it.Passphrase}
	for _, r := range it.Retired {
		out = append(out, r.APIKey, r.APISecret, r.Passphrase)
	}
	return out
}

// Equal reports whether two items hold the same credentials and times.
func (it Item) Equal(o Item) bool {
	if len(it.Retired) != len(o.Retired) {
		return false
	}
	for i, r := range it.Retired {
		q := o.Retired[i]
		if !r.APIKey.Equal(q.APIKey) || !r.APISecret.Equal(q.APISecret) || !r.Passphrase.Equal(q.Passphrase) ||
			!r.RetiredAt.Equal(q.RetiredAt) || !r.RevokedAt.Equal(q.RevokedAt) {
			return false
		}
	}
	return it.APIKey.Equal(o.APIKey) && it.APISecret.Equal(o.APISecret) &&
		it.Passphrase.Equal(o.Passphrase) && it.CreatedAt.Equal(o.CreatedAt) && it.StoredAt.Equal(o.StoredAt)
}

// ReadBack reads a profile's item from the store's medium itself, bypassing
// any cache: for the vault that means decrypting the file on disk again. Use
// it to verify a write before destroying another copy (import --shred).
func ReadBack(ctx context.Context, s Store, profile string) (Item, error) {
	if f, ok := s.(*fileStore); ok {
		f.mu.Lock()
		f.cached = nil
		f.mu.Unlock()
	}
	return s.Get(ctx, profile)
}

// Entry is a stored item with the profile it belongs to.
type Entry struct {
	Profile string
	Item
}

// Secrets returns every item in the store with its profile name, sorted by
// profile. The leak scanner and the audit-log redactor use it to know every
// value that must never appear anywhere.
func Secrets(ctx context.Context, s Store) ([]Entry, error) {
	names, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		it, err := s.Get(ctx, n)
		if errors.Is(err, ErrNotFound) {
			continue // deleted between List and Get
		}
		if err != nil {
			return nil, fmt.Errorf("reading stored key for %s: %w", n, err)
		}
		out = append(out, Entry{Profile: n, Item: it})
	}
	return out, nil
}

// Values returns the non-empty secret values of the entry: key, secret and
// passphrase, in that order, with the field name of each; then those of
// each retired key, marked Retired.
func (e Entry) Values() []Field {
	var fs []Field
	add := func(retired bool, vs ...Field) {
		for _, f := range vs {
			if !f.Value.Empty() {
				f.Retired = retired
				fs = append(fs, f)
			}
		}
	}
	add(false, Field{Name: "key", Value: e.APIKey}, Field{Name: "secret", Value: e.APISecret}, Field{Name: "passphrase", Value: e.Passphrase})
	for _, r := range e.Retired {
		add(true, Field{Name: "key", Value: r.APIKey}, Field{Name: "secret", Value: r.APISecret}, Field{Name: "passphrase", Value: r.Passphrase})
	}
	return fs
}

// Field is one credential of an item: Name is key, secret or passphrase;
// Retired marks a retired key's.
type Field struct {
	Name    string
	Value   Secret
	Retired bool
}
