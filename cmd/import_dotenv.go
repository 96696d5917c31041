package cmd

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/keywarden/keywarden/config"
)

// dotenv is a parsed .env file: values by name, and names in file order.
type dotenv struct {
	vals  map[string]string
	names []string
	defs  []dotenvDef // every NAME=value, in file order (a name may repeat)
}

// dotenvDef is where one NAME=value sits in the file: lines first..last
// (0-based; a quoted value may span lines).
type dotenvDef struct {
	name        string
	first, last int
}

// line is the 1-based line of name's last definition (the one whose value
// counts), 0 when name is not defined.
func (d *dotenv) line(name string) int {
	for i := len(d.defs) - 1; i >= 0; i-- {
		if d.defs[i].name == name {
			return d.defs[i].first + 1
		}
	}
	return 0
}

var dotenvNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// parseDotenv reads the common dotenv dialect: NAME=value lines, optional
// "export ", # comments, single quotes (literal) and double quotes (with
// \n \t \\ \" escapes), both of which may span lines (PEM keys). Errors name
// the source and line but never quote a value.
func parseDotenv(src, text string) (*dotenv, error) {
	d := &dotenv{vals: map[string]string{}}
	text = strings.TrimPrefix(text, "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		t := strings.TrimSpace(lines[i])
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		name, rest, ok := strings.Cut(t, "=")
		name = strings.TrimSpace(name)
		if !ok || !dotenvNameRE.MatchString(name) {
			return nil, fmt.Errorf("%s:%d: not a NAME=value line", src, lineNo)
		}
		rest = strings.TrimLeft(rest, " \t")
		var val string
		switch {
		case strings.HasPrefix(rest, `"`) || strings.HasPrefix(rest, `'`):
			q := rest[0]
			// Each line is searched once and appended once: an unclosed
			// quote in a 1 MiB file is an error at once, not a quadratic hang.
			seg := rest[1:]
			var body strings.Builder
			for {
				if end := closingQuote(seg, q); end >= 0 {
					body.WriteString(seg[:end])
					val = body.String()
					break
				}
				body.WriteString(seg)
				i++
				if i >= len(lines) {
					return nil, fmt.Errorf("%s:%d: %s has no closing %c quote", src, lineNo, name, q)
				}
				body.WriteByte('\n')
				seg = lines[i]
			}
			if q == '"' {
				val = unescapeDouble(val)
			}
		default:
			if j := strings.Index(rest, " #"); j >= 0 {
				rest = rest[:j]
			}
			val = strings.TrimSpace(rest)
		}
		if _, seen := d.vals[name]; !seen {
			d.names = append(d.names, name)
		}
		d.vals[name] = val
		d.defs = append(d.defs, dotenvDef{name: name, first: lineNo - 1, last: i})
	}
	return d, nil
}

// checkValues refuses a value of names holding a NUL or another control
// character (a newline excepted: PEM keys span lines). Such a value cannot be
// a key, and the bot's exec would fail on it forever ("invalid argument" for
// a NUL); it is refused before anything is stored or shredded. The error
// names the file, the line and the variable, and the character's code point,
// never the value.
func (d *dotenv) checkValues(src string, names ...string) error {
	for _, n := range names {
		if n == "" {
			continue
		}
		if r, bad := controlChar(d.vals[n]); bad {
			return fmt.Errorf("%s:%d: %s holds a control character (%U): no API key, secret or token does; fix the file (nothing was stored)", src, d.line(n), n, r)
		}
	}
	return nil
}

// controlChar finds the first control character in s other than a newline.
func controlChar(s string) (rune, bool) {
	for _, r := range s {
		if r != '\n' && unicode.IsControl(r) {
			return r, true
		}
	}
	return 0, false
}

// without returns text (the file as read) minus every line of every
// definition of names, other lines byte for byte as they were; blank reports
// whether only whitespace is left.
func (d *dotenv) without(text string, names ...string) (rest string, blank bool) {
	drop := map[int]bool{}
	for _, def := range d.defs {
		if slices.Contains(names, def.name) {
			for l := def.first; l <= def.last; l++ {
				drop[l] = true
			}
		}
	}
	var b strings.Builder
	for i, l := range strings.SplitAfter(text, "\n") {
		if !drop[i] {
			b.WriteString(l)
		}
	}
	rest = b.String()
	return rest, strings.TrimSpace(strings.TrimPrefix(rest, "\ufeff")) == ""
}

func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		if q == '"' && s[i] == '\\' {
			i++
			continue
		}
		if s[i] == q {
			return i
		}
	}
	return -1
}

func unescapeDouble(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// varChoice is the dotenv variables chosen for key, secret and passphrase.
type varChoice struct {
	key, secret, passphrase string
	guessed                 bool
	// framework names the convention the names follow (freqtrade, jesse,
	// ccxt), and env the profile env map that hands the bot those names;
	// both empty for other names.
	framework string
	env       config.Env
	// others lists the secrets that were not taken for the exchange's
	// (a JWT key, a webhook token), with what each is.
	others string
}

// chooseVars picks the key, secret and passphrase variables: the flags when
// given, else the single *_KEY / *SECRET* (/ *_PASSPHRASE) variables, with
// the exchange name breaking ties (BINANCE_API_KEY over BYBIT_API_KEY).
func chooseVars(d *dotenv, src, exchange string, flags varChoice, needPass bool) (varChoice, error) {
	c := flags
	if c.key == "" && c.secret == "" {
		if cs := conventions(d, exchange); len(cs) == 1 {
			conv := cs[0]
			c.key, c.secret, c.framework, c.guessed = conv.key, conv.secret, conv.framework, true
			if needPass && c.passphrase == "" {
				if d.vals[conv.passphrase] == "" {
					return c, fmt.Errorf("%s follows %s's names but has no %s (its name for the %s passphrase): add it, or name another with --passphrase-var", src, conv.framework, conv.passphrase, exchange)
				}
				c.passphrase = conv.passphrase
			}
			c.env = conv.envMap(c.passphrase != "")
		} else if len(cs) > 1 {
			var keys []string
			for _, conv := range cs {
				keys = append(keys, conv.key)
			}
			return c, fmt.Errorf("%s has several API key variables (%s): choose one with --key-var", src, strings.Join(keys, ", "))
		}
	}
	var skipped []string
	isSecret := func(n string) bool {
		u := strings.ToUpper(n)
		return strings.Contains(u, "SECRET") || strings.HasSuffix(u, "PRIVATE_KEY")
	}
	isKey := func(n string) bool {
		u := strings.ToUpper(n)
		return (u == "KEY" || strings.HasSuffix(u, "_KEY") || strings.HasSuffix(u, "APIKEY")) && !isSecret(n) && !strings.Contains(u, "PRIVATE")
	}
	isPass := func(n string) bool {
		u := strings.ToUpper(n)
		return strings.HasSuffix(u, "PASSPHRASE") || strings.HasSuffix(u, "_PASSWORD")
	}
	pick := func(kind, flag string, cur string, match func(string) bool, required bool) (string, error) {
		if cur != "" {
			if _, ok := d.vals[cur]; !ok {
				return "", fmt.Errorf("%s has no variable %s (it has: %s)", src, cur, strings.Join(d.names, ", "))
			}
			return cur, nil
		}
		var cands []string
		for _, n := range d.names {
			if !match(n) || d.vals[n] == "" {
				continue
			}
			if _, other := otherSecret(n); other {
				if !slices.Contains(skipped, n) {
					skipped = append(skipped, n)
				}
				continue
			}
			cands = append(cands, n)
		}
		if len(cands) > 1 {
			var ex []string
			for _, n := range cands {
				if strings.Contains(strings.ToUpper(n), strings.ToUpper(exchange)) {
					ex = append(ex, n)
				}
			}
			if len(ex) >= 1 {
				cands = ex
			}
		}
		switch {
		case len(cands) == 1:
			c.guessed = true
			return cands[0], nil
		case len(cands) > 1:
			return "", fmt.Errorf("%s has several %s variables (%s): choose one with %s", src, kind, strings.Join(cands, ", "), flag)
		case required && len(skipped) > 0:
			return "", fmt.Errorf("%s has no %s variable (it has: %s; not an exchange's: %s): name it with %s", src, kind, orNone(d.names), describeOthers(skipped), flag)
		case required:
			return "", fmt.Errorf("%s has no %s variable (it has: %s): name it with %s", src, kind, orNone(d.names), flag)
		}
		return "", nil
	}
	var err error
	if c.key, err = pick("API key", "--key-var", c.key, isKey, true); err != nil {
		return c, err
	}
	if c.secret, err = pick("API secret", "--secret-var", c.secret, isSecret, true); err != nil {
		return c, err
	}
	if c.key == c.secret {
		return c, fmt.Errorf("the key and the secret cannot both come from %s", c.key)
	}
	if needPass || c.passphrase != "" {
		if c.passphrase, err = pick("passphrase", "--passphrase-var", c.passphrase, isPass, needPass); err != nil {
			return c, err
		}
	}
	for _, n := range []string{c.key, c.secret, c.passphrase} {
		if n != "" && d.vals[n] == "" {
			return c, fmt.Errorf("%s: %s is empty", src, n)
		}
	}
	if c.framework == "" {
		// Names given by flag that are a framework's still go back to the
		// bot under those names.
		for _, conv := range conventions(d, exchange) {
			if conv.key == c.key && conv.secret == c.secret && (c.passphrase == "" || c.passphrase == conv.passphrase) {
				c.framework, c.env = conv.framework, conv.envMap(c.passphrase != "")
			}
		}
	}
	var others []string
	for _, n := range d.names {
		if _, other := otherSecret(n); other && d.vals[n] != "" && secretLike(n) && !slices.Contains([]string{c.key, c.secret, c.passphrase}, n) {
			others = append(others, n)
		}
	}
	c.others = describeOthers(others)
	return c, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no variables"
	}
	return strings.Join(slices.Clone(names), ", ")
}
