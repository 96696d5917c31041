package exchange

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every entry of all is complete: forgetting a fact of a new exchange fails
// here, not in front of a user.
func TestRegistry(t *testing.T) {
	if len(all) == 0 {
		t.Fatal("no exchange registered")
	}
	name := regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	seen := map[string]bool{}
	for _, in := range all {
		if !name.MatchString(in.Name) {
			t.Errorf("name %q: want lower-case letters and digits (it is a config value and a log field)", in.Name)
		}
		if seen[in.Name] {
			t.Errorf("%s registered twice", in.Name)
		}
		seen[in.Name] = true
		if in.newClient == nil {
			t.Errorf("%s has no client", in.Name)
			continue
		}
		c, err := New(in.Name, "", nil)
		if err != nil {
			t.Errorf("New(%q): %v", in.Name, err)
		} else if c.Exchange() != in.Name || c.BaseURL() != in.DefaultURL {
			t.Errorf("New(%q) = %s at %s, want %s at %s", in.Name, c.Exchange(), c.BaseURL(), in.Name, in.DefaultURL)
		}
		urls := []string{in.DefaultURL, in.APIPageURL}
		for _, h := range in.Hosts {
			if h.Label == "" {
				t.Errorf("%s host %s has no label", in.Name, h.URL)
			}
			urls = append(urls, h.URL)
		}
		for _, s := range urls {
			if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("%s: %q is not an https URL", in.Name, s)
			}
		}
		if in.APIPage == "" {
			t.Errorf("%s has no API page", in.Name)
		}
		if len(in.codes) == 0 {
			t.Errorf("%s documents no error codes", in.Name)
		}
		for code, c := range in.codes {
			if c == CauseNone || c == CauseOther {
				t.Errorf("%s code %q has cause %q: leave an unclassified code out", in.Name, code, c)
			}
		}
		for _, perm := range in.BundledWithTrade {
			var p Permissions
			if p.field(perm) == nil || perm == "trade" {
				t.Errorf("%s: bundled %q is not a permission other than trade", in.Name, perm)
			}
		}
		for _, prefix := range in.CodePrefixes {
			for _, other := range all {
				for code := range other.codes {
					if other.Name != in.Name && strings.HasPrefix(code, prefix) {
						t.Errorf("%s prefix %q also starts %s code %q", in.Name, prefix, other.Name, code)
					}
				}
			}
		}
	}
	if !slices.IsSorted(Names()) || len(Names()) != len(all) {
		t.Errorf("Names() = %v", Names())
	}
}

// Lookup and All hand out copies: a caller cannot change the registry.
func TestRegistryCopies(t *testing.T) {
	in, ok := Lookup("bybit")
	if !ok || len(in.Hosts) == 0 {
		t.Fatalf("Lookup(bybit) = %+v, %v", in, ok)
	}
	in.Hosts[0].URL = "https://evil.example"
	for _, x := range All() {
		if x.Name == "bybit" {
			x.BundledWithTrade[0] = "withdraw"
		}
	}
	if again, _ := Lookup("bybit"); again.Hosts[0].URL == "https://evil.example" || !BundledWithTrade("bybit", "margin") {
		t.Error("a caller changed the registry")
	}
	if _, ok := Lookup("mtgox"); ok {
		t.Error("Lookup(mtgox) found one")
	}
}
