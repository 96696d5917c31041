package cmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The commands that carry on without a keystore (check, the exec gate, the
// dashboard, watch) get the store or the reason it did not open; only a
// wrong --keystore stops them.
func TestOpenStoreLenient(t *testing.T) {
	app := &App{ConfigPath: writeConfig(t), Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	cfg.Vault = ""
	store, storeErr, err := app.openStoreLenient(ctx, cfg)
	if err != nil || storeErr == nil || store != nil {
		t.Errorf("file keystore without a vault path: store %v, storeErr %v, err %v; want only storeErr", store, storeErr, err)
	}

	app.Keystore = "floppy"
	store, storeErr, err = app.openStoreLenient(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "unknown keystore") || store != nil || storeErr != nil {
		t.Errorf("wrong --keystore: store %v, storeErr %v, err %v; want only err", store, storeErr, err)
	}
}
