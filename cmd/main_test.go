package cmd

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

// TestMain lets testscript run the real command tree as the program
// "keywarden" (a re-exec of this test binary), so `exec` can replace the
// process for real.
func TestMain(m *testing.M) {
	keystore.ScryptWorkFactor = 10 // fast vaults in tests; production uses 15
	// The unlock cache is off unless a test turns it on: a file key cached
	// by one command would open the vault for a later one given a wrong
	// passphrase on purpose.
	os.Setenv(keystore.UnlockTTLEnv, "0")
	testscript.Main(m, map[string]func(){
		"keywarden": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// The secrets in testdata/script/*.txtar dotenv files. nosecret fails when
// any of them shows up where it must not.
var scriptSecrets = []string{
	"kwTESTkey7Hq2Zp9Lm4Xc8Vb1Nw6Rt3Ys5Ud0Ie", // API key
	"kwTESTsecretA9s8D7f6G5h4J3k2L1q0W9e8R7t", // API secret
	"kwTESTpassphrase-Qm3Xv9",                 // API passphrase
	"kwTESTsecondKeyPp0Oo9Ii8Uu7Yy6Tt5",       // second profile's key
	"kwTESTsecondSecretZz1Xx2Cc3Vv4Bb5Nn6",    // second profile's secret
	"kwTESTtoken-hook-Rr8Ee7Ww6Qq5",           // a notifier token
	"kwTESTokxKey-3b1f9c2e-Aa7Ss6Dd5",         // a third profile's key (OKX)
	"kwTESTokxSecretGg4Hh3Jj2Kk1Ll0",          // its secret
	"kwTESTokxPass-Mm9Nn8",                    // its passphrase
	"kwTESTjwtFreqtrade-Vv2Bb3Nn4Mm5",         // freqtrade's API server JWT key: never imported
}

// encodings of a secret that count as leaks too.
func encodings(s string) []string {
	return []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte(s)), url.QueryEscape(s)}
}

func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir: dir,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			e.Setenv("HOME", home)
			e.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			e.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
			e.Setenv("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
			e.Setenv("XDG_RUNTIME_DIR", filepath.Join(e.WorkDir, "run"))
			e.Setenv("CREDENTIALS_DIRECTORY", "")
			e.Setenv(keystore.UnlockTTLEnv, "0")
			e.Setenv("KEYWARDEN_CONFIG", "")
			e.Setenv("KEYWARDEN_KEYSTORE", "")
			if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && strings.Contains(dir, "keyring") {
				e.Setenv("DBUS_SESSION_BUS_ADDRESS", a)
			} else {
				e.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"nosecret": cmdNoSecret,
			"kwexit":   cmdKwExit,
		},
		Condition: func(cond string) (bool, error) {
			if cond == "userbus" { // a systemd user bus keywarden would find
				_, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid()))
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		RequireExplicitExec: true,
	}
}

// cmdNoSecret checks that no test secret (or its base64/URL encoding)
// appears: with no arguments in the last command's stdout and stderr; with
// "files DIR..." in every file under the DIRs except age vaults.
func cmdNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("nosecret does not support !")
	}
	check := func(where string, data []byte) {
		for i, s := range scriptSecrets {
			for _, enc := range encodings(s) {
				if bytes.Contains(data, []byte(enc)) {
					ts.Fatalf("test secret #%d found in %s", i, where)
				}
			}
		}
	}
	if len(args) == 0 {
		check("stdout", []byte(ts.ReadFile("stdout")))
		check("stderr", []byte(ts.ReadFile("stderr")))
		return
	}
	if args[0] != "files" || len(args) < 2 {
		ts.Fatalf("usage: nosecret [files DIR...]")
	}
	n := 0
	for _, dir := range args[1:] {
		err := filepath.WalkDir(ts.MkAbs(dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, ".age") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n++
			check(path, data)
			return nil
		})
		if err != nil {
			ts.Fatalf("scanning %s: %v", dir, err)
		}
	}
	ts.Logf("nosecret: %d files clean", n)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

// TestScriptsKeyring runs the CLI against the real gnome-keyring that
// scripts/test.sh starts on a private session bus.
func TestScriptsKeyring(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		testutil.MissingReal(t, "no D-Bus session bus with gnome-keyring (DBUS_SESSION_BUS_ADDRESS unset)")
	}
	secretTool := testutil.LookPath(t, "secret-tool")
	// A run killed half-way may have left its item behind; clear fails
	// harmlessly when there is none.
	for _, name := range []string{"kwtest-keyring", "kwtest-two-b"} {
		_ = exec.Command(secretTool, "clear", "service", keystore.Service, "username", name).Run()
	}
	testscript.Run(t, scriptParams("testdata/keyring"))
}

// cmdKwExit runs keywarden and checks its exit status:
// kwexit CODE[,CODE...] ARGS... (testscript's own exec only tells zero from
// non-zero). Several codes accept any of them: "0,1,3" is "not crit" where
// a check the test does not control (NTP on the real network) may vary.
func cmdKwExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: kwexit CODE[,CODE...] [ARGS...]")
	}
	var wants []int
	for _, c := range strings.Split(args[0], ",") {
		w, err := strconv.Atoi(c)
		if err != nil {
			ts.Fatalf("kwexit: bad code %q", c)
		}
		wants = append(wants, w)
	}
	err := ts.Exec("keywarden", args[1:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("kwexit: %v", err)
	}
	if !slices.Contains(wants, got) {
		ts.Fatalf("keywarden exited %d, want %s", got, args[0])
	}
}
