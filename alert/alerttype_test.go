package alert

import (
	"os"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/alert/alerttype"
)

// A notifier type lives in alerttype (its name and rules) and here (its
// builder); forgetting either, or its row in the docs' notifier table,
// fails this test.
func TestEveryAlertTypeHasANotifierAndADocsRow(t *testing.T) {
	names := alerttype.Names()
	for _, n := range names {
		if builders[n] == nil {
			t.Errorf("alerttype %q has no builder in alert", n)
		}
	}
	for n := range builders {
		if _, ok := alerttype.Lookup(n); !ok {
			t.Errorf("builder %q has no alerttype: config would refuse it", n)
		}
	}
	docs, err := os.ReadFile("../docs/watch.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !strings.Contains(string(docs), "\n| `"+n+"` |") {
			t.Errorf("docs/watch.md has no row for notifier type %q", n)
		}
	}
}
