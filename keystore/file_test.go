package keystore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writePassFile(t *testing.T, dir, pass string) string {
	t.Helper()
	p := filepath.Join(dir, "passphrase")
	if err := os.WriteFile(p, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content+"\n"), 0o600) }

func openFileStore(t *testing.T, vault, passFile string) Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Backend: BackendFile, VaultPath: vault, PassphraseFile: passFile})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "sub", "vault.age")
	s := openFileStore(t, vault, writePassFile(t, dir, "correct horse battery staple"))
	if s.Backend() != BackendFile || VaultPath(s) != vault {
		t.Errorf("backend %q path %q", s.Backend(), VaultPath(s))
	}
	if names, err := s.List(ctx); err != nil || len(names) != 0 {
		t.Fatalf("missing vault lists %v, %v", names, err)
	}
	if err := s.Set(ctx, "okx-arb", testItem()); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "binance-main", itemFor("binance-main")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(vault)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("vault mode %04o, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(vault)
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n-> scrypt ")) {
		t.Errorf("vault is not an age scrypt file")
	}
	for _, secret := range []string{testKey, testSecret, testPass, "okx-arb"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatal("vault file holds plaintext")
		}
	}
	// A second store (another process, in effect) reads what the first wrote.
	s2 := openFileStore(t, vault, writePassFile(t, t.TempDir(), "correct horse battery staple"))
	got, err := s2.Get(ctx, "okx-arb")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(testItem()) {
		t.Error("item changed in the vault")
	}
	names, _ := s2.List(ctx)
	if strings.Join(names, ",") != "binance-main,okx-arb" {
		t.Errorf("List = %v", names)
	}
	if err := s2.Delete(ctx, "okx-arb"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "okx-arb"); !errors.Is(err, ErrNotFound) {
		t.Errorf("first store still sees the deleted item: %v", err)
	}
	if err := s.Delete(ctx, "okx-arb"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestFileWrongPassphraseChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	good := openFileStore(t, vault, writePassFile(t, dir, "the right vault passphrase"))
	if err := good.Set(ctx, "a", testItem()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(vault)
	bad := openFileStore(t, vault, writePassFile(t, t.TempDir(), "the wrong vault passphrase"))
	for name, op := range map[string]func() error{
		"get":    func() error { _, err := bad.Get(ctx, "a"); return err },
		"list":   func() error { _, err := bad.List(ctx); return err },
		"set":    func() error { return bad.Set(ctx, "b", itemFor("b")) },
		"delete": func() error { return bad.Delete(ctx, "a") },
	} {
		err := op()
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s with the wrong passphrase: %v", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "nothing was read or changed") || !strings.Contains(err.Error(), vault) {
			t.Errorf("%s: unclear error %q", name, err)
		}
	}
	after, _ := os.ReadFile(vault)
	if !bytes.Equal(before, after) {
		t.Error("the vault changed after wrong-passphrase attempts")
	}
}

func TestFileRefusesLoosePermissions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	pass := writePassFile(t, dir, "pw for the test vault")
	if err := openFileStore(t, vault, pass).Set(ctx, "a", testItem()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(vault, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err := openFileStore(t, vault, pass).List(ctx)
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+vault) {
		t.Errorf("group/world-writable vault: %v", err)
	}
	if err := os.Chmod(vault, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pass, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = openFileStore(t, vault, pass).List(ctx)
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+pass) {
		t.Errorf("world-readable passphrase file: %v", err)
	}
}

func TestFilePassphraseSources(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")

	// No passphrase file, no systemd credential, no terminal: a clear error.
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	s, _ := Open(ctx, Options{Backend: BackendFile, VaultPath: vault})
	err := s.Set(ctx, "a", testItem())
	if err == nil || !strings.Contains(err.Error(), "passphrase_file") || !strings.Contains(err.Error(), CredentialName) {
		t.Errorf("no passphrase source: %v", err)
	}

	// A new vault asks twice; different answers store nothing.
	answers := []string{"the first passphrase typed", "the second passphrase typed"}
	prompt := func(msg string) (Secret, error) {
		a := answers[0]
		answers = answers[1:]
		return NewSecret(a), nil
	}
	s, _ = Open(ctx, Options{Backend: BackendFile, VaultPath: vault, Prompt: prompt})
	if err := s.Set(ctx, "a", testItem()); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("mismatched confirmation: %v", err)
	}
	if _, err := os.Stat(vault); !os.IsNotExist(err) {
		t.Error("a vault was written despite the mismatch")
	}
	var asked []string
	prompt = func(msg string) (Secret, error) {
		asked = append(asked, msg)
		return NewSecret("from-the-prompt passphrase"), nil
	}
	s, _ = Open(ctx, Options{Backend: BackendFile, VaultPath: vault, Prompt: prompt})
	if err := s.Set(ctx, "a", testItem()); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 {
		t.Errorf("new vault asked %d times, want 2 (passphrase and confirmation)", len(asked))
	}

	// The systemd credential opens it without a prompt.
	cred := t.TempDir()
	if err := os.WriteFile(filepath.Join(cred, CredentialName), []byte("from-the-prompt passphrase"), 0o400); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", cred)
	s, _ = Open(ctx, Options{Backend: BackendFile, VaultPath: vault})
	if _, err := s.Get(ctx, "a"); err != nil {
		t.Errorf("systemd credential: %v", err)
	}
}

func helperCmd(mode string, env ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), append([]string{helperEnv + "=" + mode}, env...)...)
	return c
}

// writerDeadline is far beyond a healthy writer's time (milliseconds, or
// seconds on a busy disk) and short of go test's own timeout.
const writerDeadline = 3 * time.Minute

// Two processes adding different profiles at the same moment must both
// survive: the lock serialises read-modify-write.
func TestFileConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	runs := 50
	if testing.Short() {
		runs = 5
	}
	base := t.TempDir()
	pass := writePassFile(t, base, "pw for the test vault")
	for run := 0; run < runs; run++ {
		vault := filepath.Join(base, fmt.Sprintf("run%02d", run), "vault.age")
		var cmds []*exec.Cmd
		var outs []*bytes.Buffer
		for _, prof := range []string{"alpha", "beta"} {
			c := helperCmd("set", "VAULT="+vault, "PASSFILE="+pass, "PROFILE="+prof)
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, c), append(outs, &out)
		}
		for i, c := range cmds {
			// A writer that never finishes is a bug (a lock never released,
			// an unbounded wait): SIGQUIT makes it print where it is stuck.
			watchdog := time.AfterFunc(writerDeadline, func() { _ = c.Process.Signal(syscall.SIGQUIT) })
			err := c.Wait()
			watchdog.Stop()
			if err != nil {
				t.Fatalf("run %d: writer %d: %v: %s", run, i, err, outs[i])
			}
		}
		names, err := openFileStore(t, vault, pass).List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(names, ",") != "alpha,beta" {
			t.Fatalf("run %d: vault holds %v, a write was lost", run, names)
		}
	}
}

// A writer killed at a random point leaves a vault that opens, holding the
// old or the new content, never a corrupt or mixed one.
func TestFileSIGKILLedWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	pass := writePassFile(t, dir, "pw for the test vault")
	seed := openFileStore(t, vault, pass)
	if err := seed.Set(ctx, "keep", itemFor("keep")); err != nil {
		t.Fatal(err)
	}
	kills := 30
	if testing.Short() {
		kills = 5
	}
	writes := 0
	defer func() { t.Logf("%d kills, %d writes completed before them", kills, writes) }()
	for k := 0; k < kills; k++ {
		if err := os.Remove(vault); err != nil {
			t.Fatal(err)
		}
		if err := seed.Set(ctx, "keep", itemFor("keep")); err != nil {
			t.Fatal(err)
		}
		c := helperCmd("writer", "VAULT="+vault, "PASSFILE="+pass)
		pipe, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Once the first write is done the writer is in its loop: a kill
		// within the next few writes lands at a random point inside one.
		r := bufio.NewReader(pipe)
		first, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("writer did not start: %v", err)
		}
		time.Sleep(time.Duration(rand.IntN(20_000)) * time.Microsecond)
		_ = c.Process.Kill()
		rest, _ := io.ReadAll(r)
		_ = c.Wait()
		out := bytes.NewBufferString(first + string(rest))

		s := openFileStore(t, vault, pass) // a fresh reader, as after a crash
		names, err := s.List(ctx)
		if err != nil {
			t.Fatalf("kill %d: vault does not open after SIGKILL: %v", k, err)
		}
		writes += len(names) - 1
		stored := map[string]bool{}
		for _, n := range names {
			stored[n] = true
			it, err := s.Get(ctx, n)
			if err != nil || !it.Equal(itemFor(n)) {
				t.Fatalf("kill %d: item %s damaged: %v", k, n, err)
			}
		}
		if !stored["keep"] {
			t.Fatalf("kill %d: the pre-existing item was lost", k)
		}
		// Writes are sequential: p0..p(n-1) must all be there, no gaps.
		for i := 0; i < len(names)-1; i++ {
			if !stored["p"+strconv.Itoa(i)] {
				t.Fatalf("kill %d: %v has a gap at p%d", k, names, i)
			}
		}
		// Every index the writer reported as stored must be there.
		for _, line := range strings.Fields(out.String()) {
			if !stored["p"+line] {
				t.Fatalf("kill %d: p%s was reported stored but is missing", k, line)
			}
		}
		// The lock died with the writer, and its temp files are cleaned.
		if err := s.Set(ctx, "after", itemFor("after")); err != nil {
			t.Fatalf("kill %d: write after crash: %v", k, err)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Fatalf("kill %d: stale temp file %s left after the next write", k, e.Name())
			}
		}
	}
}

// ReadBack must see the file on disk, not the store's cache: it is what
// import --shred trusts before destroying the dotenv.
func TestReadBackBypassesCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	pass := writePassFile(t, dir, "pw for the test vault")
	s := openFileStore(t, vault, pass)
	if err := s.Set(ctx, "a", testItem()); err != nil {
		t.Fatal(err)
	}
	// The vault is rewritten in place (same inode, same size, same mtime)
	// with one holding "b" instead: the cache cannot notice, a real read can.
	fi, err := os.Stat(vault)
	if err != nil {
		t.Fatal(err)
	}
	otherPath := filepath.Join(dir, "other.age")
	if err := openFileStore(t, otherPath, pass).Set(ctx, "b", testItem()); err != nil {
		t.Fatal(err)
	}
	otherBytes, _ := os.ReadFile(otherPath)
	if int64(len(otherBytes)) != fi.Size() {
		t.Fatalf("vaults differ in size (%d, %d)", len(otherBytes), fi.Size())
	}
	if err := os.WriteFile(vault, otherBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(vault, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "a"); err != nil {
		t.Fatalf("the cached Get should still see a (the premise of this test): %v", err)
	}
	if _, err := ReadBack(ctx, s, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadBack after the vault changed on disk: %v, want ErrNotFound", err)
	}
	if _, err := ReadBack(ctx, NewMemory(), "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadBack on memory: %v", err)
	}
}
