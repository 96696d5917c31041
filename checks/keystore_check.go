package checks

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/keywarden/keywarden/keystore"
)

func runKeystore(ctx context.Context, env *Env) Result {
	st, err := env.Store()
	if err != nil {
		// The keystore's errors put what to do on a line of its own.
		msg, fix, _ := strings.Cut(err.Error(), "\n")
		fix = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(fix), "fix:"))
		if fix == "" {
			fix = "start a Secret Service, or use --keystore file with a vault"
		}
		return Result{Status: Unknown, Summary: "keystore not available: " + msg,
			Details: map[string]any{"backend": nil, "path": nil, "mode": nil, "error": err.Error()},
			Hint:    fix}
	}
	d := map[string]any{"backend": st.Backend(), "path": nil, "mode": nil}
	if st.Backend() != keystore.BackendFile {
		// Opening the keyring asks nothing of it (--keystore keyring), and
		// one that answered at start may have stopped: ask it now.
		if _, err := st.List(ctx); err != nil {
			msg := keystore.Reason(err)
			d["error"] = msg
			return Result{Status: Unknown, Details: d,
				Summary: "keystore: " + msg,
				Hint:    "start or unlock a Secret Service (see README: headless setup), or use --keystore file with a vault"}
		}
		return Result{Status: OK, Summary: "keystore: " + st.Backend(), Details: d}
	}
	path := keystore.VaultPath(st)
	if path == "" {
		path = env.Config().Vault
	}
	d["path"] = path
	fi, err := os.Stat(path)
	if err != nil {
		return Result{Status: Unknown, Summary: "vault not readable: " + err.Error(), Details: d,
			Hint: "check the vault path in the config (vault = ...)"}
	}
	mode := fi.Mode().Perm()
	d["mode"] = fmt.Sprintf("%04o", mode)
	switch {
	case mode&0o022 != 0:
		return Result{Status: Crit, Details: d,
			Summary: fmt.Sprintf("vault %s is group- or world-writable (%04o)", path, mode),
			Hint:    fmt.Sprintf("chmod 600 %s", path)}
	case mode&0o044 != 0:
		return Result{Status: Warn, Details: d,
			Summary: fmt.Sprintf("vault %s is readable by others (%04o)", path, mode),
			Hint:    fmt.Sprintf("chmod 600 %s (it is encrypted, but nobody else needs to copy it)", path)}
	}
	return Result{Status: OK, Summary: fmt.Sprintf("keystore: file %s (%04o)", path, mode), Details: d}
}
