package keystore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	gokeyring "github.com/zalando/go-keyring"
	ss "github.com/zalando/go-keyring/secret_service"
)

// DefaultTimeout bounds every keyring call: a Secret Service that never
// answers must give an error, not a hang.
const DefaultTimeout = 5 * time.Second

// keyringStore keeps one item per profile in the OS keyring (Secret Service
// on Linux) under service "keywarden", account = profile name.
type keyringStore struct {
	timeout time.Duration
	// stuck counts calls that timed out and are still waiting on D-Bus.
	// While one is, new calls fail at once instead of piling up goroutines
	// behind a Secret Service that does not answer (watch runs for days).
	stuck atomic.Int32
}

func newKeyring(timeout time.Duration) *keyringStore {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &keyringStore{timeout: timeout}
}

func (k *keyringStore) Backend() string { return BackendKeyring }

// keyringFix is the advice every keyring error carries.
const keyringFix = "unlock or start a Secret Service (see README: headless setup), or use --keystore file"

// call runs f under the timeout. A call that does not return in time is left
// running in its goroutine (D-Bus calls cannot be cancelled); the caller gets
// an error at once, and so do later callers while it is still stuck.
func (k *keyringStore) call(ctx context.Context, f func() error) error {
	if err := checkSessionBus(); err != nil {
		return fmt.Errorf("keyring: %w: %s", err, keyringFix)
	}
	if k.stuck.Load() > 0 {
		return fmt.Errorf("%w (an earlier call is still waiting for it): %s", ErrKeyringTimeout, keyringFix)
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	done := make(chan error, 1)
	// settled goes to whichever comes first: the call returning or the
	// timeout. A call that lost to the timeout un-counts itself when it
	// finally returns.
	var settled atomic.Bool
	go func() {
		err := f()
		if !settled.CompareAndSwap(false, true) {
			k.stuck.Add(-1)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return keyringErr(err)
	case <-ctx.Done():
		if !settled.CompareAndSwap(false, true) {
			return keyringErr(<-done) // it returned just in time
		}
		k.stuck.Add(1)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w after %s: %s", ErrKeyringTimeout, k.timeout, keyringFix)
		}
		return ctx.Err()
	}
}

func keyringErr(err error) error {
	if err == nil || errors.Is(err, ErrNotFound) {
		return err
	}
	return fmt.Errorf("keyring: %w: %s", err, keyringFix)
}

// ErrKeyringTimeout is returned (wrapped) when the Secret Service does not
// answer within the timeout.
var ErrKeyringTimeout = errors.New("keyring not answering")

func (k *keyringStore) Get(ctx context.Context, profile string) (Item, error) {
	var raw string
	err := k.call(ctx, func() error {
		v, err := gokeyring.Get(Service, profile)
		if errors.Is(err, gokeyring.ErrNotFound) {
			return fmt.Errorf("profile %s: %w in the keyring", profile, ErrNotFound)
		}
		raw = v
		return err
	})
	if err != nil {
		return Item{}, err
	}
	it, err := UnmarshalItem([]byte(raw))
	if err != nil {
		return Item{}, fmt.Errorf("profile %s: %w", profile, err)
	}
	return it, nil
}

func (k *keyringStore) Set(ctx context.Context, profile string, it Item) error {
	data, err := MarshalItem(it)
	if err != nil {
		return err
	}
	return k.call(ctx, func() error { return gokeyring.Set(Service, profile, string(data)) })
}

func (k *keyringStore) Delete(ctx context.Context, profile string) error {
	return k.call(ctx, func() error {
		err := gokeyring.Delete(Service, profile)
		if errors.Is(err, gokeyring.ErrNotFound) {
			return fmt.Errorf("profile %s: %w in the keyring", profile, ErrNotFound)
		}
		return err
	})
}

// List searches the login collection for items of service "keywarden"
// (go-keyring has no listing call) and returns their account names.
func (k *keyringStore) List(ctx context.Context) ([]string, error) {
	var names []string
	err := k.call(ctx, func() error {
		svc, err := ss.NewSecretService()
		if err != nil {
			return err
		}
		col := svc.GetLoginCollection()
		if err := svc.Unlock(col.Path()); err != nil {
			return err
		}
		paths, err := svc.SearchItems(col, map[string]string{"service": Service})
		if err != nil {
			return err
		}
		for _, p := range paths {
			v, err := svc.Object("org.freedesktop.secrets", p).GetProperty("org.freedesktop.Secret.Item.Attributes")
			if err != nil {
				return err
			}
			attrs, ok := v.Value().(map[string]string)
			if !ok || attrs["username"] == "" {
				continue
			}
			names = append(names, attrs["username"])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
