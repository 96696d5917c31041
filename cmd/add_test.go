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

// tmuxBox is one throwaway home, config and keystore, and a tmux server of
// its own.
type tmuxBox struct {
	t       *testing.T
	tmux    string
	sock    string
	bin     string
	dir     string
	home    string
	cfgPath string
	backend string // file | keyring
	fake    *exchangetest.Bybit
	screens []string
	runs    int    // sessions started
	session string // the current run's tmux session
}

func newTmuxBox(t *testing.T, backend string) *tmuxBox {
	t.Helper()
	tm := testutil.LookPath(t, "tmux")
	if backend == keystore.BackendKeyring && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		testutil.MissingReal(t, "no D-Bus session bus with gnome-keyring (DBUS_SESSION_BUS_ADDRESS unset)")
	}
	dir := t.TempDir()
	b := &tmuxBox{t: t, tmux: tm, dir: dir, home: filepath.Join(dir, "home"), backend: backend,
		sock: fmt.Sprintf("kwtest-%d-%d", os.Getpid(), time.Now().UnixNano())}
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
	t.Cleanup(func() { _ = exec.Command(b.tmux, "-L", b.sock, "kill-server").Run() })
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
// stderr on the terminal, stdout to a file, the exit code to another.
func (b *tmuxBox) start(args ...string) {
	b.t.Helper()
	bus := ""
	if b.backend == keystore.BackendKeyring {
		bus = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	script := fmt.Sprintf(`export HOME=%q XDG_CONFIG_HOME=%q XDG_DATA_HOME=%q KEYWARDEN_CONFIG=%q KEYWARDEN_KEYSTORE= DBUS_SESSION_BUS_ADDRESS=%q CREDENTIALS_DIRECTORY= NO_COLOR=
%[7]q %[8]s >%[6]q/out.txt
echo $? >%[6]q/rc.tmp && mv %[6]q/rc.tmp %[6]q/rc.txt
`, b.home, filepath.Join(b.home, ".config"), filepath.Join(b.home, ".local", "share"), b.cfgPath, bus, b.dir, b.bin, strings.Join(q, " "))
	for _, f := range []string{"out.txt", "rc.txt"} {
		if err := os.Remove(filepath.Join(b.dir, f)); err != nil && !os.IsNotExist(err) {
			b.t.Fatal(err)
		}
	}
	run := filepath.Join(b.dir, "run.sh")
	if err := os.WriteFile(run, []byte(script), 0o700); err != nil {
		b.t.Fatal(err)
	}
	// A fresh session name per run: the previous run's session may still be
	// closing after its exit code was written.
	b.runs++
	b.session = fmt.Sprintf("kw%d", b.runs)
	b.tm("new-session", "-d", "-s", b.session, "-x", "80", "-y", "24", "sh "+run)
}

func (b *tmuxBox) tm(args ...string) string {
	b.t.Helper()
	out, err := exec.Command(b.tmux, append([]string{"-L", b.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		b.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys sends tmux key names (Enter, Escape, Down, …).
func (b *tmuxBox) keys(ks ...string) {
	b.t.Helper()
	b.tm(append([]string{"send-keys", "-t", b.session}, ks...)...)
}

// typ types text literally.
func (b *tmuxBox) typ(s string) { b.t.Helper(); b.tm("send-keys", "-t", b.session, "-l", s) }

// paste pastes s as a terminal paste (bracketed), via a tmux buffer loaded
// from stdin so the value is in no process's argv.
func (b *tmuxBox) paste(s string) {
	b.t.Helper()
	c := exec.Command(b.tmux, "-L", b.sock, "load-buffer", "-b", "kw", "-")
	c.Stdin = strings.NewReader(s)
	if out, err := c.CombinedOutput(); err != nil {
		b.t.Fatalf("tmux load-buffer: %v\n%s", err, out)
	}
	b.tm("paste-buffer", "-p", "-d", "-b", "kw", "-t", b.session)
}

// waitFor polls the screen until it shows want. The deadline only bounds a
// hang; nothing is asserted about how long it took.
func (b *tmuxBox) waitFor(want string) string {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command(b.tmux, "-L", b.sock, "capture-pane", "-p", "-t", b.session).CombinedOutput()
		screen := string(out)
		if err == nil {
			b.screens = append(b.screens, screen)
			if strings.Contains(screen, want) {
				return screen
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("screen never showed %q; last screen:\n%s", want, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exit waits for keywarden to end and returns its exit code and stdout.
func (b *tmuxBox) exit() (int, string) {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
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

// noSecret fails when a credential shows on any captured screen.
func (b *tmuxBox) noSecret(extra ...string) {
	b.t.Helper()
	for i, s := range append(b.screens, extra...) {
		for _, sec := range wizSecrets {
			if strings.Contains(s, sec) {
				b.t.Fatalf("capture %d shows a credential:\n%s", i, s)
			}
		}
	}
}

// addToVerdict walks the add wizard to the verdict screen for a bybit
// profile on the fake with key k.
func (b *tmuxBox) addToVerdict(name string, k exchangetest.BybitKey) string {
	b.t.Helper()
	b.start("add")
	b.waitFor("Exchange")
	b.keys("Down", "Enter")
	b.waitFor("Endpoint")
	b.keys("Up", "Enter")
	b.waitFor("Custom base URL")
	b.typ(b.fake.URL())
	b.keys("Enter")
	b.waitFor("Profile name")
	b.typ(name)
	b.keys("Enter")
	b.waitFor("New API key")
	b.paste(k.APIKey)
	b.waitFor("key " + keystore.Fingerprint(keystore.NewSecret(k.APIKey)))
	b.keys("Enter")
	b.waitFor("API secret")
	b.paste(k.Secret)
	b.keys("Enter")
	b.waitFor("What does the bot need?")
	b.keys("Enter")
	b.waitFor("127.0.0.1") // the whitelist, pre-filled with the egress IP
	b.keys("Enter")
	b.waitFor("Rotate the key after")
	b.keys("Enter")
	return b.waitFor("What bybit says about the key")
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
			b.waitFor("good to store in keystore " + backend)
			b.waitFor("read · trade · margin (needs: read, trade)") // the dashboard's permission line
			b.keys("Enter")
			b.waitFor("keywarden exec " + name + " -- CMD")
			b.keys("Enter")
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
		b.t.Fatalf("import exited %d:\n%s\n%s", code, out, b.tm("capture-pane", "-p", "-t", b.session))
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
			b.waitFor("good to store")
			b.keys("Escape")
			code, out := b.exit()
			if code != 1 || out != "" {
				t.Fatalf("esc: exit %d, stdout %q", code, out)
			}
			if !bytes.Equal(before, b.snapshot()) {
				t.Fatal("esc changed the config or the keystore")
			}
			// Esc on the first screen.
			b.start("add")
			b.waitFor("Exchange")
			b.keys("Escape")
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
	b.waitFor("refused: withdrawals enabled")
	b.waitFor("WITHDRAW")
	b.keys("Enter")
	b.waitFor("This key is refused")
	b.waitFor("Withdrawals are enabled")
	b.keys("Enter")
	b.waitFor("type accept to store the key anyway")
	b.typ("accept")
	b.keys("Enter")
	b.waitFor("keywarden exec bybit-wd -- CMD")
	b.keys("Enter")
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
	b.waitFor("bad signature: the secret does not belong to this key")
	b.keys("Enter")
	b.waitFor("New API key")
	b.keys("Escape")
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
	b.waitFor("Rotate the key of bybit-grid")
	b.waitFor("current key  kwTE…d0Ie")
	b.keys("Enter")
	b.waitFor("New API key")
	b.paste(wizNew.APIKey)
	b.keys("Enter")
	b.waitFor("API secret")
	b.paste(wizNew.Secret)
	b.keys("Enter")
	b.waitFor("good to store")
	b.keys("Enter")
	b.waitFor("THE OLD KEY kwTE…d0Ie STILL WORKS: REVOKE IT NOW")
	b.waitFor("https://www.bybit.com/app/user/api-management")
	if it := storedItem(t, b, "bybit-grid"); it.APIKey.Reveal() != wizNew.APIKey {
		t.Fatal("the new key is not stored")
	}
	b.fake.RemoveKey(wizOld.APIKey) // the user revokes it on the exchange
	b.keys("r")
	b.waitFor("old key kwTE…d0Ie revoked")
	b.keys("Enter")
	b.waitFor("Done")
	b.keys("Enter")
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
	b.waitFor("Rotate the key of bybit-grid")
	b.keys("Enter")
	b.paste(wizNew.APIKey)
	b.keys("Enter")
	b.waitFor("API secret")
	b.paste(wizNew.Secret)
	b.keys("Enter")
	b.waitFor("good to store")
	b.keys("Escape")
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
