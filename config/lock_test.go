package config

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// Profiles added at the same time (two `keywarden import` runs) are all
// kept: each edit reads, changes and replaces the file under a lock.
func TestConcurrentAppendsLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- AppendProfile(path, Profile{Name: fmt.Sprintf("bot-%02d", i), Exchange: "binance"})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Profiles) != n {
		t.Fatalf("%d of %d profiles kept", len(cfg.Profiles), n)
	}
}
