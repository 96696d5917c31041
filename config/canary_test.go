package config

import (
	"strings"
	"testing"
)

// A secret pasted anywhere in the config (any field, a table name, a dotted
// key, a place the TOML syntax does not allow) is never echoed by the error,
// which still names file, line and field.
func TestConfigErrorsNeverQuoteValues(t *testing.T) {
	const c = "kwCANARYcfg7Hq2Zp9Lm4Xc8Vb1Nw6Rt3Ys5Ud0Ie"
	const lower = "kwcanarycfg7hq2zp9lm4xc8vb1nw6rt3ys5ud0ie"
	const hexKey = "5f8a9b2c3d4e5f6a7b8c9d0e" // a KuCoin-shaped key
	prof := "[[profile]]\nname = \"a\"\nexchange = \"okx\"\n"
	huge := strings.Repeat("A", 1<<20-200) + c
	for _, tc := range []struct{ name, text, want string }{
		{"keystore", "keystore = \"" + c + "\"\n", "c.toml:1: keystore:"},
		{"warn_ms type", "[clock]\nwarn_ms = \"" + c + "\"\n", "c.toml:2:"},
		{"ip sources", "[ip]\nsources = [\"https://x\", \"" + c + "\"]\n", "c.toml:2: ip.sources:"},
		{"rotation max_age", "[rotation]\nmax_age = \"" + c + "\"\n", "c.toml:2: rotation.max_age:"},
		{"rotation warn_before", "[rotation]\nwarn_before = \"" + c + "\"\n", "c.toml:2: rotation.warn_before:"},
		{"profile name", "[[profile]]\nname = \"" + c + "\"\nexchange = \"okx\"\n", "c.toml:2: profile.name:"},
		{"exchange", "[[profile]]\nname = \"a\"\nexchange = \"" + c + "\"\n", "c.toml:3: profile.exchange:"},
		{"base_url", prof + "base_url = \"" + c + "\"\n", "c.toml:4: profile.base_url:"},
		{"whitelist", prof + "whitelist = [\"" + c + "\"]\n", "c.toml:4: profile.whitelist:"},
		{"needs", prof + "needs = [\"read\", \"" + c + "\"]\n", "c.toml:4: profile.needs:"},
		{"max_age", prof + "max_age = \"" + c + "\"\n", "c.toml:4: profile.max_age:"},
		{"max_age number-like", prof + "max_age = \"9" + c + "d\"\n", "c.toml:4: profile.max_age:"},
		{"created", prof + "created = \"" + c + "\"\n", "c.toml:4: profile.created:"},
		{"env key", prof + "env = { key = \"" + c + "-\" }\n", "c.toml:4: profile.env:"},
		{"env secret", prof + "env = { secret = \"" + c + " x\" }\n", "c.toml:4: profile.env:"},
		{"env passphrase", prof + "env = { passphrase = \"9" + c + "\" }\n", "c.toml:4: profile.env:"},
		{"alert type", "[[alert]]\ntype = \"" + c + "\"\n", "c.toml:2: alert.type:"},
		{"alert min_status", "[[alert]]\ntype = \"ntfy\"\nurl = \"https://x\"\nmin_status = \"" + c + "\"\n", "c.toml:4: alert.min_status:"},
		{"unknown top-level key", c + " = 1\n", "c.toml:1:"},
		{"unknown quoted key", "\"" + c + "\" = 1\n", "c.toml:1:"},
		{"unknown field in a profile", prof + c + " = \"x\"\n", "c.toml:4:"},
		{"unknown table", "[" + c + "]\nx = 1\n", "c.toml:"},
		{"lower-case hex table", "[" + hexKey + "]\nx = 1\n", "c.toml:1:"},
		{"unknown array of tables", "[[" + c + "]]\nx = 1\n", "c.toml:"},
		{"unknown sub-table", "[profile." + c + "]\nx = 1\n", "c.toml:"},
		{"dotted key", "clock." + c + " = 1\n", "c.toml:1:"},
		{"dotted key in a profile", prof + "env." + c + " = \"X\"\n", "c.toml:4:"},
		{"inline table key", prof + "env = { " + c + " = \"X\" }\n", "c.toml:4:"},
		{"duplicate key", c + " = 1\n" + c + " = 2\n", "c.toml:2:"},
		{"bare value", prof + "api_secret = " + c + "\n", "c.toml:4:"},
		{"dotenv line", "BINANCE_API_SECRET=" + c + "\n", "c.toml:1:"},
		{"after a value", "keystore = \"file\" " + c + "\n", "c.toml:1:"},
		{"bad escape", "keystore = \"\\q" + c + "\"\n", "c.toml:1:"},
		{"unterminated string", "keystore = \"" + c + "\n", "c.toml:1:"},
		{"literal string", "keystore = '" + c + "'\n", "c.toml:1: keystore:"},
		{"bad date", prof + "created = 2026-10-01T" + c + "\n", "c.toml:4:"},
		{"bad number", "[clock]\nwarn_ms = 12_" + c + "\n", "c.toml:2:"},
		{"table header junk", "[clock] " + c + "\n", "c.toml:1:"},
		{"array junk", prof + "needs = [\"read\" " + c + "]\n", "c.toml:4:"},
		{"1 MB value", "keystore = \"" + huge + "\"\n", "c.toml:1: keystore:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.toml", []byte(tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, part := range []string{c[:10], c[len(c)-10:], lower[:10], lower[len(lower)-10:], hexKey} {
				if strings.Contains(msg, part) {
					t.Fatalf("error quotes the value (%q): %.300s", part, msg)
				}
			}
			if len(msg) > 400 {
				t.Fatalf("error is %d bytes long: %.300s", len(msg), msg)
			}
			if !strings.HasPrefix(msg, tc.want) {
				t.Fatalf("error %q does not start with %q", msg, tc.want)
			}
		})
	}
}
