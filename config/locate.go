package config

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// locator finds the line of a field in config text, so validation errors can
// name it. The TOML decoder knows positions only for syntax errors, and only
// the last of repeated [[profile]] keys, so this scans the text itself.
type locator struct {
	lines    []string
	sections []section
}

type section struct {
	name       string // "" for the top level, "clock", "profile", "profile.env"...
	array      bool   // [[name]]
	start, end int    // line indexes; start is the header (or 0 for the top level)
}

func newLocator(src string) *locator {
	l := &locator{lines: strings.Split(src, "\n")}
	cur := section{name: "", start: 0}
	for i, line := range l.lines {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "[") {
			continue
		}
		cur.end = i
		l.sections = append(l.sections, cur)
		array := strings.HasPrefix(t, "[[")
		name := strings.Trim(strings.SplitN(t, "#", 2)[0], "[] \t")
		cur = section{name: strings.ReplaceAll(name, " ", ""), array: array, start: i}
	}
	cur.end = len(l.lines)
	l.sections = append(l.sections, cur)
	return l
}

// fieldLine returns the 1-based line of field within s, or 0.
func (l *locator) fieldLine(s section, field string) int {
	from := s.start
	if s.name != "" {
		from++
	}
	for i := from; i < s.end; i++ {
		t := strings.TrimSpace(l.lines[i])
		t = strings.TrimPrefix(t, `"`)
		if !strings.HasPrefix(t, field) {
			continue
		}
		rest := strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(t, field), `"`), " \t")
		if strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, ".") {
			return i + 1
		}
	}
	return 0
}

// lineOf finds a key anywhere it may be written: in its own table, or as a
// dotted or inline key of a parent table.
func (l *locator) lineOf(key toml.Key) int {
	for n := len(key) - 1; n >= 0; n-- {
		table, field := strings.Join(key[:n], "."), key[n]
		for _, s := range l.sections {
			if s.name == table {
				if ln := l.fieldLine(s, field); ln > 0 {
					return ln
				}
			}
		}
	}
	for _, s := range l.sections {
		if s.name == key.String() {
			return s.start + 1
		}
	}
	return 0
}

func (l *locator) errorf(path string, key toml.Key, format string, a ...any) error {
	return l.wrap(path, l.lineOf(key), key.String(), fmt.Sprintf(format, a...))
}

// errorfAt reports a problem with field of the idx-th [[table]] block.
func (l *locator) errorfAt(path, table string, idx int, field, format string, a ...any) error {
	line, n := 0, 0
	for _, s := range l.sections {
		if s.name != table || !s.array {
			continue
		}
		if n == idx {
			line = l.fieldLine(s, field)
			if line == 0 {
				line = s.start + 1
			}
			break
		}
		n++
	}
	return l.wrap(path, line, table+"."+field, fmt.Sprintf(format, a...))
}

func (l *locator) wrap(path string, line int, field, msg string) error {
	if line > 0 {
		return fmt.Errorf("%s:%d: %s: %s", path, line, field, msg)
	}
	return fmt.Errorf("%s: %s: %s", path, field, msg)
}
