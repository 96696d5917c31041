package cmd

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The shell recipes of README.md, docs/ and contrib/ never put a
// passphrase or token where it stays: no heredoc (its text is in the shell
// history) and no printf or echo of a literal (in the history too); a
// value comes from `read -rs` into a variable and goes on through a
// builtin.
func TestDocsRecipesKeepSecretsOutOfHistory(t *testing.T) {
	bad := map[string]*regexp.Regexp{
		"a heredoc":                   regexp.MustCompile(`<<-?\s*['"]?\w+`),
		"printf of a literal value":   regexp.MustCompile(`printf\s+'[^']*'\s+'`),
		"echo of a literal to a file": regexp.MustCompile(`echo\s+(-n\s+)?'[^']*'\s*>`),
	}
	files, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../README.md")
	_ = filepath.WalkDir("../contrib", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inCode := !strings.HasSuffix(f, ".md") // contrib files are all recipe
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inCode = !inCode
				continue
			}
			if !inCode {
				continue
			}
			checked++
			for what, re := range bad {
				if re.MatchString(line) {
					t.Errorf("%s:%d: %s puts the value in the shell history; use read -rs: %s", f, i+1, what, strings.TrimSpace(line))
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d recipe lines checked: the docs moved?", checked)
	}
}
