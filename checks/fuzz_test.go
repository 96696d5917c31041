package checks

import (
	"net/netip"
	"testing"
)

// FuzzWhitelistEntry: whitelist entries come from the exchange (KuCoin's
// masked patterns) and the config; none may panic the check, and a plain
// address always matches itself.
func FuzzWhitelistEntry(f *testing.F) {
	for _, s := range []string{"203.**.154", "203.0.113.0/24", "2001:db8::/32", "*", "**.**", "[", `\`, "1.2.3.4"} {
		f.Add(s, "203.0.113.154")
	}
	f.Fuzz(func(t *testing.T, entry, ip string) {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return
		}
		_ = whitelisted(a, []string{entry})
		if !whitelisted(a, []string{a.Unmap().WithZone("").String()}) && a.Zone() == "" {
			t.Errorf("%s does not match itself", a)
		}
	})
}

// FuzzParseIPAnswer: an IP source's body is untrusted.
func FuzzParseIPAnswer(f *testing.F) {
	for _, s := range []string{"203.0.113.7\n", `{"ip":"2001:db8::1"}`, "{", "<html>", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, err := parseIPAnswer(b)
		if err == nil && (!ip.IsValid() || ip.Is4In6() || ip.Zone() != "") {
			t.Errorf("parseIPAnswer(%q) = %v", b, ip)
		}
	})
}
