package auditlog

import (
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSON reads one JSON object line into e. It is a small hand-written
// scanner rather than encoding/json: a log line is read once, only a few
// keys matter, and the parse + classify budget is a few microseconds a line.
// Nested objects are read too (an exchange's error body logged as an object),
// filling only fields the top level left empty. It reports false when the
// line is not a well-formed object; the caller then treats it as text.
func parseJSON(b []byte, e *Entry, f *fields) bool {
	s := jsonScanner{b: b, e: e, f: f}
	s.ws()
	if !s.object(0) {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

type jsonScanner struct {
	b   []byte
	i   int
	e   *Entry
	f   *fields
	tmp []byte // scratch for unescaped strings
	esc bool   // the last str result is in tmp
}

const maxJSONDepth = 32

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) object(depth int) bool {
	if depth > maxJSONDepth || s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		key, ok := s.str()
		if !ok {
			return false
		}
		if s.esc {
			key = append([]byte(nil), key...) // the next str reuses s.tmp
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		if !s.value(key, depth) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// value reads the value of key; scalars are handed to setField.
func (s *jsonScanner) value(key []byte, depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		v, ok := s.str()
		if ok {
			setField(s.e, s.f, key, v, depth > 0)
		}
		return ok
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(key, depth+1)
	default:
		start := s.i
		for s.i < len(s.b) {
			c := s.b[s.i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				break
			}
			s.i++
		}
		tok := s.b[start:s.i]
		if !validLiteral(tok) {
			return false
		}
		if string(tok) != "null" {
			setField(s.e, s.f, key, tok, depth > 0)
		}
		return true
	}
}

// array reads an array. Its string elements are joined and handed to
// setField under the array's key, so Kraken's {"error":["EAPI:Invalid key"]}
// reads like {"error":"EAPI:Invalid key"}.
func (s *jsonScanner) array(key []byte, depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	s.i++ // '['
	var joined []byte
	for {
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		if s.b[s.i] == ']' {
			s.i++
			break
		}
		switch s.b[s.i] {
		case '"':
			v, ok := s.str()
			if !ok {
				return false
			}
			if len(joined) > 0 {
				joined = append(joined, ", "...)
			}
			joined = append(joined, v...)
		case '{':
			if !s.object(depth + 1) {
				return false
			}
		case '[':
			if !s.array(nil, depth+1) {
				return false
			}
		default:
			if !s.value(nil, depth) {
				return false
			}
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			break
		}
		return false
	}
	if key != nil && len(joined) > 0 {
		setField(s.e, s.f, key, joined, depth > 1)
	}
	return true
}

func validLiteral(tok []byte) bool {
	switch string(tok) {
	case "true", "false", "null":
		return true
	}
	return validNumber(tok)
}

// validNumber checks JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - s
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// str reads a JSON string at s.i and returns its unescaped bytes. The result
// aliases the input or s.tmp and is valid until the next call.
func (s *jsonScanner) str() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	s.i++
	s.esc = false
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			v := s.b[start:s.i]
			s.i++
			return v, true
		}
		if c == '\\' {
			return s.strSlow(start)
		}
		if c < 0x20 {
			return nil, false
		}
		s.i++
	}
	return nil, false
}

func (s *jsonScanner) strSlow(start int) ([]byte, bool) {
	s.esc = true
	s.tmp = append(s.tmp[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.tmp, true
		case c < 0x20:
			return nil, false
		case c != '\\':
			s.tmp = append(s.tmp, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return nil, false
		}
		s.i += 2
		switch s.b[s.i-1] {
		case '"', '\\', '/':
			s.tmp = append(s.tmp, s.b[s.i-1])
		case 'b':
			s.tmp = append(s.tmp, '\b')
		case 'f':
			s.tmp = append(s.tmp, '\f')
		case 'n':
			s.tmp = append(s.tmp, '\n')
		case 'r':
			s.tmp = append(s.tmp, '\r')
		case 't':
			s.tmp = append(s.tmp, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) && s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
				s.i += 2
				r2, ok := s.hex4()
				if !ok {
					return nil, false
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
				} else {
					s.tmp = utf8.AppendRune(s.tmp, utf8.RuneError)
					r = r2
				}
			}
			s.tmp = utf8.AppendRune(s.tmp, r)
		default:
			return nil, false
		}
	}
	return nil, false
}

func (s *jsonScanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return r, true
}
