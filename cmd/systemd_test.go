package cmd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

// credsKeyModes are the systemd-creds --with-key modes tried, in order:
// host (root, /var/lib/systemd/credential.secret), null (no key at all,
// systemd >= 254, for unprivileged containers), auto.
var credsKeyModes = []string{"host", "null", "auto"}

// TestSystemdCredsRoundTrip seals a vault passphrase with the real
// systemd-creds as the README says, decrypts it as systemd would for the
// unit, and opens a real vault with it through $CREDENTIALS_DIRECTORY. The
// sealed file never holds the passphrase in clear.
func TestSystemdCredsRoundTrip(t *testing.T) {
	sc := testutil.LookPath(t, "systemd-creds")
	const pass = "sealed vault passphrase for the creds test"
	dir := t.TempDir()
	sealed := filepath.Join(dir, keystore.CredentialName+".cred")
	var mode string
	var why []string
	for _, m := range credsKeyModes {
		enc := exec.Command(sc, "encrypt", "--with-key="+m, "--name="+keystore.CredentialName, "-", sealed)
		enc.Stdin = strings.NewReader(pass + "\n")
		if out, err := enc.CombinedOutput(); err != nil {
			why = append(why, m+": "+strings.TrimSpace(string(out)))
			continue
		}
		mode = m
		break
	}
	if mode == "" {
		// The binary is there; this host cannot seal (no root for the
		// host key, no TPM, a systemd too old for null).
		t.Skipf("systemd-creds cannot encrypt here with any of %v: %s", credsKeyModes, strings.Join(why, "; "))
	}
	data, err := os.ReadFile(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(pass)) {
		t.Fatal("the sealed credential holds the passphrase in clear")
	}
	// What systemd does for LoadCredentialEncrypted=: decrypt into the
	// unit's credentials directory, read-only.
	creds := filepath.Join(dir, "credentials")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(creds, keystore.CredentialName)
	dec := exec.Command(sc, "decrypt", "--with-key="+mode, "--name="+keystore.CredentialName, sealed, plain)
	if out, err := dec.CombinedOutput(); err != nil {
		t.Fatalf("systemd-creds decrypt (--with-key=%s): %v\n%s", mode, err, out)
	}
	if err := os.Chmod(plain, 0o400); err != nil {
		t.Fatal(err)
	}
	// A wrong name is refused: the credential is bound to its name.
	if out, err := exec.Command(sc, "decrypt", "--with-key="+mode, "--name=other", sealed, "-").CombinedOutput(); err == nil {
		t.Fatalf("decrypted under another name: %s", out)
	}

	home := filepath.Join(dir, "home")
	cfgPath := filepath.Join(home, "config.toml")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte("keystore = \"file\"\nvault = \""+filepath.Join(home, "vault.age")+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(dir, "bot.env")
	if err := os.WriteFile(env, []byte("BINANCE_API_KEY="+scriptSecrets[0]+"\nBINANCE_API_SECRET="+scriptSecrets[1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("KEYWARDEN_CONFIG", cfgPath)
	t.Setenv("KEYWARDEN_KEYSTORE", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := Main(args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("keywarden %v: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
		for _, s := range []string{pass, scriptSecrets[0], scriptSecrets[1]} {
			if strings.Contains(out.String()+errb.String(), s) {
				t.Fatalf("keywarden %v printed a secret", args)
			}
		}
		return out.String()
	}
	run("import", "bin", "--exchange", "binance", "--offline", "--shred", env)
	if out := run("list"); !strings.Contains(out, "bin") {
		t.Fatalf("list after import:\n%s", out)
	}
	// The vault is sealed under the credential's passphrase: the same
	// passphrase from a file opens it.
	pf := filepath.Join(dir, "pass")
	if err := os.WriteFile(pf, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := keystore.Open(context.Background(), keystore.Options{Backend: keystore.BackendFile, VaultPath: filepath.Join(home, "vault.age"), PassphraseFile: pf})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "bin"); err != nil {
		t.Fatal(err)
	}
}

// TestSystemdReadmeAgreesWithContrib: the README's unit lines and sealing
// command are the ones contrib/systemd/mybot.service has, and neither
// loads the passphrase from a plaintext file.
func TestSystemdReadmeAgreesWithContrib(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile("../contrib/systemd/mybot.service")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```ini\n# /etc/systemd/system/mybot.service\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README has no mybot.service block")
	}
	for _, l := range strings.Split(strings.TrimSpace(string(block[1])), "\n") {
		if !bytes.Contains(unit, []byte(l+"\n")) {
			t.Errorf("README's unit line %q is not in contrib/systemd/mybot.service", l)
		}
	}
	seal := regexp.MustCompile(`printf '%s\\n' "\$pw" \| (?:sudo )?(systemd-creds encrypt [^;]+);`)
	rm, um := seal.FindSubmatch(readme), seal.FindSubmatch(unit)
	if rm == nil || um == nil || !bytes.Equal(rm[1], um[1]) {
		t.Errorf("the sealing commands differ: README %q, unit %q", rm, um)
	}
	for name, data := range map[string][]byte{"README.md": readme, "mybot.service": unit} {
		if regexp.MustCompile(`(?m)^LoadCredential=`).Match(data) {
			t.Errorf("%s loads the passphrase from a plaintext file (LoadCredential=)", name)
		}
	}
	watch, err := os.ReadFile("../contrib/systemd/keywarden-watch.service")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^LoadCredential=`).Match(watch) || !bytes.Contains(watch, []byte("\nLoadCredentialEncrypted=keywarden-passphrase:")) {
		t.Error("keywarden-watch.service does not load an encrypted credential")
	}
}
