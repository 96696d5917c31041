package cmd

import (
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/keywarden/keywarden/internal/gitsafe/gitsafetest"
)

// cmdHostileGit builds a repository whose config, hooks and attributes
// try every way to make git run a program (see gitsafetest), holding the
// script's API secret in config.py and in history:
// hostilegit DIR (markers go to DIR.markers).
func cmdHostileGit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hostilegit DIR")
	}
	dir := ts.MkAbs(args[0])
	gitsafetest.New(ts, dir, dir+".markers", scriptSecrets[1])
}

// cmdNothingRan fails when a program of the hostile repository in DIR ran:
// nothingran DIR.
func cmdNothingRan(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: nothingran DIR")
	}
	dir := ts.MkAbs(args[0])
	h := gitsafetest.Hostile{Dir: dir, Markers: filepath.Clean(dir + ".markers")}
	if ran := h.Ran(); len(ran) > 0 {
		ts.Fatalf("git ran the repository's programs:\n%s", strings.Join(ran, "\n"))
	}
}
