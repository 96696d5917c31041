package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

// These tests drive the real keywarden binary in tmux at 80×24, keyboard
// only, against the Bybit fake, like a person over SSH would.

// tmuxBox is one throwaway home, config and keystore, and a terminal (a
// tmux server) of its own.
type tmuxBox struct {
	t       *testing.T
	term    *testutil.Term
	bin     string
	dir     string
	home    string
	cfgPath string
	backend string // file | keyring
	fake    *exchangetest.Bybit
}

func newTmuxBox(t *testing.T, backend string) *tmuxBox {
	t.Helper()
	var opts []testutil.TermOption
	if backend == keystore.BackendKeyring {
		opts = append(opts, testutil.WithSessionBus())
	}
	dir := t.TempDir()
	b := &tmuxBox{t: t, term: testutil.NewTerm(t, opts...), dir: dir, home: filepath.Join(dir, "home"), backend: backend}
	b.bin = buildKeywarden(t, dir)
	f, echoURL := wizFake(t)
	t.Cleanup(f.Close)
	b.fake = f
	if err := os.MkdirAll(filepath.Join(b.home, ".config", "keywarden"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.home, "pass"), []byte("a vault passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.cfgPath = filepath.Join(b.home, ".config", "keywarden", "config.toml")
	cfg := wizConfig(b.home, "", echoURL)
	cfg = strings.Replace(cfg, `keystore = "file"`, `keystore = "`+backend+`"`+"\nvault = \""+filepath.Join(b.home, "vault.age")+`"`, 1)
	if err := os.WriteFile(b.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// buildKeywarden builds the real binary (the build cache makes repeats cheap).
func buildKeywarden(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "keywarden")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/keywarden/keywarden").CombinedOutput()
	if err != nil {
		t.Fatalf("building keywarden: %v\n%s", err, out)
	}
	return bin
}

// start runs keywarden with args in a fresh 80×24 tmux session: stdin and
// stderr on the terminal, stdout to a file, the exit code to another. The
// terminal hands it the D-Bus session bus for the keyring backend only.
func (b *tmuxBox) start(args ...string) {
	b.t.Helper()
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	script := fmt.Sprintf(`export HOME=%q XDG_CONFIG_HOME=%q XDG_DATA_HOME=%q KEYWARDEN_CONFIG=%q KEYWARDEN_KEYSTORE= CREDENTIALS_DIRECTORY= NO_COLOR=
%[6]q %[7]s >%[5]q/out.txt
echo $? >%[5]q/rc.tmp && mv %[5]q/rc.tmp %[5]q/rc.txt
`, b.home, filepath.Join(b.home, ".config"), filepath.Join(b.home, ".local", "share"), b.cfgPath, b.dir, b.bin, strings.Join(q, " "))
	for _, f := range []string{"out.txt", "rc.txt"} {
		if err := os.Remove(filepath.Join(b.dir, f)); err != nil && !os.IsNotExist(err) {
			b.t.Fatal(err)
		}
	}
	run := filepath.Join(b.dir, "run.sh")
	if err := os.WriteFile(run, []byte(script), 0o700); err != nil {
		b.t.Fatal(err)
	}
	b.term.Start(80, 24, "sh", run)
}

// exit waits for keywarden to end and returns its exit code and stdout.
func (b *tmuxBox) exit() (int, string) {
	b.t.Helper()
	deadline := time.Now().Add(testutil.TermWait)
	for {
		if rc, err := os.ReadFile(filepath.Join(b.dir, "rc.txt")); err == nil {
			code, _ := strconv.Atoi(strings.TrimSpace(string(rc)))
			out, _ := os.ReadFile(filepath.Join(b.dir, "out.txt"))
			return code, string(out)
		}
		if time.Now().After(deadline) {
			b.t.Fatal("keywarden did not exit")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noSecret fails when a credential shows on any captured screen or in extra.
func (b *tmuxBox) noSecret(extra ...string) {
	b.t.Helper()
	testutil.NoSecret(b.t, wizSecrets, append(b.term.Screens(), extra...))
}

// addToVerdict walks the add wizard to the verdict screen for a bybit
// profile on the fake with key k.
func (b *tmuxBox) addToVerdict(name string, k exchangetest.BybitKey) string {
	b.t.Helper()
	b.start("add")
	b.term.WaitFor("Exchange")
	b.term.Keys("Down", "Enter")
	b.term.WaitFor("Endpoint")
	b.term.Keys("Up", "Enter")
	b.term.WaitFor("Custom base URL")
	b.term.Literal(b.fake.URL())
	b.term.Keys("Enter")
	b.term.WaitFor("Profile name")
	b.term.Literal(name)
	b.term.Keys("Enter")
	b.term.WaitFor("New API key")
	b.term.Paste(k.APIKey)
	b.term.WaitFor("key " + keystore.Fingerprint(keystore.NewSecret(k.APIKey)))
	b.term.Keys("Enter")
	b.term.WaitFor("API secret")
	b.term.Paste(k.Secret)
	b.term.Keys("Enter")
	b.term.WaitFor("What does the bot need?")
	b.term.Keys("Enter")
	b.term.WaitFor("127.0.0.1") // the whitelist, pre-filled with the egress IP
	b.term.Keys("Enter")
	b.term.WaitFor("Rotate the key after")
	b.term.Keys("Enter")
	return b.term.WaitFor("What bybit says about the key")
}

func (b *tmuxBox) cleanupKeyring(name string) {
	if b.backend != keystore.BackendKeyring {
		return
	}
	clear := func() { _ = exec.Command("secret-tool", "clear", "service", keystore.Service, "username", name).Run() }
	clear()
	b.t.Cleanup(clear)
}

func TestAddTmuxHappyPath(t *testing.T) {
	for _, backend := range []string{keystore.BackendFile, keystore.BackendKeyring} {
		t.Run(backend, func(t *testing.T) {
			b := newTmuxBox(t, backend)
			name := fmt.Sprintf("kwtest-wiz-%d", os.Getpid())
			b.cleanupKeyring(name)
			b.addToVerdict(name, wizNew)
			b.term.WaitFor("good to store in keystore " + backend)
			b.term.WaitFor("read · trade · margin (needs: read, trade)") // the dashboard's permission line
			b.term.Keys("Enter")
			b.term.WaitFor("keywarden exec " + name + " -- CMD")
			b.term.Keys("Enter")
			code, out := b.exit()
			if code != 0 {
				t.Fatalf("exit %d, stdout:\n%s", code, out)
			}
			for _, want := range []string{"stored " + name + " (bybit, key kwTE…6Tt5) in keystore " + backend, "profile added to ", "run your bot with: keywarden exec " + name + " -- CMD"} {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			b.noSecret(out)
			data, _ := os.ReadFile(b.cfgPath)
			if !strings.HasPrefix(string(data), "# written by hand; keep this comment\n") || !strings.Contains(string(data), `name = "`+name+`"`) ||
				!strings.Contains(string(data), `whitelist = ["127.0.0.1"]`) || bytes.Contains(data, []byte(wizNew.Secret)) {
				t.Fatalf("config:\n%s", data)
			}
			it := storedItem(t, b, name)
			if it.APIKey.Reveal() != wizNew.APIKey || it.APISecret.Reveal() != wizNew.Secret {
				t.Fatal("the stored item is not the key that was pasted")
			}
		})
	}
}

// storedItem reads a profile's item as keywarden would, in-process.
func storedItem(t *testing.T, b *tmuxBox, name string) keystore.Item {
	t.Helper()
	t.Setenv("HOME", b.home)
	if b.backend == keystore.BackendFile {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	}
	cfg, err := config.Load(b.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	app := &App{ConfigPath: b.cfgPath, Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
	store, err := app.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	it, err := store.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// seedProfile stores wizOld as profile name through the real import, so the
// keystore (the vault, for the file backend) exists before the wizard runs.
func (b *tmuxBox) seedProfile(name string) {
	b.t.Helper()
	env := filepath.Join(b.dir, "old.env")
	if err := os.WriteFile(env, []byte("BYBIT_API_KEY="+wizOld.APIKey+"\nBYBIT_API_SECRET="+wizOld.Secret+"\n"), 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.start("import", name, "--exchange", "bybit", "--base-url", b.fake.URL(), env)
	if code, out := b.exit(); code != 0 {
		b.t.Fatalf("import exited %d:\n%s\n%s", code, out, b.term.Screen())
	}
	if err := os.Remove(env); err != nil {
		b.t.Fatal(err)
	}
}

// snapshot is the config file and the keystore as bytes: the vault file,
// or the Secret Service's items as secret-tool lists them.
func (b *tmuxBox) snapshot() []byte {
	b.t.Helper()
	cfg, err := os.ReadFile(b.cfgPath)
	if err != nil {
		b.t.Fatal(err)
	}
	var ks []byte
	if b.backend == keystore.BackendFile {
		if ks, err = os.ReadFile(filepath.Join(b.home, "vault.age")); err != nil {
			b.t.Fatal(err)
		}
	} else {
		ks, _ = exec.Command("secret-tool", "search", "--all", "--unlock", "service", keystore.Service).CombinedOutput()
	}
	return append(append(cfg, 0), ks...)
}

func TestAddTmuxEscWritesNothing(t *testing.T) {
	for _, backend := range []string{keystore.BackendFile, keystore.BackendKeyring} {
		t.Run(backend, func(t *testing.T) {
			b := newTmuxBox(t, backend)
			seed := fmt.Sprintf("kwtest-wiz-seed-%d", os.Getpid())
			b.cleanupKeyring(seed)
			b.seedProfile(seed)
			before := b.snapshot()
			// Esc on the verdict screen, after the live validation.
			b.addToVerdict("kwtest-wiz-esc", wizNew)
			b.term.WaitFor("good to store")
			b.term.Keys("Escape")
			code, out := b.exit()
			if code != 1 || out != "" {
				t.Fatalf("esc: exit %d, stdout %q", code, out)
			}
			if !bytes.Equal(before, b.snapshot()) {
				t.Fatal("esc changed the config or the keystore")
			}
			// Esc on the first screen.
			b.start("add")
			b.term.WaitFor("Exchange")
			b.term.Keys("Escape")
			if code, _ := b.exit(); code != 1 || !bytes.Equal(before, b.snapshot()) {
				t.Fatalf("esc on the first screen: exit %d, or something was written", code)
			}
			b.noSecret()
		})
	}
}

func TestAddTmuxWithdrawalRefusedThenAccepted(t *testing.T) {
	b := newTmuxBox(t, keystore.BackendFile)
	b.addToVerdict("bybit-wd", wizWithdraw)
	b.term.WaitFor("refused: withdrawals enabled")
	b.term.WaitFor("WITHDRAW")
	b.term.Keys("Enter")
	b.term.WaitFor("This key is refused")
	b.term.WaitFor("Withdrawals are enabled")
	b.term.Keys("Enter")
	b.term.WaitFor("type accept to store the key anyway")
	b.term.Literal("accept")
	b.term.Keys("Enter")
	b.term.WaitFor("keywarden exec bybit-wd -- CMD")
	b.term.Keys("Enter")
	code, out := b.exit()
	if code != 0 || !strings.Contains(out, "stored bybit-wd") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	b.noSecret(out)
}

func TestAddTmuxBadSignature(t *testing.T) {
	b := newTmuxBox(t, keystore.BackendFile)
	bad := exchangetest.BybitKey{APIKey: wizNew.APIKey, Secret: wizOld.Secret}
	b.addToVerdict("bybit-bad", bad)
	b.term.WaitFor("bad signature: the secret does not belong to this key")
	b.term.Keys("Enter")
	b.term.WaitFor("New API key")
	b.term.Keys("Escape")
	if code, _ := b.exit(); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if data, _ := os.ReadFile(b.cfgPath); strings.Contains(string(data), "bybit-bad") {
		t.Fatal("a refused key's profile was written")
	}
	b.noSecret()
}

func TestRotateTmuxOldKeyValidThenRevoked(t *testing.T) {
	b := newTmuxBox(t, keystore.BackendFile)
	b.seedProfile("bybit-grid")
	b.start("rotate", "bybit-grid")
	b.term.WaitFor("Rotate the key of bybit-grid")
	b.term.WaitFor("current key  kwTE…d0Ie")
	b.term.Keys("Enter")
	b.term.WaitFor("New API key")
	b.term.Paste(wizNew.APIKey)
	b.term.Keys("Enter")
	b.term.WaitFor("API secret")
	b.term.Paste(wizNew.Secret)
	b.term.Keys("Enter")
	b.term.WaitFor("good to store")
	b.term.Keys("Enter")
	b.term.WaitFor("THE OLD KEY kwTE…d0Ie STILL WORKS: REVOKE IT NOW")
	b.term.WaitFor("https://www.bybit.com/app/user/api-management")
	if it := storedItem(t, b, "bybit-grid"); it.APIKey.Reveal() != wizNew.APIKey {
		t.Fatal("the new key is not stored")
	}
	b.fake.RemoveKey(wizOld.APIKey) // the user revokes it on the exchange
	b.term.Keys("r")
	b.term.WaitFor("old key kwTE…d0Ie revoked")
	b.term.Keys("Enter")
	b.term.WaitFor("Done")
	b.term.Keys("Enter")
	code, out := b.exit()
	if code != 0 || !strings.Contains(out, "rotated bybit-grid: key kwTE…d0Ie replaced by kwTE…6Tt5") || !strings.Contains(out, "old key kwTE…d0Ie revoked") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	b.noSecret(out)
}

func TestRotateTmuxEscWritesNothing(t *testing.T) {
	b := newTmuxBox(t, keystore.BackendFile)
	b.seedProfile("bybit-grid")
	before := b.snapshot()
	b.start("rotate", "bybit-grid")
	b.term.WaitFor("Rotate the key of bybit-grid")
	b.term.Keys("Enter")
	b.term.Paste(wizNew.APIKey)
	b.term.Keys("Enter")
	b.term.WaitFor("API secret")
	b.term.Paste(wizNew.Secret)
	b.term.Keys("Enter")
	b.term.WaitFor("good to store")
	b.term.Keys("Escape")
	code, out := b.exit()
	if code != 1 || out != "" || !bytes.Equal(before, b.snapshot()) {
		t.Fatalf("esc in rotate: exit %d, stdout %q, or something was written", code, out)
	}
	b.noSecret()
}

func TestStoreNewProfileRollsBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bad := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(bad, []byte("keystore = [oops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := keystore.NewMemory()
	it := keystore.Item{APIKey: keystore.NewSecret(wizNew.APIKey), APISecret: keystore.NewSecret(wizNew.Secret)}
	p := config.Profile{Name: "bybit-grid", Exchange: "bybit"}
	err := storeNewProfile(ctx, store, bad, p, it)
	if err == nil || !strings.Contains(err.Error(), "the key was not kept") {
		t.Fatalf("err = %v", err)
	}
	if names, _ := store.List(ctx); len(names) != 0 {
		t.Fatalf("the key stayed stored: %v", names)
	}
	good := filepath.Join(dir, "good.toml")
	if err := storeNewProfile(ctx, store, good, p, it); err != nil {
		t.Fatal(err)
	}
	if err := storeNewProfile(ctx, store, good, p, it); err == nil || !strings.Contains(err.Error(), "already holds a key named bybit-grid") {
		t.Fatalf("second store: %v", err)
	}
}
