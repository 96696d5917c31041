// Package secretenc is the one list of textual forms a secret takes when it
// is written into a file, a log line or a request: the scanner (leaks), the
// git hooks, the audit-log redactor and the alert scrubber all look for
// these same forms. docs/scan.md documents them.
package secretenc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Name says in which form a value was found.
type Name string

// The forms. A value usually has only some of them distinct from raw (an
// alphanumeric key has no escapes but its \u form); each distinct form is
// listed once, under the first name that produces it.
const (
	Raw        Name = "raw"
	Base64     Name = "base64"    // standard alphabet, padded or not
	Base64URL  Name = "base64url" // URL-safe alphabet, padded or not
	URLEncoded Name = "urlencoded"
	Hex        Name = "hex" // lower or upper case
	// Escaped is the body of a JSON, YAML double-quoted or TOML basic
	// string: \" and \\, control and non-ASCII characters as \uXXXX, and
	// the / → \/ form PHP and some JSON encoders write.
	Escaped Name = "escaped"
	// UnicodeEscaped is every character, or every one but letters and
	// digits, written \uXXXX (or \xXX), as obfuscating encoders and
	// JavaScript bundlers write strings.
	UnicodeEscaped Name = "unicode-escaped"
	// DoubleEscaped is an escaped form escaped again (each backslash
	// doubled, each \" now \\\"): a JSON document inside a JSON string, a
	// logged request body.
	DoubleEscaped Name = "double-escaped"
	// Quoted is the value inside shell quotes ('\'' or '"'"' for a single
	// quote; \" \\ \$ \` inside double quotes; unquoted, a backslash before
	// each special character as bash's printf %q writes it) or a YAML
	// single-quoted string ('' for ').
	Quoted Name = "quoted"
)

// Form is one textual form of a secret. Value is secret: never print it.
type Form struct {
	Name  Name
	Value []byte
}

// Forms returns every distinct form of v, raw first. The caller owns the
// returned slices and may wipe them.
func Forms(v []byte) []Form {
	s := string(v)
	var out []Form
	seen := map[string]bool{}
	add := func(n Name, f string) {
		if f == "" || seen[f] {
			return
		}
		seen[f] = true
		out = append(out, Form{n, []byte(f)})
	}
	add(Raw, s)
	add(Base64, base64.StdEncoding.EncodeToString(v))
	add(Base64, base64.RawStdEncoding.EncodeToString(v))
	add(Base64URL, base64.URLEncoding.EncodeToString(v))
	add(Base64URL, base64.RawURLEncoding.EncodeToString(v))
	for _, u := range []string{url.QueryEscape(s), url.PathEscape(s), strings.ReplaceAll(url.QueryEscape(s), "+", "%20")} {
		add(URLEncoded, u)
		add(URLEncoded, lowerEscapes(u))
	}
	h := hex.EncodeToString(v)
	add(Hex, h)
	add(Hex, strings.ToUpper(h))

	escaped := []string{jsonEscape(s, false), jsonEscape(s, true), htmlSafe(jsonEscape(s, false)), htmlSafe(jsonEscape(s, true))}
	for _, e := range escaped {
		add(Escaped, e)
		add(Escaped, strings.ReplaceAll(e, "/", `\/`))
	}
	var unicode []string
	for _, all := range []bool{true, false} {
		for _, format := range []string{`\u%04x`, `\u%04X`, `\x%02x`, `\x%02X`} {
			unicode = append(unicode, escapeEach(s, format, all))
		}
	}
	for _, u := range unicode {
		add(UnicodeEscaped, u)
	}
	// Escaping an escaped form again doubles its backslashes and escapes
	// its quotes.
	for _, e := range append(escaped, unicode...) {
		if strings.Contains(e, `\`) {
			add(DoubleEscaped, jsonEscape(e, false))
		}
	}
	add(DoubleEscaped, jsonEscape(strings.ReplaceAll(escaped[0], "/", `\/`), false))

	add(Quoted, strings.ReplaceAll(s, "'", `'\''`))
	add(Quoted, strings.ReplaceAll(s, "'", `'"'"'`)) // Python's shlex.quote
	add(Quoted, strings.ReplaceAll(s, "'", `''`))
	add(Quoted, shellDoubleQuoted(s))
	add(Quoted, shellUnquoted(s))
	return out
}

// jsonEscape writes s as the body of a JSON (YAML, TOML) string: \" \\,
// control characters, and with ascii every non-ASCII character as \uXXXX
// (surrogate pairs above U+FFFF); without it, non-ASCII stays as it is.
func jsonEscape(s string, ascii bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x80 && ascii:
			writeUTF16(&b, r, `\u%04x`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// htmlSafe escapes < > & as Go's encoding/json does by default.
func htmlSafe(s string) string {
	return strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(s)
}

func writeUTF16(b *strings.Builder, r rune, format string) {
	if r > 0xffff {
		r -= 0x10000
		fmt.Fprintf(b, format+format, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		return
	}
	fmt.Fprintf(b, format, r)
}

// escapeEach writes the characters of s in format (\uXXXX or \xXX): all of
// them, or only those that are not ASCII letters or digits. \x applies to
// bytes, \u to characters.
func escapeEach(s, format string, all bool) string {
	var b strings.Builder
	if strings.HasPrefix(format, `\x`) {
		for i := 0; i < len(s); i++ {
			if !all && isAlnum(s[i]) {
				b.WriteByte(s[i])
				continue
			}
			fmt.Fprintf(&b, format, s[i])
		}
		return b.String()
	}
	for _, r := range s {
		if !all && r < 0x80 && isAlnum(byte(r)) {
			b.WriteRune(r)
			continue
		}
		writeUTF16(&b, r, format)
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// shellDoubleQuoted is s inside "...": \ before " \ $ and `.
func shellDoubleQuoted(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if bytes.IndexByte([]byte("\"\\$`"), s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// shellUnquoted is s as an unquoted shell word, as bash's printf %q
// writes it: \ before each character the shell treats specially, and
// before ~ and # only at the start of the word.
func shellUnquoted(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if bytes.IndexByte([]byte(" \t\n\"'\\$`|&;<>()*?[]{}!,^"), s[i]) >= 0 || i == 0 && (s[i] == '~' || s[i] == '#') {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lowerEscapes rewrites %XX escapes with lower-case hex digits, as some
// encoders write them.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lowerHex(b[i+1])
			b[i+2] = lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}
