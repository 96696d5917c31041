package auditlog

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// Parser turns raw log lines into classified entries. The zero value parses
// without redaction and without a default exchange. A Parser is safe for
// concurrent use when its Redactor is (Redactor is immutable).
type Parser struct {
	// Exchange is the exchange the log belongs to (the profile's), used to
	// read bare error codes when the line does not name an exchange.
	Exchange string
	// Redactor, when set, removes stored secrets from the line before it is
	// parsed, so no field of the Entry can hold one.
	Redactor *Redactor
}

// Parse parses one line (without its newline) with the zero Parser: the
// format is detected per line, the entry is classified, nothing is redacted.
func Parse(line []byte) Entry { return (&Parser{}).Parse(line) }

// Parse parses one line (without its newline): redacts it, detects its
// format, extracts fields and classifies the cause.
func (p *Parser) Parse(line []byte) Entry {
	line = bytes.TrimRight(line, "\r\n")
	var e Entry
	if p.Redactor != nil {
		cut := len(line) >= MaxLineBytes
		line, e.Redacted = p.Redactor.Redact(line)
		if cut {
			var found bool
			line, found = p.Redactor.redactCutEdges(line)
			e.Redacted = e.Redacted || found
		}
	}
	var f fields
	trimmed := bytes.TrimLeft(line, " \t")
	switch {
	case len(trimmed) > 1 && trimmed[0] == '{' && parseJSON(trimmed, &e, &f):
		e.Source = FormatJSON
	case startsLogfmt(trimmed) && parseLogfmt(trimmed, &e, &f, false):
		e.Source = FormatLogfmt
	case parsePython(trimmed, &e, &f):
		e.Source = FormatPython
	default:
		parsePlain(trimmed, &e, &f)
		e.Source = FormatPlain
	}
	f.finish(&e)
	if e.Exchange == "" {
		e.Exchange = p.Exchange
	}
	extractFromText(&e, &f)
	classify(&e, &f)
	e.Raw = sanitize(line)
	if p.Redactor != nil && (len(e.Raw) != len(line) || bytes.IndexByte(line, '\\') >= 0) {
		// Escaping control bytes adds text ("\x00") that could join its
		// neighbours into a secret's form, and decoding escapes (JSON's
		// \u0041 and \/) can rebuild a secret the line only held escaped:
		// redact what is shown again.
		decoded := false
		for _, s := range []*string{&e.Message, &e.Op, &e.Endpoint, &e.Code} {
			if out, found := p.Redactor.Redact([]byte(*s)); found {
				*s = string(out)
				e.Redacted, decoded = true, true
			}
		}
		if out, found := p.Redactor.Redact([]byte(e.Raw)); found {
			e.Raw, e.Redacted = string(out), true
		} else if out, found := p.Redactor.Redact(unescapeJSON(line)); found {
			// The line holds a secret written with escapes no needle
			// matches: show it unescaped, with the secret redacted.
			e.Raw, e.Redacted = sanitize(out), true
		} else if decoded {
			e.Raw = RedactedMark + " (the line holds a stored secret written with escapes)"
		}
	}
	return e
}

// unescapeJSON decodes the escapes that can hide a secret's characters in a
// JSON string (\uXXXX and \/) anywhere in b; other bytes are kept.
func unescapeJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		switch b[i+1] {
		case '/':
			out = append(out, '/')
			i++
			continue
		case 'u':
			if i+6 <= len(b) {
				if n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 32); err == nil {
					out = utf8.AppendRune(out, rune(n))
					i += 5
					continue
				}
			}
		}
		out = append(out, b[i])
	}
	return out
}

// parsePython reads the Python logging layout that trading-bot tutorials and
// freqtrade use: a timestamp, then fields separated by " | " or " - ", one of
// which is the level name; the message is everything after the level field.
//
//	2026-11-25 16:00:00,123 | INFO | API CALL: place_order | args=... | kwargs=...
//	2026-11-25 16:00:00,123 - freqtrade.exchange.exchange - WARNING - message
func parsePython(line []byte, e *Entry, f *fields) bool {
	t, n, ok := parseTimePrefix(line)
	if !ok {
		return false
	}
	rest := line[n:]
	var sep []byte
	switch {
	case bytes.HasPrefix(rest, []byte(" | ")):
		sep = []byte(" | ")
	case bytes.HasPrefix(rest, []byte(" - ")):
		sep = []byte(" - ")
	default:
		return false
	}
	rest = rest[len(sep):]
	// The level is one of the first three fields (after an optional logger
	// name and process/thread fields).
	for i := 0; i < 3; i++ {
		field, after, found := bytes.Cut(rest, sep)
		if lv := levelOf(bytes.TrimSpace(field)); lv != LevelNone {
			e.Time = t
			e.Level = lv
			if found {
				setPythonMessage(after, sep, e, f)
			}
			return true
		}
		if !found {
			break
		}
		rest = after
	}
	return false
}

// setPythonMessage stores the message fields and reads the "API CALL: op"
// convention and key=value fields (args=, kwargs=, status=...) from them.
func setPythonMessage(msg, sep []byte, e *Entry, f *fields) {
	e.Message = sanitize(msg)
	first, _, _ := bytes.Cut(msg, sep)
	for _, prefix := range [][]byte{[]byte("API CALL: "), []byte("API CALL:"), []byte("API call: ")} {
		if bytes.HasPrefix(first, prefix) {
			op := bytes.TrimSpace(first[len(prefix):])
			if i := bytes.IndexAny(op, " (,"); i >= 0 {
				op = op[:i]
			}
			e.Op = sanitize(op)
			break
		}
	}
	parseLogfmt(msg, e, f, true)
}

// parsePlain reads anything else: an optional leading timestamp (bare or in
// brackets), a level guessed from the first words, the rest as message.
func parsePlain(line []byte, e *Entry, f *fields) {
	rest := line
	if len(rest) > 0 && rest[0] == '[' {
		if t, n, ok := parseTimePrefix(rest[1:]); ok && n+1 < len(rest) && rest[n+1] == ']' {
			e.Time = t
			rest = bytes.TrimLeft(rest[n+2:], " ")
		}
	} else if t, n, ok := parseTimePrefix(rest); ok {
		e.Time = t
		rest = bytes.TrimLeft(rest[n:], " ")
	}
	e.Level, rest = guessLevel(rest)
	e.Message = sanitize(rest)
	parseLogfmt(rest, e, f, true)
}

// guessLevel finds a level word at the start of s (bare, bracketed or
// followed by a colon) and returns the message after it; failing that it
// looks for tell-tale words anywhere.
func guessLevel(s []byte) (Level, []byte) {
	word := s
	if i := bytes.IndexAny(word, " \t"); i >= 0 {
		word = word[:i]
	}
	w := bytes.Trim(word, "[]():")
	if lv := levelOf(w); lv != LevelNone {
		return lv, bytes.TrimLeft(s[len(word):], " \t-:|")
	}
	head := s
	if len(head) > 200 {
		head = head[:200]
	}
	switch {
	case containsFold(head, "traceback") || containsFold(head, "exception") || containsFold(head, "error"):
		return LevelError, s
	case containsFold(head, "warn"):
		return LevelWarn, s
	}
	return LevelNone, s
}

// levelOf maps a level name (any case, common aliases) to a Level.
func levelOf(b []byte) Level {
	if len(b) < 1 || len(b) > 9 {
		return LevelNone
	}
	var buf [9]byte
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(b)]) {
	case "debug", "dbug", "trace", "trac", "d":
		return LevelDebug
	case "info", "inf", "notice", "i":
		return LevelInfo
	case "warn", "warning", "wrn", "w":
		return LevelWarn
	case "error", "err", "eror", "e":
		return LevelError
	case "fatal", "critical", "crit", "panic", "emerg", "alert", "f":
		return LevelFatal
	}
	return LevelNone
}

// containsFold reports whether s contains the lower-case ASCII needle,
// ignoring ASCII case in s.
func containsFold(s []byte, needle string) bool { return indexFold(s, needle) >= 0 }
