package auditlog

import "bytes"

// startsLogfmt reports whether a line opens with a logfmt pair (key=value).
func startsLogfmt(b []byte) bool {
	i := 0
	for i < len(b) && isKeyByte(b[i]) {
		i++
	}
	return i > 0 && i < len(b) && b[i] == '=' && !(b[0] >= '0' && b[0] <= '9')
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '@'
}

// parseLogfmt reads key=value and key="quoted value" pairs. As a format
// (inText false) it needs at least one pair and a line made only of pairs
// and bare words; inside a message (inText true) it picks out whatever pairs
// the text holds and only fills fields still empty.
func parseLogfmt(b []byte, e *Entry, f *fields, inText bool) bool {
	pairs := 0
	var tmp []byte
	i := 0
	for i < len(b) {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		ks := i
		for i < len(b) && isKeyByte(b[i]) {
			i++
		}
		key := b[ks:i]
		if i >= len(b) || b[i] != '=' || len(key) == 0 {
			if !inText && (i < len(b) && b[i] != ' ' && b[i] != '\t' || len(key) == 0 && i < len(b)) {
				return false
			}
			// skip the rest of this word
			for i < len(b) && b[i] != ' ' && b[i] != '\t' {
				i++
			}
			continue
		}
		i++ // '='
		var val []byte
		if i < len(b) && b[i] == '"' {
			i++
			tmp = tmp[:0]
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' && i+1 < len(b) {
					i++
					switch b[i] {
					case 'n':
						tmp = append(tmp, '\n')
					case 't':
						tmp = append(tmp, '\t')
					default:
						tmp = append(tmp, b[i])
					}
					i++
					continue
				}
				tmp = append(tmp, b[i])
				i++
			}
			if i >= len(b) && !inText {
				return false // unterminated quote
			}
			i++
			val = tmp
		} else {
			vs := i
			for i < len(b) && b[i] != ' ' && b[i] != '\t' {
				i++
			}
			val = b[vs:i]
			if inText {
				val = bytes.TrimRight(val, ",;)]}'\"")
			}
		}
		pairs++
		setField(e, f, key, val, inText)
	}
	return pairs > 0
}
