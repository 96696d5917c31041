//go:build !darwin && !windows

package keystore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errNoBus is the keyring error on a box without a D-Bus session bus, the
// usual headless VPS.
var errNoBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")

// checkSessionBus fails fast when there is no session bus to talk to. The
// D-Bus library would otherwise run dbus-launch, which starts a stray bus
// and keyring daemon on every keywarden run and leaves them behind.
func checkSessionBus() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	dirs := []string{fmt.Sprintf("/run/user/%d", os.Getuid())}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		for _, f := range []string{"bus", "dbus-session"} {
			if _, err := os.Stat(filepath.Join(d, f)); err == nil {
				return nil
			}
		}
	}
	return errNoBus
}
