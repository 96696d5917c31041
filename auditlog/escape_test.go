package auditlog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/keystore"
)

// A JSON logger may escape characters of a stored secret (\u0041, or \/ in
// a base64 secret). The line as written holds no needle, but the decoded
// message would: no field of the entry may hold the secret, and the entry
// must say a secret was in the log.
func TestParseRedactsSecretsWrittenWithEscapes(t *testing.T) {
	const sec = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e5UZjFQ9b3oA6Cr"
	const b64 = "q+Lx/8Qw2c9TzvN3kPa/Yd0bRe7Uf1Gh"
	p := &Parser{Exchange: "binance", Redactor: NewRedactor([]keystore.Secret{keystore.NewSecret(sec), keystore.NewSecret(b64)})}
	for _, tc := range []struct{ name, line string }{
		{"unicode escape in msg", `{"level":"error","msg":"signed with \u004e` + sec[1:] + `","code":-2015}`},
		{"all escaped", `{"level":"error","msg":"` + jsonEscapeAll(sec) + `"}`},
		{"escaped slash", `{"level":"error","msg":"secret ` + strings.ReplaceAll(b64, "/", `\/`) + `"}`},
		{"other field", `{"level":"error","msg":"bad","secret":"\u004e` + sec[1:] + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := p.Parse([]byte(tc.line))
			all := fmt.Sprintf("%+v", e)
			for _, v := range []string{sec, b64} {
				if strings.Contains(all, v) {
					t.Fatalf("entry holds the secret: %s", all)
				}
			}
			if !e.Redacted || !strings.Contains(e.Raw, RedactedMark) {
				t.Fatalf("Redacted=%v Raw=%q: want the secret reported and marked", e.Redacted, e.Raw)
			}
		})
	}
	// An escaped line without a secret is shown as written.
	line := `{"level":"error","msg":"path C:\\bot \u00e9 a\/b"}`
	if e := p.Parse([]byte(line)); e.Redacted || e.Raw != line {
		t.Fatalf("Redacted=%v Raw=%q, want %q unchanged", e.Redacted, e.Raw, line)
	}
}

func jsonEscapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}
