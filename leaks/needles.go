// Package leaks finds keywarden's stored credentials in a directory and in
// every blob of its git history. It searches for the exact values it knows
// (and every encoding secretenc lists) with one Aho-Corasick pass over
// each byte stream, so it has no false positives and no rules to maintain.
package leaks

import (
	"bytes"
	"encoding/base64"
	"sort"
	"strings"

	"github.com/keywarden/keywarden/internal/secretenc"
	"github.com/keywarden/keywarden/keystore"
)

// Field says which stored value a finding is.
type Field string

// Fields of a stored item.
const (
	FieldKey        Field = "key"
	FieldSecret     Field = "secret"
	FieldPassphrase Field = "passphrase"
	// A retired key's values (see keystore.Retired): leaked once, they
	// matter until the exchange has revoked the key, and after.
	FieldRetiredKey        Field = "retired-key"
	FieldRetiredSecret     Field = "retired-secret"
	FieldRetiredPassphrase Field = "retired-passphrase"
)

// Encoding says in which form a value was found.
type Encoding string

// Encodings searched for.
const (
	Raw        Encoding = Encoding(secretenc.Raw)
	Base64     Encoding = Encoding(secretenc.Base64)    // standard alphabet, any alignment, padded or not
	Base64URL  Encoding = Encoding(secretenc.Base64URL) // URL-safe alphabet, any alignment, padded or not
	URLEncoded Encoding = Encoding(secretenc.URLEncoded)
	Hex        Encoding = Encoding(secretenc.Hex) // lower or upper case
	// The escaped forms of JSON, YAML, TOML and shell strings (see
	// secretenc for each).
	Escaped        Encoding = Encoding(secretenc.Escaped)
	UnicodeEscaped Encoding = Encoding(secretenc.UnicodeEscaped)
	DoubleEscaped  Encoding = Encoding(secretenc.DoubleEscaped)
	Quoted         Encoding = Encoding(secretenc.Quoted)
)

// MinValueLen is the shortest value searched for. Shorter values would match
// ordinary text by chance; they are listed in Matcher.Skipped instead.
const MinValueLen = 6

// Target is one stored value to look for.
type Target struct {
	Profile string
	Field   Field
	Value   keystore.Secret
}

// TargetsFromItem returns the non-empty values of one profile's stored item,
// its retired keys' included.
func TargetsFromItem(profile string, it keystore.Item) []Target {
	var ts []Target
	for _, f := range (keystore.Entry{Profile: profile, Item: it}).Values() {
		field := map[string]Field{"key": FieldKey, "secret": FieldSecret, "passphrase": FieldPassphrase}[f.Name]
		if f.Retired {
			field = "retired-" + field
		}
		ts = append(ts, Target{profile, field, f.Value})
	}
	return ts
}

// Label names what a needle is: whose value, which field, which encoding.
type Label struct {
	Profile  string
	Field    Field
	Encoding Encoding
}

// Matcher searches byte streams for every target in every encoding at once.
// It is safe for concurrent use by any number of streams. Call Close when
// the scan is over: it wipes the tables that encode the values.
type Matcher struct {
	ac     *automaton
	labels [][]Label // per needle id
	lens   []int     // per needle id: its length, to cut it out of a name
	// Skipped lists targets too short to search for (value never kept).
	Skipped []Label
}

// NewMatcher builds a matcher for targets. Values shorter than MinValueLen
// are not searched for and are listed in Skipped.
func NewMatcher(targets []Target) *Matcher {
	m := &Matcher{}
	index := map[string]int{}
	var needles [][]byte
	add := func(n []byte, l Label) {
		id, ok := index[string(n)]
		if !ok {
			id = len(needles)
			index[string(n)] = id
			needles = append(needles, n)
			m.labels = append(m.labels, nil)
			m.lens = append(m.lens, len(n))
		}
		for _, have := range m.labels[id] {
			if have == l {
				return
			}
		}
		m.labels[id] = append(m.labels[id], l)
	}
	for _, t := range targets {
		v := []byte(t.Value.Reveal())
		if len(v) < MinValueLen {
			if len(v) > 0 {
				m.Skipped = append(m.Skipped, Label{t.Profile, t.Field, Raw})
			}
			continue
		}
		for _, n := range encodings(v) {
			add(n.b, Label{t.Profile, t.Field, n.enc})
		}
	}
	clear(index)
	if len(needles) == 0 {
		needles = [][]byte{{0}} // never reported: labels are empty for it
		m.labels = append(m.labels, nil)
		m.lens = append(m.lens, 1)
	}
	m.ac = newAutomaton(needles)
	for _, n := range needles {
		clear(n)
	}
	return m
}

// Empty reports whether the matcher has nothing to search for.
func (m *Matcher) Empty() bool {
	for _, l := range m.labels {
		if len(l) > 0 {
			return false
		}
	}
	return true
}

// Close wipes the matcher's tables; it must not be used afterwards.
func (m *Matcher) Close() {
	if m.ac != nil {
		m.ac.wipe()
	}
}

type needle struct {
	b   []byte
	enc Encoding
}

// encodings returns the needles for one value: every form secretenc
// lists, except that base64 is searched for by its "cores" at each
// alignment, which also find the value inside a longer encoded stream.
func encodings(v []byte) []needle {
	var ns []needle
	for _, f := range secretenc.Forms(v) {
		switch f.Name {
		case secretenc.Base64, secretenc.Base64URL:
			clear(f.Value)
		default:
			ns = append(ns, needle{f.Value, Encoding(f.Name)})
		}
	}
	std, urlsafe := base64Cores(v, base64.RawStdEncoding), base64Cores(v, base64.RawURLEncoding)
	for i := range std {
		ns = append(ns, needle{std[i], Base64})
		if !bytes.Equal(std[i], urlsafe[i]) {
			ns = append(ns, needle{urlsafe[i], Base64URL})
		}
	}
	return ns
}

// base64Cores returns, for the value starting at byte offset 0, 1 and 2 of a
// longer base64-encoded stream, the characters that depend only on the
// value's own bits. Whatever precedes or follows it (other data, padding,
// end of string) changes only the characters outside the core, so the core
// is found whether the value was encoded alone, padded or not, or inside a
// bigger document.
func base64Cores(v []byte, enc *base64.Encoding) [][]byte {
	cores := make([][]byte, 0, 3)
	for a := 0; a < 3; a++ {
		buf := make([]byte, a+len(v))
		copy(buf[a:], v)
		out := make([]byte, enc.EncodedLen(len(buf)))
		enc.Encode(out, buf)
		clear(buf)
		start, end := (8*a+5)/6, 8*(a+len(v))/6
		core := append([]byte(nil), out[start:end]...)
		clear(out)
		cores = append(cores, core)
	}
	return cores
}

// maxHitsPerStream bounds the work and memory a file full of copies of a
// value can cost; one hit is enough to report the file.
const maxHitsPerStream = 256

// hit is one match in one stream: which needle and on which 1-based line.
type hit struct {
	needle int32
	line   int
}

// stream scans one byte stream (a file or a blob) fed in chunks.
type stream struct {
	m     *Matcher
	state uint32
	lines int // newlines seen before the current chunk
	hits  []hit
}

func (m *Matcher) newStream() *stream { return &stream{m: m} }

func (s *stream) reset() {
	s.state, s.lines, s.hits = 0, 0, s.hits[:0]
}

// write feeds the next chunk of the stream.
func (s *stream) write(p []byte) {
	s.state = s.m.ac.scanWide(p, s.state, func(id int32, end int) {
		if len(s.m.labels[id]) == 0 || len(s.hits) >= maxHitsPerStream {
			return
		}
		line := s.lines + 1 + bytes.Count(p[:end], []byte{'\n'})
		for _, h := range s.hits {
			if h.needle == id && h.line == line {
				return
			}
		}
		s.hits = append(s.hits, hit{id, line})
	})
	s.lines += bytes.Count(p, []byte{'\n'})
}

// Match is one value found in one stream.
type Match struct {
	Label
	Line int // 1-based line of the match's last byte
}

// matches returns what the stream found, one per label and line, sorted.
func (s *stream) matches() []Match {
	var ms []Match
	for _, h := range s.hits {
		for _, l := range s.m.labels[h.needle] {
			ms = append(ms, Match{l, h.line})
		}
	}
	sort.Slice(ms, func(i, j int) bool { return lessMatch(ms[i], ms[j]) })
	out := ms[:0]
	for i, m := range ms {
		if i == 0 || m != ms[i-1] {
			out = append(out, m)
		}
	}
	return out
}

func lessMatch(a, b Match) bool {
	if a.Profile != b.Profile {
		return a.Profile < b.Profile
	}
	if a.Field != b.Field {
		return a.Field < b.Field
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Encoding < b.Encoding
}

// Find returns every target found in data (a convenience over one stream).
func (m *Matcher) Find(data []byte) []Match {
	s := m.newStream()
	s.write(data)
	return s.matches()
}

// RedactedName replaces a stored value in a name (a path, a ref) that is
// printed or cached.
const RedactedName = "[redacted]"

// RedactName returns name with every stored value (in any encoding) in it
// replaced by RedactedName, and whether there was one: a file called after a
// key, or a branch named with it, must be reported without printing it.
func (m *Matcher) RedactName(name string) (string, bool) {
	type span struct{ from, to int }
	var spans []span
	m.ac.scan([]byte(name), 0, func(id int32, end int) {
		if len(m.labels[id]) > 0 {
			spans = append(spans, span{end - m.lens[id], end})
		}
	})
	if len(spans) == 0 {
		return name, false
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var b strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		from, to := spans[i].from, spans[i].to
		for i++; i < len(spans) && spans[i].from <= to; i++ {
			to = max(to, spans[i].to) // overlapping forms of one value
		}
		b.WriteString(name[at:from])
		b.WriteString(RedactedName)
		at = to
	}
	b.WriteString(name[at:])
	return b.String(), true
}
