package exchange

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// A transport failure keeps no signed query string (Binance's signature)
// or URL password anywhere in its error chain, even for callers that
// unwrap it to the *url.Error.
func TestTransportErrorChainHoldsNoQuery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connection refused from now on
	const sig = "9f1c0e5b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e"
	req, err := http.NewRequest(http.MethodGet, "http://user:hunter2pass@"+addr+"/api/v3/account?timestamp=1&signature="+sig, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Do(t.Context(), nil, "binance", "key info", req)
	if err == nil {
		t.Fatal("no error from a closed port")
	}
	var texts []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		texts = append(texts, e.Error(), fmt.Sprintf("%+v", e))
	}
	all := strings.Join(texts, "\n")
	for _, s := range []string{sig, "hunter2pass", "signature="} {
		if strings.Contains(all, s) {
			t.Fatalf("error chain holds %q:\n%s", s, all)
		}
	}
	if CauseOf(err) != CauseNetwork || !strings.Contains(all, "/api/v3/account") {
		t.Fatalf("cause %v, chain:\n%s", CauseOf(err), all)
	}
}
