package testutil

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	// x/exp/golden, which teatest imports, registers -update when it
	// initialises and panics if the name is already taken. Importing it here
	// makes it initialise before this package in every test binary, so there
	// is exactly one -update flag, whether or not the test also uses teatest.
	_ "github.com/charmbracelet/x/exp/golden"
)

// Updating reports whether the test binary was run with -update.
func Updating() bool {
	f := flag.Lookup("update")
	if f == nil {
		return false
	}
	v, _ := f.Value.(flag.Getter).Get().(bool)
	return v
}

// Golden compares got with testdata/name in the test's package directory.
// Under -update it writes got there instead.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if Updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run '%s' -update in the package's directory to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (rerun with -update if the change is intended):\n--- got\n%s\n--- want\n%s", t.Name(), path, got, want)
	}
}
