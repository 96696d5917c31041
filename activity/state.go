package activity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/keywarden/keywarden/internal/atomicfile"
)

// DefaultStateDir is where activity state lives: $XDG_STATE_HOME (or
// ~/.local/state) under keywarden/activity. It holds cursors, the last key
// snapshot, undecided findings and acks: exchange ids and public facts,
// never a secret.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "keywarden", "activity"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no state directory: %w (set XDG_STATE_HOME or HOME)", err)
	}
	return filepath.Join(home, ".local", "state", "keywarden", "activity"), nil
}

// lockWait is how long a check or `activity ack` waits for another
// keywarden process (the dashboard beside watch) to finish its update.
const lockWait = 3 * time.Second

// store is one profile's state directory; each check owns one file in it
// and `activity ack` owns acks.json.
type store struct {
	dir string
}

func (s store) path(name string) string { return filepath.Join(s.dir, name+".json") }

// update reads name into v (leaving v as is when the file does not exist
// yet, and reporting that as first), calls f, and writes v back if f
// returns nil, all under the file's lock.
func update[T any](ctx context.Context, s store, name string, v *T, f func(first bool) error) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("activity state: %w", err)
	}
	path := s.path(name)
	unlock, err := atomicfile.Lock(ctx, path+".lock", lockWait)
	if err != nil {
		return fmt.Errorf("activity state: %w", err)
	}
	defer unlock()
	atomicfile.RemoveStaleTemps(path)
	first := false
	switch b, err := os.ReadFile(path); {
	case errors.Is(err, fs.ErrNotExist):
		first = true
	case err != nil:
		return fmt.Errorf("activity state: %w", err)
	default:
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("activity state %s is damaged (%v): remove it to set a new baseline", path, err)
		}
	}
	if err := f(first); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("activity state: %w", err)
	}
	return nil
}

// read reads name into v; a file that does not exist leaves v as is.
func read[T any](s store, name string, v *T) error {
	b, err := os.ReadFile(s.path(name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("activity state: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("activity state %s is damaged (%v): remove it to set a new baseline", s.path(name), err)
	}
	return nil
}

// Acks are the ids the trader acknowledged as their own doing: exchange
// order ids, movement ids, and KeyAck for the key's changes.
type Acks struct {
	IDs map[string]time.Time `json:"ids"`
}

// KeyAck acknowledges the key's pending changes.
const KeyAck = "key"

func (a Acks) has(id string) bool { _, ok := a.IDs[id]; return ok }

// Ack remembers ids as acknowledged for profile under stateDir ("" for
// DefaultStateDir).
func Ack(ctx context.Context, stateDir, profile string, ids []string, now time.Time) error {
	s, err := storeFor(stateDir, profile)
	if err != nil {
		return err
	}
	var a Acks
	return update(ctx, s, "acks", &a, func(bool) error {
		if a.IDs == nil {
			a.IDs = map[string]time.Time{}
		}
		for _, id := range ids {
			a.IDs[id] = now.UTC()
		}
		return nil
	})
}

func storeFor(stateDir, profile string) (store, error) {
	if stateDir == "" {
		d, err := DefaultStateDir()
		if err != nil {
			return store{}, err
		}
		stateDir = d
	}
	return store{dir: filepath.Join(stateDir, profile)}, nil
}
