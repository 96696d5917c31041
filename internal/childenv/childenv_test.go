package childenv

import (
	"slices"
	"testing"
)

func TestCredential(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"EXCHANGE_API_KEY", true},
		{"EXCHANGE_API_SECRET", true},
		{"EXCHANGE_API_PASSPHRASE", true},
		{"BINANCE_KEY", true},
		{"binance_secret", true},
		{"TELEGRAM_BOT_TOKEN", true},
		{"PGPASSWORD", true},
		{"AWS_ACCESS_KEY_ID", true},
		{"CREDENTIALS_DIRECTORY", true},
		{"PATH", false},
		{"HOME", false},
		{"LANG", false},
		{"GIT_CONFIG_GLOBAL", false},
		{"XDG_CONFIG_HOME", false},
		{"KEYBOARD", false},
		{"SSH_AUTH_SOCK", false},
	} {
		if got := Credential(tc.name); got != tc.want {
			t.Errorf("Credential(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWithout(t *testing.T) {
	const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e5UZjFQ9b3oA6Cr"
	env := []string{"PATH=/usr/bin", "EXCHANGE_API_SECRET=" + secret, "HOME=/home/bot", "EXCHANGE_API_KEY=" + secret, "NOVALUE"}
	got := Without(env)
	want := []string{"PATH=/usr/bin", "HOME=/home/bot", "NOVALUE"}
	if !slices.Equal(got, want) {
		t.Fatalf("Without = %q, want %q", got, want)
	}
	if env[1] != "EXCHANGE_API_SECRET="+secret {
		t.Fatal("Without modified its argument")
	}
}

// A profile's env table may name its variables anything: a variable is
// dropped for holding a withheld value, whatever its name, and a short
// withheld value drops only a variable that equals it.
func TestWithoutWithheldValues(t *testing.T) {
	const key = "kwCHILDkey-Zx8Cv7Bn6Mm5Ll4Kk3"
	const secret = "kwCHILDsecret-Qw1Er2Ty3Ui4Op5"
	Withhold(key, secret, "abc", "")
	env := []string{"PATH=/usr/bin", "BOT_K=" + key, "BOT_S=" + secret, "DSN=postgres://u:" + secret + "@db/x",
		"SHORT=abc", "WORDS=abcdef", "HOME=/home/bot", "EMPTY="}
	got := Without(env)
	want := []string{"PATH=/usr/bin", "WORDS=abcdef", "HOME=/home/bot", "EMPTY="}
	if !slices.Equal(got, want) {
		t.Fatalf("Without = %q, want %q", got, want)
	}
}
