package config

import (
	"fmt"
	"io"
	"regexp"

	"github.com/keywarden/keywarden/internal/regularfile"
)

// MaxFileSize caps the config file: a real one is a few kilobytes, and a
// larger file is read no further (never into memory whole).
const MaxFileSize = 1 << 20

// maxNesting caps how deeply keys nest (tables, arrays, inline tables and
// dotted keys together): the TOML decoder's time grows with the square of
// the depth, so a hostile file of a few hundred kilobytes would hang it for
// minutes. A keywarden config nests three deep.
const maxNesting = 64

// checkShape refuses text too large or too deeply nested to decode, naming
// the line. It scans like a TOML lexer: brackets inside strings and
// comments do not count; dots count only up to the end of their line.
func checkShape(path string, src string) error {
	if len(src) > MaxFileSize {
		return fmt.Errorf("%s: larger than %d bytes: this is not a keywarden config, check the path", path, MaxFileSize)
	}
	depth, dots, line := 0, 0, 1
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			line++
			dots = 0
		case '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			delim := string(c)
			if i+2 < len(src) && src[i+1] == c && src[i+2] == c {
				delim = string([]byte{c, c, c})
			}
			i += len(delim)
			for i < len(src) && src[i:min(i+len(delim), len(src))] != delim {
				if src[i] == '\n' {
					line++
				}
				if c == '"' && src[i] == '\\' {
					i++
				}
				i++
			}
			i += len(delim) - 1
		case '[', '{':
			depth++
		case ']', '}':
			depth = max(depth-1, 0)
		case '.':
			dots++
		}
		if depth+dots > maxNesting {
			return fmt.Errorf("%s:%d: nested more than %d deep: a keywarden config nests three deep, check this line", path, line, maxNesting)
		}
	}
	return nil
}

// quotedRE matches a double- or single-quoted token in a decoder message
// ("found \"abc\" instead", "Key 'abc' has already been defined").
var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'[^'\n]*'`)

// hideValues removes the file's text that the TOML decoder quotes in its
// messages ("expected value but found \"abc\" instead"): an unquoted value
// is often a secret pasted from a .env file, and an error must not print it.
// The line and field still say where the problem is.
func hideValues(msg string) string {
	return quotedRE.ReplaceAllStringFunc(msg, func(q string) string {
		if len(q) == 3 && !isAlnum(q[1]) {
			return q // the punctuation expected: ("]"), (",")
		}
		return `"…"`
	})
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// readLimited reads at most MaxFileSize+1 bytes of path, so that checkShape
// can refuse a huge file without it ever being read whole.
func readLimited(path string) ([]byte, error) {
	f, err := regularfile.Open(path, "config file")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}
