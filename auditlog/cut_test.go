package auditlog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/keystore"
)

// A line longer than MaxLineBytes is cut (its first MaxLineBytes when
// followed, its last when read backwards); a secret across the cut leaves a
// piece no whole-value needle matches. The piece must not be shown either.
func TestParseRedactsSecretPieceAtACut(t *testing.T) {
	const sec = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e5UZjFQ9b3oA6Cr"
	p := &Parser{Exchange: "binance", Redactor: NewRedactor([]keystore.Secret{keystore.NewSecret(sec)})}
	pieceShown := func(e Entry) string {
		all := fmt.Sprintf("%+v", e)
		for k := len(sec) - 1; k >= 8; k-- {
			if strings.Contains(all, sec[:k]) || strings.Contains(all, sec[len(sec)-k:]) {
				return sec[:k]
			}
		}
		return ""
	}

	t.Run("end cut (follow)", func(t *testing.T) {
		line := "level=error msg=\"" + strings.Repeat("x", MaxLineBytes-17-30) + sec[:30] + TruncatedMark
		e := p.Parse([]byte(line))
		if s := pieceShown(e); s != "" || !e.Redacted {
			t.Fatalf("Redacted=%v, %d characters of the secret shown", e.Redacted, len(s))
		}
		if !strings.HasSuffix(e.Raw, RedactedMark+TruncatedMark) {
			t.Fatalf("raw ends %q", e.Raw[len(e.Raw)-40:])
		}
	})

	t.Run("start cut (backward read, as the auditlog check scans)", func(t *testing.T) {
		text := "first\n" + sec + strings.Repeat("y", MaxLineBytes-10) + "\nlast\n"
		var long []byte
		_, err := backwardLines(strings.NewReader(text), int64(len(text)), 1<<30, func(l []byte) bool {
			if len(l) > 100 {
				long = append([]byte(nil), l...)
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if long == nil || !strings.HasPrefix(string(long), sec[len(sec)-10:]) {
			t.Fatalf("the long line was not cut at its start as this test expects")
		}
		e := p.Parse(long)
		if s := pieceShown(e); s != "" || !e.Redacted || !strings.HasPrefix(e.Raw, RedactedMark+"y") {
			t.Fatalf("Redacted=%v, piece %q shown, raw starts %q", e.Redacted, s, e.Raw[:40])
		}
	})

	// An ordinary long line that merely ends in a common word is kept.
	line := strings.Repeat("z", MaxLineBytes) + TruncatedMark
	if e := p.Parse([]byte(line)); e.Redacted || e.Raw != line {
		t.Fatal("a long line without a secret was changed")
	}
}
