package keystore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
)

// helperEnv makes the test binary act as a helper process instead of
// running tests: the file-backend concurrency and crash tests need real
// separate processes, and the keyring tests need a fresh D-Bus connection.
const helperEnv = "KEYSTORE_TEST_HELPER"

func TestMain(m *testing.M) {
	ScryptWorkFactor = 10 // fast vaults in tests; production uses 15
	// Off unless a test turns it on: a cached file key would open a vault
	// a wrong passphrase must not.
	os.Setenv(UnlockTTLEnv, "0")
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h))
	}
	os.Exit(m.Run())
}

func runHelper(mode string) int {
	ctx := context.Background()
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	switch mode {
	case "set": // store one profile in the vault
		s, err := Open(ctx, Options{Backend: BackendFile, VaultPath: os.Getenv("VAULT"), PassphraseFile: os.Getenv("PASSFILE")})
		if err != nil {
			return fail(err)
		}
		if err := s.Set(ctx, os.Getenv("PROFILE"), itemFor(os.Getenv("PROFILE"))); err != nil {
			return fail(err)
		}
		return 0
	case "rekey-limited": // re-encrypt under NEWPASS with RLIMIT_FSIZE below the vault's size
		s, err := Open(ctx, Options{Backend: BackendFile, VaultPath: os.Getenv("VAULT"), PassphraseFile: os.Getenv("PASSFILE")})
		if err != nil {
			return fail(err)
		}
		if _, err := s.List(ctx); err != nil {
			return fail(err)
		}
		// From here a file write past 64 bytes fails (EFBIG) or kills the
		// process (SIGXFSZ): the temp file is cut off mid-write.
		lim := syscall.Rlimit{Cur: 64, Max: 64}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			return fail(err)
		}
		if err := ChangePassphrase(ctx, s, NewSecret(os.Getenv("NEWPASS"))); err != nil {
			return fail(err)
		}
		return 0
	case "writer": // store p0, p1, ... until killed, printing each index once stored
		s, err := Open(ctx, Options{Backend: BackendFile, VaultPath: os.Getenv("VAULT"), PassphraseFile: os.Getenv("PASSFILE")})
		if err != nil {
			return fail(err)
		}
		for i := 0; ; i++ {
			name := "p" + strconv.Itoa(i)
			if err := s.Set(ctx, name, itemFor(name)); err != nil {
				return fail(err)
			}
			fmt.Println(i)
		}
	case "hang": // own org.freedesktop.secrets on the bus and never answer
		conn, err := dbus.Connect(os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
		if err != nil {
			return fail(err)
		}
		reply, err := conn.RequestName("org.freedesktop.secrets", dbus.NameFlagDoNotQueue)
		if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			return fail(fmt.Errorf("cannot own org.freedesktop.secrets: %v %v", reply, err))
		}
		fmt.Println("ready")
		// Stopped, the process holds the name but can never reply.
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		select {}
	case "keyring": // run one keyring operation and print the error
		timeout, _ := time.ParseDuration(os.Getenv("TIMEOUT"))
		s, err := Open(ctx, Options{Backend: os.Getenv("BACKEND"), VaultPath: os.Getenv("VAULT"), Timeout: timeout})
		if err != nil {
			fmt.Println(err)
			return 2
		}
		_, err = s.List(ctx)
		if err == nil {
			return 0
		}
		fmt.Println(err)
		// A second call while the first is stuck fails at once.
		_, err = s.Get(ctx, "x")
		fmt.Println(err)
		return 2
	}
	return fail(fmt.Errorf("unknown helper %q", mode))
}

// itemFor derives a distinct item from a profile name, so a reader can tell
// a complete item from a mixed-up one.
func itemFor(name string) Item {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return Item{
		APIKey:    NewSecret("key-" + name + "-0123456789"),
		APISecret: NewSecret("secret-" + name + "-abcdefghij"),
		CreatedAt: t0, StoredAt: t0,
	}
}
