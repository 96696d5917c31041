package demo

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
)

// IPEcho is a loopback stand-in for public-IP services (ipify, icanhazip):
// it answers every request with a fixed address, in the service's own
// format — plain text, with or without a trailing newline, or {"ip": ...}.
type IPEcho struct {
	srv *httptest.Server
}

// Echo formats.
const (
	EchoPlain   = "plain"    // ipify: no trailing newline
	EchoPlainNL = "plain-nl" // icanhazip, checkip.amazonaws.com
	EchoJSON    = "json"     // ipify ?format=json
)

// StartIPEcho serves ip in the given format on 127.0.0.1.
func StartIPEcho(ip net.IP, format string) *IPEcho {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch format {
		case EchoJSON:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"ip":%q}`, ip.String())
		case EchoPlainNL:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintf(w, "%s\n", ip)
		default:
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, ip.String())
		}
	})
	return &IPEcho{srv: httptest.NewServer(h)}
}

// URL is the source URL for the config's ip.sources.
func (e *IPEcho) URL() string { return e.srv.URL }

// Close stops the server.
func (e *IPEcho) Close() { e.srv.Close() }
