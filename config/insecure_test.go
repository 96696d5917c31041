package config

import (
	"strings"
	"testing"
)

// A plain http:// base_url to a host other than this machine is refused at
// load (file, line, field; never the value) unless the profile says
// insecure = true, which loads with a warning. Loopback hosts are how the
// tests and a local proxy are reached, and stay allowed.
func TestPlainHTTPBaseURLRefusedUnlessInsecure(t *testing.T) {
	const canary = "kwCANARYhost7Qx"
	profile := func(url, extra string) string {
		return "keystore = \"file\"\n\n[[profile]]\nname = \"a\"\nexchange = \"binance\"\nbase_url = \"" + url + "\"\n" + extra
	}
	for _, url := range []string{"http://" + canary + ".example.com", "http://203.0.113.7:8080/" + canary, "http://[2001:db8::1]/", "http://127.0.0.1.nip.io/"} {
		p := writeConfig(t, profile(url, ""))
		_, err := Load(p)
		if err == nil {
			t.Errorf("%s loaded", url)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, p+":6: profile.base_url: base_url is plain http:// to a host other than this machine") || !strings.Contains(msg, "insecure = true") {
			t.Errorf("%s: %q", url, msg)
		}
		if strings.Contains(msg, canary) || strings.Contains(msg, "203.0.113.7") {
			t.Errorf("the error quotes the value: %q", msg)
		}
	}
	for _, url := range []string{"http://127.0.0.1:8080", "http://localhost:9000/api", "http://[::1]:1", "http://api.localhost", "https://" + canary + ".example.com"} {
		cfg, err := Load(writeConfig(t, profile(url, "")))
		if err != nil {
			t.Errorf("%s: %v", url, err)
			continue
		}
		if len(cfg.Warnings) != 0 || cfg.Profiles[0].Insecure {
			t.Errorf("%s: warnings %q", url, cfg.Warnings)
		}
	}
	p := writeConfig(t, profile("http://"+canary+".example.com", "insecure = true\n"))
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Profiles[0].Insecure || len(cfg.Warnings) != 1 || !strings.HasPrefix(cfg.Warnings[0], p+":6: profile.base_url: plain http://") || strings.Contains(cfg.Warnings[0], canary) {
		t.Fatalf("insecure = true: %+v, warnings %q", cfg.Profiles[0].Insecure, cfg.Warnings)
	}
	if err := AppendProfile(p, Profile{Name: "b", Exchange: "okx", BaseURL: "http://" + canary + ".example.com"}); err == nil || strings.Contains(err.Error(), canary) {
		t.Fatalf("appending a plain-http profile: %v", err)
	}
	if _, err := Load(writeConfig(t, profile("http://", ""))); err == nil || !strings.Contains(err.Error(), "not a valid URL") {
		t.Fatalf("a base_url without a host: %v", err)
	}
}
