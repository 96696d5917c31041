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
// {"api_key","api_secret","passphrase","created_at","stored_at"}; use
// MarshalItem/UnmarshalItem for that, never json.Marshal (Secret redacts).
type Item struct {
	APIKey     Secret
	APISecret  Secret
	Passphrase Secret    // OKX, KuCoin; empty otherwise
	CreatedAt  time.Time // when the key was created on the exchange (or first stored)
	StoredAt   time.Time // when this item was last written
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
