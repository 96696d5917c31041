package checks

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

// busWithoutSecretService starts a real dbus-daemon whose configuration
// names no service directory, so nothing (gnome-keyring included) can be
// activated on it, and returns its address.
func busWithoutSecretService(t *testing.T) string {
	t.Helper()
	daemon := testutil.LookPath(t, "dbus-daemon")
	dir := t.TempDir()
	addr := "unix:path=" + filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	err := os.WriteFile(conf, []byte(fmt.Sprintf(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`, addr)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	// It prints its address once it listens.
	if !bufio.NewScanner(out).Scan() {
		t.Fatal("dbus-daemon printed no address")
	}
	return addr
}

// The keystore check asks the keyring, not only whether it was chosen: a
// session bus where no Secret Service answers, and an address nothing
// listens on, are unknown with the reason and what to do, never ✓.
func TestKeystoreCheckKeyringNotAnswering(t *testing.T) {
	ctx := context.Background()
	// In this order: godbus keeps the first session bus it connects to for
	// the whole process, and a refused address leaves none.
	for _, tt := range []struct{ name, addr string }{
		{"address that refuses", "unix:path=" + filepath.Join(t.TempDir(), "nothing")},
		{"bus without a Secret Service", busWithoutSecretService(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", tt.addr)
			st, err := keystore.Open(ctx, keystore.Options{Backend: keystore.BackendKeyring, Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			r := RunOne(ctx, NewEnv(Deps{Store: st}), Func{CheckID: "keystore", Fn: runKeystore})
			if r.Status != Unknown || !strings.HasPrefix(r.Summary, "keystore: keyring") || !strings.Contains(r.Hint, "--keystore file") {
				t.Fatalf("%v %q (hint %q)", r.Status, r.Summary, r.Hint)
			}
			if r.Details["backend"] != keystore.BackendKeyring || r.Details["error"] == nil {
				t.Fatalf("details %v", r.Details)
			}
			t.Logf("%s", r.Summary)
		})
	}
}
