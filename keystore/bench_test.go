package keystore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// The vault's cost is scrypt: one derivation per write, one per process
// for reads (the decrypted vault is cached while the file is unchanged).
// Run with -benchtime=1x at age's default work factor:
//
//	go test -run '^$' -bench Vault -benchtime 3x ./keystore
func benchVault(b *testing.B, logN int) (Store, context.Context) {
	old := ScryptWorkFactor
	ScryptWorkFactor = logN
	b.Cleanup(func() { ScryptWorkFactor = old })
	dir := b.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := writeFile(pass, "pw for the bench vault"); err != nil {
		b.Fatal(err)
	}
	s, err := Open(context.Background(), Options{Backend: BackendFile, VaultPath: filepath.Join(dir, "vault.age"), PassphraseFile: pass})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := s.Set(ctx, fmt.Sprintf("p%d", i), itemFor("p")); err != nil {
			b.Fatal(err)
		}
	}
	return s, ctx
}

func BenchmarkVaultSet(b *testing.B) {
	for _, logN := range []int{10, 18} {
		b.Run(fmt.Sprintf("logN=%d", logN), func(b *testing.B) {
			s, ctx := benchVault(b, logN)
			for b.Loop() {
				if err := s.Set(ctx, "bench", itemFor("bench")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVaultFirstRead is what every keywarden process pays once: a
// fresh store decrypting the vault.
func BenchmarkVaultFirstRead(b *testing.B) {
	for _, logN := range []int{10, 18} {
		b.Run(fmt.Sprintf("logN=%d", logN), func(b *testing.B) {
			s, ctx := benchVault(b, logN)
			path := VaultPath(s)
			pass := filepath.Join(filepath.Dir(path), "pass")
			for b.Loop() {
				fresh, _ := Open(ctx, Options{Backend: BackendFile, VaultPath: path, PassphraseFile: pass})
				if _, err := fresh.Get(ctx, "p1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVaultFirstReadUnlocked is the same fresh store with the unlock
// cache warm: the file key comes from the kernel keyring, no scrypt. The
// ratio to BenchmarkVaultFirstRead/logN=18 is what the cache saves each
// process.
func BenchmarkVaultFirstReadUnlocked(b *testing.B) {
	b.Setenv(UnlockTTLEnv, "1m")
	s, ctx := benchVault(b, 18)
	path := VaultPath(s)
	b.Cleanup(func() { _ = Lock(path) })
	pass := filepath.Join(filepath.Dir(path), "pass")
	if _, ok := unlockCache.get(unlockName(path)); !ok {
		b.Skip("no kernel keyring to cache the file key in")
	}
	for b.Loop() {
		fresh, _ := Open(ctx, Options{Backend: BackendFile, VaultPath: path, PassphraseFile: pass})
		if _, err := fresh.Get(ctx, "p1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVaultCachedGet(b *testing.B) {
	s, ctx := benchVault(b, 10)
	for b.Loop() {
		if _, err := s.Get(ctx, "p1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyringGet(b *testing.B) {
	requireSecretService(b)
	ctx := context.Background()
	s, _ := Open(ctx, Options{Backend: BackendKeyring})
	name := fmt.Sprintf("kw-bench-%d", b.N)
	if err := s.Set(ctx, name, testItem()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Delete(context.Background(), name) })
	for b.Loop() {
		if _, err := s.Get(ctx, name); err != nil {
			b.Fatal(err)
		}
	}
}
