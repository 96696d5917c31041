package auditlog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// refTail is the obvious implementation Tail must agree with.
func refTail(data []byte, n int) []string {
	if len(data) == 0 || n == 0 {
		return nil
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	lines := strings.Split(string(data), "\n")
	if n < len(lines) {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bot.log")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTailMatchesReference(t *testing.T) {
	var many bytes.Buffer
	for i := 0; i < 50000; i++ { // ~2.5 MB: several chunks
		fmt.Fprintf(&many, "2026-11-25 16:04:11,123 | INFO | line %06d\n", i)
	}
	chunkEdge := bytes.Repeat([]byte("x"), tailChunk-1) // a newline exactly at a chunk boundary
	files := map[string][]byte{
		"empty":              nil,
		"one line no eol":    []byte("only"),
		"one line":           []byte("only\n"),
		"no final newline":   []byte("a\nb\nc"),
		"empty lines":        []byte("a\n\n\nb\n\n"),
		"crlf":               []byte("a\r\nb\r\nc\r\n"),
		"just newlines":      []byte("\n\n\n"),
		"many":               many.Bytes(),
		"chunk boundary":     append(append(append([]byte("first\n"), chunkEdge...), '\n'), "last\n"...),
		"long middle line":   append(append([]byte("a\n"), bytes.Repeat([]byte("y"), 3*tailChunk)...), "\nb\n"...),
		"invalid utf8 bytes": []byte("\xff\xfe\n\xc3\x28\n"),
	}
	for name, data := range files {
		p := writeFile(t, data)
		for _, n := range []int{0, 1, 2, 3, 10, 500, 100000} {
			got, err := Tail(p, n)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := refTail(data, n)
			if len(got) != len(want) {
				t.Errorf("%s -n %d: %d lines, want %d", name, n, len(got), len(want))
				continue
			}
			for i := range want {
				if string(got[i]) != want[i] {
					t.Errorf("%s -n %d: line %d = %.40q, want %.40q", name, n, i, got[i], want[i])
				}
			}
		}
	}
}

func TestTailTruncatesHugeLines(t *testing.T) {
	huge := bytes.Repeat([]byte("z"), MaxLineBytes+12345)
	p := writeFile(t, append(append([]byte("before\n"), huge...), "\nafter\n"...))
	got, err := Tail(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0]) != "before" || string(got[2]) != "after" {
		t.Fatalf("got %d lines", len(got))
	}
	if len(got[1]) != MaxLineBytes+len(TruncatedMark) || !bytes.HasSuffix(got[1], []byte(TruncatedMark)) {
		t.Errorf("huge line is %d bytes, want %d ending in the mark", len(got[1]), MaxLineBytes+len(TruncatedMark))
	}
}

func TestTailMissingFile(t *testing.T) {
	_, err := Tail(filepath.Join(t.TempDir(), "nope.log"), 10)
	if !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("err = %v, want a not-exist error", err)
	}
}

func TestBackwardLinesMatchesReference(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&b, "line %d %s\n", i, strings.Repeat("p", i%97))
	}
	b.WriteString("last without newline")
	data := b.Bytes()
	want := refTail(data, 1<<30)
	f, err := os.Open(writeFile(t, data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	if _, err := backwardLines(f, int64(len(data)), 1<<40, func(l []byte) bool {
		got = append(got, string(l))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[len(got)-1-i] != want[i] {
			t.Fatalf("line %d = %q, want %q", i, got[len(got)-1-i], want[i])
		}
	}
}

func TestScanLastHour(t *testing.T) {
	now := time.Date(2026, 11, 25, 16, 30, 0, 0, time.UTC)
	var b bytes.Buffer
	// Two hours of one line a minute; errors at -90 min (outside the hour)
	// and -20, -3 min (inside), and a leaked secret at -2 min.
	for m := 120; m >= 0; m-- {
		ts := now.Add(-time.Duration(m) * time.Minute).Format(time.RFC3339)
		switch m {
		case 90, 20:
			fmt.Fprintf(&b, `{"ts":%q,"level":"error","exchange":"binance","code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}`+"\n", ts)
		case 3:
			fmt.Fprintf(&b, `{"ts":%q,"level":"error","exchange":"okx","code":"50110","msg":"Your IP 203.0.113.7 is not included in your API key's IP whitelist."}`+"\n", ts)
			b.WriteString("Traceback (most recent call last):\n")
		case 2:
			fmt.Fprintf(&b, `{"ts":%q,"level":"debug","msg":"signing with %s"}`+"\n", ts, binanceSecret)
		default:
			fmt.Fprintf(&b, `{"ts":%q,"level":"info","event":"get_ticker","status":200,"pad":%q}`+"\n", ts, strings.Repeat("p", 2000))
		}
	}
	p := writeFile(t, b.Bytes())
	res, err := Scan(t.Context(), p, &Parser{Redactor: testRedactor()}, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.EntriesHour != 61 { // minutes -59..0 plus the traceback line
		t.Errorf("entries last hour = %d, want 61", res.EntriesHour)
	}
	if res.CausesHour["clock"] != 1 || res.CausesHour["ip"] != 1 || len(res.CausesHour) != 2 {
		t.Errorf("causes = %v, want clock 1, ip 1", res.CausesHour)
	}
	if res.LeakLines != 1 {
		t.Errorf("leaks = %d, want 1", res.LeakLines)
	}
	if !res.LastEntryAt.Equal(now) {
		t.Errorf("last entry = %v, want %v", res.LastEntryAt, now)
	}
	if res.ScannedBytes >= int64(b.Len()) {
		t.Errorf("scanned %d of %d bytes: it should stop at the hour", res.ScannedBytes, b.Len())
	}
}
