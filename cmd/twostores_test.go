package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

// A rotation of a key stored in the vault and in the real keyring updates
// both copies (the old key retired in each), so no working copy of the old
// key is left behind in the other store.
func TestRotateUpdatesBothKeystores(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		testutil.MissingReal(t, "no D-Bus session bus with gnome-keyring (DBUS_SESSION_BUS_ADDRESS unset)")
	}
	ctx := t.Context()
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("a vault passphrase for both stores\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Vault: filepath.Join(dir, "vault.age"), PassphraseFile: pass}
	vault, err := keystore.Open(ctx, keystore.Options{Backend: keystore.BackendFile, VaultPath: cfg.Vault, PassphraseFile: pass, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keystore.Open(ctx, keystore.Options{Backend: keystore.BackendKeyring})
	if err != nil {
		t.Fatal(err)
	}
	const other = "kwtest-rotate-both"
	t.Cleanup(func() { _ = kr.Delete(ctx, other) })
	old := keystore.Item{APIKey: keystore.NewSecret(scriptSecrets[6]), APISecret: keystore.NewSecret(scriptSecrets[7]), CreatedAt: time.Now().Add(-time.Hour)}
	next := keystore.Item{APIKey: keystore.NewSecret(scriptSecrets[3]), APISecret: keystore.NewSecret(scriptSecrets[4]), CreatedAt: time.Now()}
	if err := vault.Set(ctx, "bot", old); err != nil {
		t.Fatal(err)
	}
	if err := kr.Set(ctx, other, old); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	app := &App{Stdout: &stdout, Stderr: &stderr}
	if err := replaceKey(ctx, app, cfg, vault, "bot", old, next); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]keystore.Store{"vault bot": vault, "keyring " + other: kr} {
		prof := strings.Fields(name)[1]
		it, err := s.Get(ctx, prof)
		if err != nil {
			t.Fatal(err)
		}
		if !it.APIKey.Equal(next.APIKey) || len(it.Retired) != 1 || !it.Retired[0].APIKey.Equal(old.APIKey) {
			t.Errorf("%s: key %s, %d retired", name, keystore.Fingerprint(it.APIKey), len(it.Retired))
		}
	}
	if !strings.Contains(stdout.String(), "also rotated in the keyring keystore (as "+other+")") {
		t.Errorf("stdout %q", stdout.String())
	}
	for _, s := range scriptSecrets {
		if strings.Contains(stdout.String()+stderr.String(), s) {
			t.Fatal("a secret in the output")
		}
	}
}
