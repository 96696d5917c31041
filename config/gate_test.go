package config

import (
	"strings"
	"testing"
)

func TestGateUnknown(t *testing.T) {
	for text, want := range map[string]string{
		"":                               "warn",
		"[gate]\nunknown = \"warn\"\n":   "warn",
		"[gate]\nunknown = \"refuse\"\n": "refuse",
	} {
		cfg, err := Load(writeConfig(t, text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if cfg.Gate.Unknown != want {
			t.Errorf("%q: gate.unknown = %q, want %q", text, cfg.Gate.Unknown, want)
		}
	}
	p := writeConfig(t, "[gate]\nunknown = \"ignore\"\n")
	_, err := Load(p)
	if err == nil {
		t.Fatal("gate.unknown = \"ignore\" accepted")
	}
	for _, w := range []string{p + ":2:", "gate.unknown", `"ignore"`, "warn, refuse"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
