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
	APIKey     string    `json:"api_key"`
	APISecret  string    `json:"api_secret"`
	Passphrase string    `json:"passphrase"`
	CreatedAt  time.Time `json:"created_at"`
	StoredAt   time.Time `json:"stored_at"`
}

// MarshalItem serialises it as the stored JSON object. The result holds the
// raw secrets: it goes to a keystore and nowhere else.
func MarshalItem(it Item) ([]byte, error) {
	return json.Marshal(itemJSON{
		APIKey:     it.APIKey.Reveal(),
		APISecret:  it.APISecret.Reveal(),
		Passphrase: it.Passphrase.Reveal(),
		CreatedAt:  it.CreatedAt.UTC(),
		StoredAt:   it.StoredAt.UTC(),
	})
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
	return Item{
		APIKey:     NewSecret(j.APIKey),
		APISecret:  NewSecret(j.APISecret),
		Passphrase: NewSecret(j.Passphrase),
		CreatedAt:  j.CreatedAt,
		StoredAt:   j.StoredAt,
	}, nil
}

// Equal reports whether two items hold the same credentials and times.
func (it Item) Equal(o Item) bool {
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
// passphrase, in that order, with the field name of each.
func (e Entry) Values() []Field {
	var fs []Field
	for _, f := range []Field{{"key", e.APIKey}, {"secret", e.APISecret}, {"passphrase", e.Passphrase}} {
		if !f.Value.Empty() {
			fs = append(fs, f)
		}
	}
	return fs
}

// Field is one credential of an item: Name is key, secret or passphrase.
type Field struct {
	Name  string
	Value Secret
}
