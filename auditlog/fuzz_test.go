package auditlog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keywarden/keywarden/keystore"
)

func addSeeds(f *testing.F) {
	for _, fm := range formats {
		for _, x := range exchangeErrors[:8] {
			f.Add([]byte(fm.line(x)))
		}
	}
	for _, s := range []string{"", "{", `{"a":[1,{"b":"\ud83d\ude00"}],"level":"error"}`, "k=\"v", "2026-11-25 16:00:00,1 | ", "\xff\x1b[31m"} {
		f.Add([]byte(s))
	}
}

// safeText: what Parse hands out must be printable on a terminal.
func safeText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		e := Parse(line)
		for _, s := range []string{e.Raw, e.Message, e.Op, e.Method, e.Endpoint, e.Code, e.Exchange} {
			if !safeText(s) {
				t.Fatalf("unsafe text %q from %q", s, line)
			}
		}
		if e.Source == "" {
			t.Fatal("no source")
		}
		if e.HTTPStatus != 0 && (e.HTTPStatus < 100 || e.HTTPStatus > 599) {
			t.Fatalf("status %d", e.HTTPStatus)
		}
	})
}

// FuzzParseJSON: the hand-written scanner accepts only what encoding/json
// accepts (it may reject more: depth), and reads the same message.
func FuzzParseJSON(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		var e Entry
		var fl fields
		if !parseJSON(line, &e, &fl) {
			return
		}
		if !json.Valid(line) {
			t.Fatalf("scanner accepted invalid JSON %q", line)
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("accepted but encoding/json fails: %v", err)
		}
		// Keys are matched case-insensitively ("messAge" is a message key
		// too): only an object whose one message key is exactly "msg" has
		// one answer to compare with.
		others := false
		for k := range m {
			if k != "msg" && (strings.EqualFold(k, "msg") || strings.EqualFold(k, "message")) {
				others = true
			}
		}
		if msg, ok := m["msg"].(string); ok && !others && utf8.ValidString(msg) && safeText(msg) && e.Message != msg {
			if !bytes.Contains(line, []byte(`"msg"`)) || strings.Count(string(line), `"msg"`) == 1 {
				t.Fatalf("message = %q, encoding/json says %q", e.Message, msg)
			}
		}
	})
}

func FuzzLogfmt(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		var e Entry
		var fl fields
		parseLogfmt(line, &e, &fl, false)
		parseLogfmt(line, &e, &fl, true)
		for _, s := range []string{e.Message, e.Op, e.Endpoint, e.Code} {
			if !safeText(s) {
				t.Fatalf("unsafe text %q", s)
			}
		}
	})
}

// FuzzRedact: a secret embedded in any encoding never survives Redact.
func FuzzRedact(f *testing.F) {
	f.Add("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j", []byte("secret="), []byte(" end"), uint8(0))
	f.Add("Ab12345678)(*&^%$#@", []byte(`{"p":"`), []byte(`"}`), uint8(5))
	f.Fuzz(func(t *testing.T, secret string, prefix, suffix []byte, form uint8) {
		if len(secret) < MinSecretLen {
			return
		}
		encs := Encodings(secret)
		enc := encs[int(form)%len(encs)]
		line := append(append(append([]byte(nil), prefix...), enc.Value...), suffix...)
		r := NewRedactor([]keystore.Secret{keystore.NewSecret(secret)})
		out, found := r.Redact(line)
		if !found {
			t.Fatalf("%s form not found", enc.Name)
		}
		if bytes.Contains(out, []byte(secret)) {
			t.Fatalf("raw secret survived in %q", out)
		}
		e := (&Parser{Redactor: r}).Parse(line)
		if strings.Contains(e.Raw, secret) || strings.Contains(e.Message, secret) {
			t.Fatal("secret in entry")
		}
	})
}
