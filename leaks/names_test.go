package leaks

import (
	"bytes"
	"strings"
	"testing"
)

// assertNoValue fails when a stored value, raw or in any encoding the
// matcher knows, is in out.
func assertNoValue(t *testing.T, what string, out []byte) {
	t.Helper()
	m := NewMatcher(testTargets())
	defer m.Close()
	if ms := m.Find(out); len(ms) > 0 {
		t.Fatalf("%s holds the stored %s (%s):\n%s", what, ms[0].Field, ms[0].Encoding, out)
	}
}

// A key used as a file name in an old commit (holding the secret), a key
// in a branch name and a secret used as a directory name are found, in
// history and in the work tree, and neither the text nor the JSON report
// prints them.
func TestScanFindsAndWithholdsValuesInNames(t *testing.T) {
	r := newRepo(t)
	r.write("bot.py", "print('hi')\n")
	r.write("keys/"+testKey+".json", `{"secret": "`+testSecret+`"}`+"\n")
	r.write(testSecret+"/notes.txt", "nothing here\n")
	old := r.commit("add keys")
	r.remove("keys/" + testKey + ".json")
	r.remove(testSecret + "/notes.txt")
	r.commit("remove keys")
	r.git("branch", "backup-"+testKey, old)
	r.write("live/"+testKey+".txt", "no value inside\n")

	rep := r.scan(true)
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	assertNoValue(t, "the text report", text.Bytes())
	assertNoValue(t, "the JSON report", js.Bytes())

	var content, histName, refName, treeName bool
	for _, f := range rep.Findings {
		switch {
		case f.Source == SourceHistory && f.Field == FieldSecret && f.Path == "keys/"+RedactedName+".json":
			content = true
			for _, ref := range f.Refs {
				if strings.Contains(ref, testKey) {
					t.Errorf("ref %q printed", ref)
				}
			}
		case f.Source == SourceHistory && f.InRef && f.Field == FieldKey:
			refName = true
		case f.Source == SourceHistory && f.InName && f.Field == FieldSecret && f.Commit != nil && *f.Commit == old:
			histName = true
		case f.Source == SourceWorktree && f.InName && f.Field == FieldKey && f.Path == "":
			treeName = true
		}
	}
	if !content || !histName || !refName || !treeName {
		t.Fatalf("content under a redacted path %v, secret as a directory name in %s %v, key in a branch name %v, key as a work-tree file name %v:\n%s",
			content, old[:10], histName, refName, treeName, text.String())
	}
	var keyInHistName bool
	for _, f := range rep.Findings {
		keyInHistName = keyInHistName || f.Source == SourceHistory && f.InName && !f.InRef && f.Field == FieldKey
	}
	if !keyInHistName {
		t.Errorf("the key as a file name in history was not found:\n%s", text.String())
	}
}
