package leaks

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/keystore"
)

// Fake credentials shaped like real ones (Binance: 64 alphanumerics; OKX
// passphrase with symbols).
const (
	testKey        = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	testSecret     = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	testPassphrase = "p@ss w/rd+&=ok~?>~"
)

func testTargets() []Target {
	return TargetsFromItem("binance-main", keystore.Item{
		APIKey:     keystore.NewSecret(testKey),
		APISecret:  keystore.NewSecret(testSecret),
		Passphrase: keystore.NewSecret(testPassphrase),
	})
}

func b64At(enc *base64.Encoding, prefix, v, suffix string) string {
	return enc.EncodeToString([]byte(prefix + v + suffix))
}

func TestMatcherEncodings(t *testing.T) {
	m := NewMatcher(testTargets())
	defer m.Close()
	for _, tc := range []struct {
		name string
		text string
		want []Match // nil: no match
	}{
		{"raw secret in code", "API_SECRET = \"" + testSecret + "\"\n", []Match{{Label{"binance-main", FieldSecret, Raw}, 1}}},
		{"raw key on line 3", "a\nb\nkey=" + testKey, []Match{{Label{"binance-main", FieldKey, Raw}, 3}}},
		{"hex lower", "x " + hex.EncodeToString([]byte(testSecret)), []Match{{Label{"binance-main", FieldSecret, Hex}, 1}}},
		{"hex upper", strings.ToUpper(hex.EncodeToString([]byte(testKey))), []Match{{Label{"binance-main", FieldKey, Hex}, 1}}},
		{"base64 std padded", base64.StdEncoding.EncodeToString([]byte(testPassphrase)), []Match{{Label{"binance-main", FieldPassphrase, Base64}, 1}}},
		{"base64 std raw", base64.RawStdEncoding.EncodeToString([]byte(testSecret)), []Match{{Label{"binance-main", FieldSecret, Base64}, 1}}},
		{"base64 offset 1", b64At(base64.StdEncoding, "k", testSecret, "tail"), []Match{{Label{"binance-main", FieldSecret, Base64}, 1}}},
		{"base64 offset 2", b64At(base64.StdEncoding, "k:", testSecret, ""), []Match{{Label{"binance-main", FieldSecret, Base64}, 1}}},
		{"base64 offset 0 in basic auth", "Authorization: Basic " + b64At(base64.StdEncoding, "", testKey+":"+testSecret, ""), []Match{
			{Label{"binance-main", FieldKey, Base64}, 1}, {Label{"binance-main", FieldSecret, Base64}, 1}}},
		{"base64url offset 1", b64At(base64.RawURLEncoding, "{", testPassphrase, "}"), []Match{{Label{"binance-main", FieldPassphrase, Base64URL}, 1}}},
		{"query escaped", "https://x.example/?s=" + url.QueryEscape(testPassphrase), []Match{{Label{"binance-main", FieldPassphrase, URLEncoded}, 1}}},
		{"path escaped", "https://x.example/" + url.PathEscape(testPassphrase), []Match{{Label{"binance-main", FieldPassphrase, URLEncoded}, 1}}},
		{"json with \\/", `{"pass": "p@ss w\/rd+&=ok~?>~"}`, []Match{{Label{"binance-main", FieldPassphrase, Escaped}, 1}}},
		{"go json, html-safe", `{"pass":"p@ss w/rd+\u0026=ok~?\u003e~"}`, []Match{{Label{"binance-main", FieldPassphrase, Escaped}, 1}}},
		{"every character \\u", "s = '" + unicodeAll(testKey) + "'", []Match{{Label{"binance-main", FieldKey, UnicodeEscaped}, 1}}},
		{"json in a json string", `{"body": "{\\"pass\\": \\"p@ss w\\/rd+&=ok~?>~\\"}"}`, []Match{{Label{"binance-main", FieldPassphrase, DoubleEscaped}, 1}}},
		{"bash printf %q", `export PASS=p@ss\ w/rd+\&=ok~\?\>~`, []Match{{Label{"binance-main", FieldPassphrase, Quoted}, 1}}},
		{"split across a line", testSecret[:30] + "\n" + testSecret[30:], nil},
		{"truncated", testSecret[:len(testSecret)-1], nil},
		{"one character changed", "X" + testSecret[1:], nil},
		{"clean", "nothing to see here", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Find([]byte(tc.text))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Find = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatcherLowerCaseEscapes(t *testing.T) {
	m := NewMatcher(testTargets())
	defer m.Close()
	// "%2f" for "%2F", as some encoders write it
	low := regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(testPassphrase), strings.ToLower)
	got := m.Find([]byte(low))
	if len(got) != 1 || got[0].Encoding != URLEncoded {
		t.Fatalf("Find(lower-case escapes) = %v, want one urlencoded match", got)
	}
}

func TestMatcherShortValuesSkipped(t *testing.T) {
	m := NewMatcher([]Target{{"p", FieldPassphrase, keystore.NewSecret("abc")}})
	defer m.Close()
	if !m.Empty() {
		t.Error("matcher with only a too-short value is not empty")
	}
	if len(m.Skipped) != 1 || m.Skipped[0].Field != FieldPassphrase {
		t.Errorf("Skipped = %v, want the passphrase", m.Skipped)
	}
	if got := m.Find([]byte("abc abc")); got != nil {
		t.Errorf("Find = %v, want nothing", got)
	}
}

func TestMatcherChunkedEqualsWhole(t *testing.T) {
	m := NewMatcher(testTargets())
	defer m.Close()
	text := []byte(strings.Repeat("filler line\n", 50) + "s=" + testSecret + "\n" +
		base64.StdEncoding.EncodeToString([]byte("xy"+testKey)) + "\n")
	whole := m.Find(text)
	if len(whole) != 2 {
		t.Fatalf("whole: %v, want 2 matches", whole)
	}
	for _, size := range []int{1, 3, 7, 64, 600} {
		s := m.newStream()
		for i := 0; i < len(text); i += size {
			s.write(text[i:min(i+size, len(text))])
		}
		if got := s.matches(); fmt.Sprint(got) != fmt.Sprint(whole) {
			t.Errorf("chunks of %d: %v, want %v", size, got, whole)
		}
	}
}

// TestAutomatonAgainstIndex compares the DFA with bytes.Index on random
// needles over a tiny alphabet, where overlaps and shared prefixes abound.
func TestAutomatonAgainstIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for round := 0; round < 200; round++ {
		alpha := "abc\x00\xff"[:2+r.IntN(4)]
		var needles [][]byte
		for range 1 + r.IntN(8) {
			n := make([]byte, 1+r.IntN(5))
			for i := range n {
				n[i] = alpha[r.IntN(len(alpha))]
			}
			needles = append(needles, n)
		}
		hay := make([]byte, r.IntN(200))
		for i := range hay {
			hay[i] = alpha[r.IntN(len(alpha))]
		}
		checkAutomaton(t, needles, hay)
	}
}

func checkAutomaton(t *testing.T, needles [][]byte, hay []byte) {
	t.Helper()
	a := newAutomaton(needles)
	got := map[[2]int]bool{}
	a.scan(hay, 0, func(id int32, end int) { got[[2]int{int(id), end}] = true })
	want := map[[2]int]bool{}
	for id, n := range needles {
		for i := 0; i+len(n) <= len(hay); i++ {
			if bytes.Equal(hay[i:i+len(n)], n) {
				want[[2]int{id, i + len(n)}] = true
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("needles %q in %q: got %v, want %v", needles, hay, got, want)
	}
}

func TestAutomatonAllBytes(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	checkAutomaton(t, [][]byte{all, {255, 0}, {7}}, append(append([]byte{1, 255}, all...), all...))
}

func FuzzAutomaton(f *testing.F) {
	f.Add([]byte("he"), []byte("she"), []byte("ushers"))
	f.Fuzz(func(t *testing.T, n1, n2, hay []byte) {
		if len(n1) == 0 || len(n2) == 0 || len(hay) > 4096 {
			return
		}
		checkAutomaton(t, [][]byte{n1, n2}, hay)
	})
}

// benchText is code-like text without any needle.
func benchText(size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("def return self order price qty side symbol = ( ) : 0.5 1000 if else client fetch_ticker BTCUSDT # 7f3a9c")
	var b bytes.Buffer
	for b.Len() < size {
		for k := 3 + r.IntN(8); k > 0; k-- {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		b.WriteByte('\n')
	}
	return b.Bytes()[:size]
}

// BenchmarkMatcher reports MB/s of one stream for 3 profiles' values in
// every encoding (about 100 needles).
func BenchmarkMatcher(b *testing.B) {
	var ts []Target
	r := rand.New(rand.NewPCG(3, 4))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	rnd := func(n int) keystore.Secret {
		v := make([]byte, n)
		for i := range v {
			v[i] = alnum[r.IntN(len(alnum))]
		}
		return keystore.NewSecret(string(v))
	}
	for p := range 3 {
		ts = append(ts, TargetsFromItem(fmt.Sprint("p", p), keystore.Item{APIKey: rnd(64), APISecret: rnd(64), Passphrase: rnd(12)})...)
	}
	m := NewMatcher(ts)
	defer m.Close()
	for _, kind := range []struct {
		name string
		data []byte
	}{
		{"code", benchText(4 << 20)},
		{"random", func() []byte { v := make([]byte, 4<<20); rand.NewChaCha8([32]byte{}).Read(v); return v }()},
	} {
		b.Run(kind.name, func(b *testing.B) {
			s := m.newStream()
			b.SetBytes(int64(len(kind.data)))
			for b.Loop() {
				s.reset()
				s.write(kind.data)
			}
			if len(s.hits) != 0 {
				b.Fatalf("unexpected hits %v", s.hits)
			}
		})
	}
}

// TestAutomatonWide checks the four-lane walk against the single walk on
// inputs large enough to use it, with matches planted on lane boundaries.
func TestAutomatonWide(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	needles := [][]byte{[]byte("abcab"), []byte("bca"), []byte("c"), []byte(strings.Repeat("ab", 40))}
	a := newAutomaton(needles)
	for round := 0; round < 20; round++ {
		hay := make([]byte, 20000+r.IntN(50000))
		for i := range hay {
			hay[i] = "abcx"[r.IntN(4)]
		}
		q := len(hay) / lanes
		for k := 1; k < lanes; k++ { // a long needle straddling each boundary
			copy(hay[k*q-r.IntN(80):], needles[3])
		}
		start := uint32(r.IntN(3)) * a.stride // a mid-stream state
		type m struct{ id, end int }
		var one, wide []m
		s1 := a.scan(hay, start, func(id int32, end int) { one = append(one, m{int(id), end}) })
		s2 := a.scanWide(hay, start, func(id int32, end int) { wide = append(wide, m{int(id), end}) })
		sortM := func(ms []m) {
			slices.SortFunc(ms, func(x, y m) int { return cmp.Or(cmp.Compare(x.end, y.end), cmp.Compare(x.id, y.id)) })
		}
		sortM(one)
		sortM(wide)
		if s1 != s2 || !slices.Equal(one, wide) {
			t.Fatalf("round %d: wide walk differs: state %d vs %d, %d vs %d matches", round, s2, s1, len(wide), len(one))
		}
	}
}

func unicodeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}
