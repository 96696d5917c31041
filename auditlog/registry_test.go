package auditlog

import (
	"strings"
	"testing"

	"github.com/keywarden/keywarden/exchange"
)

// Every registered exchange is recognised in a log line, by name and by its
// code prefixes, and its documented codes classify as the registry says.
func TestRegisteredExchangesAreRecognised(t *testing.T) {
	for _, in := range exchange.All() {
		if got := exchangeName([]byte(strings.ToUpper(in.Name[:1]) + in.Name[1:] + "usdm")); got != in.Name {
			t.Errorf("exchangeName(%s…usdm) = %q", in.Name, got)
		}
		if got := findExchange([]byte("error from " + in.Name + " api")); got != in.Name {
			t.Errorf("findExchange names %q in a %s line", got, in.Name)
		}
		for _, p := range in.CodePrefixes {
			line := `{"error":["` + p + `Something"]}`
			if got := findExchange([]byte(line)); got != in.Name {
				t.Errorf("findExchange(%s) = %q, want %s", line, got, in.Name)
			}
			if got := findCode([]byte(line)); got != p+"Something" {
				t.Errorf("findCode(%s) = %q", line, got)
			}
		}
		for code, cause := range exchange.KnownCodes(in.Name) {
			e := Entry{Level: LevelError, Exchange: in.Name, Code: code}
			classify(&e, &fields{})
			if e.Cause != cause {
				t.Errorf("%s code %q classified %q, registry says %q", in.Name, code, e.Cause, cause)
			}
		}
	}
}
