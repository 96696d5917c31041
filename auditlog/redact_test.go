package auditlog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/keystore"
)

// Real-shaped credentials: the Binance and Kraken documentation test
// secrets and the KuCoin documentation passphrase (with characters that
// every encoding changes).
var (
	binanceSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	krakenSecret  = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
	kucoinPass    = "Ab12345678)(*&^%$#@"
	testSecrets   = []string{binanceSecret, krakenSecret, kucoinPass}
)

func testRedactor() *Redactor {
	var ss []keystore.Secret
	for _, s := range testSecrets {
		ss = append(ss, keystore.NewSecret(s))
	}
	return NewRedactor(ss)
}

// assertNoSecret fails when out holds any secret in any encoding.
func assertNoSecret(t *testing.T, what string, out []byte) {
	t.Helper()
	for _, s := range testSecrets {
		for _, enc := range Encodings(s) {
			if bytes.Contains(out, []byte(enc.Value)) {
				t.Fatalf("%s still holds a secret (%s form)", what, enc.Name)
			}
		}
	}
}

func TestEncodingsCoverAllForms(t *testing.T) {
	forms := map[string]bool{}
	for _, e := range Encodings(krakenSecret) {
		forms[e.Value] = true
	}
	want := []string{
		krakenSecret,
		base64.StdEncoding.EncodeToString([]byte(krakenSecret)),
		base64.RawStdEncoding.EncodeToString([]byte(krakenSecret)),
		base64.URLEncoding.EncodeToString([]byte(krakenSecret)),
		base64.RawURLEncoding.EncodeToString([]byte(krakenSecret)),
		url.QueryEscape(krakenSecret),
		url.PathEscape(krakenSecret),
	}
	for i, w := range want {
		if !forms[w] {
			t.Errorf("form %d missing from Encodings", i)
		}
	}
}

func TestRedactEveryEncoding(t *testing.T) {
	r := testRedactor()
	layouts := []string{
		`2026-11-25 16:04:11,123 | DEBUG | signing with secret=%s | nonce=1616492376594`,
		`{"level":"debug","msg":"request","headers":{"KC-API-PASSPHRASE":"%s"}}`,
		`level=debug msg="POST /api/v3/order?signature=abc&secret=%s&x=1"`,
		`DEBUG %s`,
		`%s`,
		`DEBUG Authorization: Basic %s, retrying`,
	}
	for _, s := range testSecrets {
		for _, enc := range Encodings(s) {
			for _, layout := range layouts {
				line := []byte(strings.Replace(layout, "%s", enc.Value, 1))
				orig := append([]byte(nil), line...)
				out, found := r.Redact(line)
				if !found {
					t.Errorf("%s form not found in %q layout", enc.Name, layout)
					continue
				}
				if !bytes.Equal(line, orig) {
					t.Errorf("Redact modified its input")
				}
				assertNoSecret(t, enc.Name+" in "+layout, out)
				if !bytes.Contains(out, []byte(RedactedMark)) {
					t.Errorf("no mark in %q", out)
				}
				// Through the parser: no field holds it either.
				e := (&Parser{Redactor: r}).Parse(line)
				if !e.Redacted {
					t.Errorf("entry not marked redacted")
				}
				for _, field := range []string{e.Message, e.Raw, e.Op, e.Endpoint, e.Code} {
					assertNoSecret(t, "entry field", []byte(field))
				}
			}
		}
	}
}

// TestRedactEscapedForms: the escaped forms a secret takes in a logged
// JSON body (PHP's \/, Go's HTML-safe \u0026, a JSON string inside JSON)
// and a logged shell command are redacted too.
func TestRedactEscapedForms(t *testing.T) {
	r := testRedactor()
	goJSON, _ := json.Marshal(map[string]string{"passphrase": kucoinPass})
	nested, _ := json.Marshal(map[string]string{"body": string(goJSON)})
	for name, line := range map[string]string{
		"php json":    `DEBUG body={"secret":"` + strings.ReplaceAll(krakenSecret, "/", `\/`) + `"}`,
		"go json":     "DEBUG body=" + string(goJSON),
		"nested json": "DEBUG " + string(nested),
		"shell":       `DEBUG exec: curl -H KC-API-PASSPHRASE:Ab12345678\)\(\*\&\^%\$#@ https://api.kucoin.com`, // as bash's printf %q writes it
	} {
		out, found := r.Redact([]byte(line))
		if !found {
			t.Errorf("%s: nothing redacted", name)
			continue
		}
		for _, leftover := range []string{krakenSecret[:20], "Ab12345678"} {
			if bytes.Contains(out, []byte(leftover)) {
				t.Errorf("%s: redacted line still holds part of a secret", name)
			}
		}
	}
}

func TestRedactSeveralAndRepeated(t *testing.T) {
	r := testRedactor()
	line := []byte("a=" + binanceSecret + " b=" + url.QueryEscape(kucoinPass) + " c=" + binanceSecret)
	out, found := r.Redact(line)
	if !found {
		t.Fatal("not found")
	}
	assertNoSecret(t, "line", out)
	if got := r.Count(line); got != 3 {
		t.Errorf("Count = %d, want 3", got)
	}
}

func TestRedactLeavesCleanLinesAlone(t *testing.T) {
	r := testRedactor()
	line := []byte(`2026-11-25 16:04:11,123 | INFO | API CALL: place_order | key fingerprint vmPU…Eh8A`)
	out, found := r.Redact(line)
	if found || &out[0] != &line[0] {
		t.Errorf("clean line changed: %q", out)
	}
	if r.Count(line) != 0 {
		t.Error("Count of a clean line is not 0")
	}
}

func TestRedactIgnoresShortSecrets(t *testing.T) {
	r := NewRedactor([]keystore.Secret{keystore.NewSecret("1234"), keystore.NewSecret("")})
	if !r.Empty() {
		t.Error("short and empty secrets must be ignored (they would match everywhere)")
	}
	if out, found := r.Redact([]byte("order 1234 placed")); found || string(out) != "order 1234 placed" {
		t.Errorf("got %q", out)
	}
	var nilR *Redactor
	if _, found := nilR.Redact([]byte("x")); found {
		t.Error("nil redactor found something")
	}
}

// TestRedactJoinedMark: replacing one occurrence must not leave a new one
// made of the mark's last character and what follows.
func TestRedactJoinedMark(t *testing.T) {
	r := NewRedactor([]keystore.Secret{keystore.NewSecret("]aaaaa")})
	out, _ := r.Redact([]byte("x ]aaaaaaaaaa y"))
	if bytes.Contains(out, []byte("]aaaaa")) {
		t.Errorf("secret re-formed: %q", out)
	}
}
