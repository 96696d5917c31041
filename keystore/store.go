// Package keystore keeps exchange credentials out of source files: in the OS
// keyring (Secret Service, via go-keyring) or in an age-encrypted vault file
// for headless servers. One item per profile.
package keystore

import (
	"context"
	"errors"
	"time"
)

// Service is the keyring service name of every item keywarden stores.
const Service = "keywarden"

// Item is what is stored for one profile. It is serialised as the JSON object
// {"api_key","api_secret","passphrase","created_at","stored_at","retired"}; use
// MarshalItem/UnmarshalItem for that, never json.Marshal (Secret redacts).
type Item struct {
	APIKey     Secret
	APISecret  Secret
	Passphrase Secret    // OKX, KuCoin; empty otherwise
	CreatedAt  time.Time // when the key was created on the exchange (or first stored)
	StoredAt   time.Time // when this item was last written
	// Retired are the keys this one replaced, oldest first (see Replace).
	Retired []Retired
}

// Retired is a key that a rotation replaced. It is kept, never handed to a
// bot, so that every value the profile ever had is still redacted and
// searched for, and so that the key.retired check can test it until the
// exchange rejects it.
type Retired struct {
	APIKey     Secret
	APISecret  Secret
	Passphrase Secret
	RetiredAt  time.Time
	// RevokedAt is when the exchange was first seen rejecting the key as
	// unknown; zero while it may still authenticate.
	RevokedAt time.Time
}

// Credentials returns the retired key as an item, to sign a test request.
func (r Retired) Credentials() Item {
	return Item{APIKey: r.APIKey, APISecret: r.APISecret, Passphrase: r.Passphrase}
}

// Replace returns next with it retired: its key joins the retired keys
// (unless next holds the same key, or it holds none), so nothing it ever
// held is forgotten.
func (it Item) Replace(next Item, now time.Time) Item {
	next.Retired = append([]Retired(nil), it.Retired...)
	if !it.APIKey.Empty() && !it.APIKey.Equal(next.APIKey) {
		next.Retired = append(next.Retired, Retired{APIKey: it.APIKey, APISecret: it.APISecret,
			Passphrase: it.Passphrase, RetiredAt: now.UTC()})
	}
	return next
}

// Backend names.
const (
	BackendKeyring = "keyring"
	BackendFile    = "file"
	BackendAuto    = "auto"
)

// ErrNotFound is returned (wrapped) when a profile has no stored item.
var ErrNotFound = errors.New("no stored key")

// Store is a secret store. Implementations are safe for concurrent use.
// Errors never contain secret values; they say what the user can do next.
type Store interface {
	// Backend returns BackendKeyring or BackendFile.
	Backend() string
	// Get returns the item for a profile, or an error wrapping ErrNotFound.
	Get(ctx context.Context, profile string) (Item, error)
	// Set creates or replaces the item for a profile.
	Set(ctx context.Context, profile string, it Item) error
	// Delete removes a profile's item; deleting a missing item wraps ErrNotFound.
	Delete(ctx context.Context, profile string) error
	// List returns the names of profiles with a stored item, sorted.
	List(ctx context.Context) ([]string, error)
}
