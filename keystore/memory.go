package keystore

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

type memory struct {
	mu    sync.Mutex
	items map[string]Item
}

// NewMemory returns an empty in-memory Store (backend "memory") for the demo
// and tests. Nothing it holds outlives the process.
func NewMemory() Store { return &memory{items: map[string]Item{}} }

func (m *memory) Backend() string { return BackendMemory }

func (m *memory) Get(ctx context.Context, profile string) (Item, error) {
	if err := ctx.Err(); err != nil {
		return Item{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[profile]
	if !ok {
		return Item{}, fmt.Errorf("profile %s: %w", profile, ErrNotFound)
	}
	return it, nil
}

func (m *memory) Set(ctx context.Context, profile string, it Item) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[profile] = it
	return nil
}

func (m *memory) Delete(ctx context.Context, profile string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[profile]; !ok {
		return fmt.Errorf("profile %s: %w", profile, ErrNotFound)
	}
	delete(m.items, profile)
	return nil
}

func (m *memory) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.items))
	for n := range m.items {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}
