package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A secret pasted unquoted into the config (a .env line) must not be echoed
// by the decoder's "found ... instead" messages; the line and field remain.
func TestParseErrorHidesValues(t *testing.T) {
	const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e5UZjFQ9b3oA6Cr"
	for _, tc := range []struct{ name, text, want string }{
		{"bare word", "[[profile]]\nname = \"a\"\nexchange = \"binance\"\napi_secret = " + secret + "\n", `c.toml:4: field "profile.api_secret"`},
		{"dotenv line", "BINANCE_API_SECRET=" + secret + "\n", "c.toml:1:"},
		{"number-like", "warn = 9" + secret + "\n", "c.toml:1:"},
		{"float-like", "warn = 9.9" + secret + "\n", "c.toml:1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.toml", []byte(tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, part := range []string{secret[:4], secret[len(secret)-6:]} {
				if strings.Contains(msg, part) {
					t.Fatalf("error quotes the value (%q): %s", part, msg)
				}
			}
			if !strings.HasPrefix(msg, tc.want) {
				t.Fatalf("error %q does not start with %q", msg, tc.want)
			}
		})
	}
}

// Deep nesting is refused up front with the line; decoding it would take
// minutes (the decoder is quadratic in depth).
func TestParseRefusesDeepNesting(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"inline tables", "a = " + strings.Repeat("{x=", 50000), "c.toml:1: nested more than"},
		{"arrays of tables over lines", "a = " + strings.Repeat("[\n{x=", 20000), "c.toml:33: nested more than"},
		{"dotted keys", strings.Repeat("x.", 50000) + "x = 1\n", "c.toml:1: nested more than"},
		{"table header", "[" + strings.Repeat("x.", 50000) + "x]\n", "c.toml:1: nested more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.toml", []byte(tc.text))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want prefix %q", err, tc.want)
			}
		})
	}
}

// Brackets and dots inside strings and comments are not nesting: a config
// full of them still loads.
func TestParseNestingIgnoresStringsAndComments(t *testing.T) {
	many := strings.Repeat("[{.", 100)
	text := "passphrase_file = \"/run/" + many + "\\\"\"\n" +
		"vault = '''/v\n" + many + "'''\n" +
		"# " + many + "\n" +
		"[[profile]] # " + many + "\n" +
		"name = \"a\"\nexchange = \"binance\"\n"
	cfg, err := Parse("c.toml", []byte(text))
	if err != nil {
		t.Fatalf("strings or comments counted as nesting: %v", err)
	}
	if !strings.HasSuffix(cfg.PassphraseFile, many+`"`) || !strings.HasSuffix(cfg.Vault, many) {
		t.Fatalf("passphrase_file = %q, vault = %q", cfg.PassphraseFile, cfg.Vault)
	}
}

// A huge file is refused without being read whole.
func TestLoadRefusesHugeFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.toml")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: 1 GiB on paper, nothing on disk.
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(p)
	if err == nil || !strings.Contains(err.Error(), "larger than") || !strings.HasPrefix(err.Error(), p) {
		t.Fatalf("got %v, want a size error naming %s", err, p)
	}
}
