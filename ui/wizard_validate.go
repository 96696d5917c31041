package ui

import (
	"github.com/keywarden/keywarden/exchange"
)

// apiPage is the exchange's API management page: where to find it in the
// menus, and its address (exchange.Info).
func apiPage(exchangeName string) (name, url string) {
	if in, ok := exchange.Lookup(exchangeName); ok {
		return in.APIPage, in.APIPageURL
	}
	return "the exchange's API management page", ""
}

// pageLines is the page on lines of its own, so the address is never
// broken.
func pageLines(exchangeName string) string {
	name, url := apiPage(exchangeName)
	if url == "" {
		return name
	}
	return name + ":\n  " + url
}

// Host is a named endpoint choice in the add wizard.
type Host struct {
	Label string
	URL   string // "" is the exchange's default production endpoint
}

// hostChoices are the endpoints offered for an exchange: production, the
// registry's other hosts (exchange.Info.Hosts), and last a custom choice
// that asks for a URL.
func hostChoices(exchangeName string) []Host {
	hs := []Host{{Label: "production (default endpoint)"}}
	if in, ok := exchange.Lookup(exchangeName); ok {
		for _, h := range in.Hosts {
			hs = append(hs, Host(h))
		}
	}
	return append(hs, Host{Label: "custom URL (regional host, proxy, local fake)"})
}
