package secretenc

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/keywarden/keywarden/internal/testutil"
)

// Values shaped like real credentials: an alphanumeric key (Binance), a
// base64 secret with / and + (Kraken), a passphrase with every kind of
// special character (OKX lets users choose one).
var values = []string{
	"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgw",
	"kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNs+3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
	`p@ss w/rd+&=ok~?>"'\é€😀$` + "`!,",
}

// found reports whether doc holds one of v's forms, and under which name.
func found(v, doc string) (Name, bool) {
	for _, f := range Forms([]byte(v)) {
		if bytes.Contains([]byte(doc), f.Value) {
			return f.Name, true
		}
	}
	return "", false
}

// TestFormsCoverRealEncoders writes each value with real encoders (Go's
// JSON and TOML, Python's json and shlex, bash's printf %q) and hand-made
// forms other languages write (PHP's \/, every character \u-escaped, a JSON
// string inside a JSON string, YAML single quotes) and checks that one of
// the forms is in every output.
func TestFormsCoverRealEncoders(t *testing.T) {
	python := testutil.LookPath(t, "python3")
	bash := testutil.LookPath(t, "bash")
	for _, v := range values {
		docs := map[string]string{}
		b, _ := json.Marshal(map[string]string{"secret": v})
		docs["go json (HTML-safe)"] = string(b)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]string{"secret": v})
		docs["go json"] = buf.String()
		docs["json in json"] = func() string { b, _ := json.Marshal(string(b)); return string(b) }()
		buf.Reset()
		if err := toml.NewEncoder(&buf).Encode(map[string]string{"secret": v}); err != nil {
			t.Fatal(err)
		}
		docs["toml"] = buf.String()
		docs["php json_encode"] = strings.ReplaceAll(jsonEscape(v, true), "/", `\/`)
		docs["yaml single-quoted"] = "secret: '" + strings.ReplaceAll(v, "'", "''") + "'"
		docs["all \\u"] = escapeEach(v, `\u%04x`, true)
		for name, prog := range map[string]string{
			"python json.dumps":                  "import json,sys; print(json.dumps(sys.argv[1]))",
			"python json.dumps ascii=False":      "import json,sys; print(json.dumps(sys.argv[1], ensure_ascii=False))",
			"python shlex.quote":                 "import shlex,sys; print(shlex.quote(sys.argv[1]))",
			"python json in json (ensure_ascii)": "import json,sys; print(json.dumps(json.dumps({'k': sys.argv[1]})))",
		} {
			out, err := exec.Command(python, "-c", prog, v).Output()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			docs[name] = string(out)
		}
		out, err := exec.Command(bash, "-c", `printf 'export SECRET=%q\n' "$1"`, "bash", v).Output()
		if err != nil {
			t.Fatal(err)
		}
		docs["bash printf %q"] = string(out)
		docs["shell double quotes"] = `SECRET="` + shellDoubleQuoted(v) + `"`
		for name, doc := range docs {
			if _, ok := found(v, doc); !ok {
				t.Errorf("value #%d written by %s: no form found", indexOf(v), name)
			}
		}
	}
}

func indexOf(v string) int {
	for i, w := range values {
		if w == v {
			return i
		}
	}
	return -1
}

// TestFormsDistinctAndNamed: raw first, no form twice, every form
// non-empty, and an alphanumeric value has no escapes but the \u and \x
// ones (and their doubled backslashes).
func TestFormsDistinctAndNamed(t *testing.T) {
	for _, v := range values {
		forms := Forms([]byte(v))
		if forms[0].Name != Raw || string(forms[0].Value) != v {
			t.Errorf("value #%d: first form is %s, want raw", indexOf(v), forms[0].Name)
		}
		seen := map[string]bool{}
		for _, f := range forms {
			if len(f.Value) == 0 || seen[string(f.Value)] {
				t.Errorf("value #%d: %s form empty or repeated", indexOf(v), f.Name)
			}
			seen[string(f.Value)] = true
		}
	}
	for _, f := range Forms([]byte(values[0])) {
		switch f.Name {
		case Escaped, Quoted:
			t.Errorf("alphanumeric value has a %s form", f.Name)
		}
	}
}
