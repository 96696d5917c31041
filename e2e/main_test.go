package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// keywardenBin is the real binary, built once by TestMain.
var keywardenBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keywarden-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	keywardenBin = filepath.Join(dir, "keywarden")
	build := exec.Command("go", "build", "-o", keywardenBin, "github.com/keywarden/keywarden")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building keywarden:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
