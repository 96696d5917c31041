package alerttype

import (
	"strings"
	"testing"
)

// Each type's rules: the default url, and the field a bad block is refused at.
func TestAlertTypeRules(t *testing.T) {
	for _, tc := range []struct {
		typ   string
		block Block
		field string // "" when accepted
		url   string // after defaults
	}{
		{"webhook", Block{}, "url", ""},
		{"webhook", Block{URL: "https://h.example/kw"}, "", "https://h.example/kw"},
		{"ntfy", Block{HasToken: true}, "url", ""},
		{"slack", Block{}, "token", ""},
		{"slack", Block{HasToken: true}, "", ""},
		{"discord", Block{URL: "https://discord.example/api/webhooks/1/x"}, "", "https://discord.example/api/webhooks/1/x"},
		{"telegram", Block{HasToken: true}, "chat_id", "https://api.telegram.org"},
		{"telegram", Block{ChatID: "@kw", URL: "http://127.0.0.1:1"}, "", "http://127.0.0.1:1"},
	} {
		typ, ok := Lookup(tc.typ)
		if !ok {
			t.Fatalf("no type %q", tc.typ)
		}
		b := tc.block
		p := typ.Check(&b)
		switch {
		case tc.field == "" && p != nil:
			t.Errorf("%s %+v refused: %s", tc.typ, tc.block, p.Msg)
		case tc.field != "" && (p == nil || p.Field != tc.field):
			t.Errorf("%s %+v: problem %+v, want one at %s", tc.typ, tc.block, p, tc.field)
		}
		if b.URL != tc.url {
			t.Errorf("%s %+v: url %q, want %q", tc.typ, tc.block, b.URL, tc.url)
		}
	}
}

func TestNotifierNamesAndFallbacks(t *testing.T) {
	set := []Named{{Type: "webhook"}, {Type: "slack", Fallback: "pager"}, {Type: "webhook"}, {Type: "ntfy", Name: "pager"}}
	if got := NotifierNames(set); strings.Join(got, " ") != "webhook-1 slack webhook-2 pager" {
		t.Fatalf("names %q", got)
	}
	if i, p := CheckSet(set); p != nil {
		t.Fatalf("refused #%d: %s", i, p.Msg)
	}
	if got := FallbackOnly(set); !got[3] || got[0] || got[1] || got[2] {
		t.Fatalf("fallback only %v", got)
	}
	for _, tc := range []struct {
		set   []Named
		at    int
		field string
	}{
		{[]Named{{Type: "webhook", Name: "a"}, {Type: "ntfy", Name: "a"}}, 1, "name"},
		{[]Named{{Type: "webhook", Name: "slack"}, {Type: "slack"}}, 1, "name"},
		{[]Named{{Type: "webhook", Fallback: "nope"}}, 0, "fallback"},
		{[]Named{{Type: "webhook", Fallback: "webhook"}}, 0, "fallback"},
		{[]Named{{Type: "webhook", Fallback: "ntfy"}, {Type: "ntfy", Fallback: "slack"}, {Type: "slack"}}, 0, "fallback"},
	} {
		i, p := CheckSet(tc.set)
		if p == nil || i != tc.at || p.Field != tc.field {
			t.Errorf("%+v: #%d %+v, want #%d at %s", tc.set, i, p, tc.at, tc.field)
		}
	}
}
