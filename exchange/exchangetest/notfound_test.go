package exchangetest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A path the exchange has no route for gets that exchange's own answer, never
// Go's plain-text "404 page not found".
func TestFakesAnswerUnknownPathsLikeTheExchange(t *testing.T) {
	cases := []struct {
		name        string
		start       func() (url string, close func())
		method      string
		status      int
		contentType string
		body        string // exact, or a prefix when it ends in "…"
	}{
		{"binance", func() (string, func()) { f := NewBinance(); return f.URL(), f.Close }, http.MethodGet,
			404, "text/html", "<!DOCTYPE html>…"},
		{"bybit", func() (string, func()) { f := NewBybit(); return f.URL(), f.Close }, http.MethodGet,
			404, "application/json; charset=utf-8", ""},
		{"okx", func() (string, func()) { f := NewOKX(); return f.URL(), f.Close }, http.MethodGet,
			404, "application/json", `{"code":404,"data":{},"detailMsg":"No message available","msg":"Not Found"}`},
		{"kucoin", func() (string, func()) { f := NewKuCoin(); return f.URL(), f.Close }, http.MethodGet,
			404, "application/json", `{"code":"404000","msg":"Url Not Found"}`},
		{"kraken", func() (string, func()) { f := NewKraken(); return f.URL(), f.Close }, http.MethodPost,
			200, "application/json; charset=utf-8", `{"error":["EGeneral:Unknown method"]}`},
		{"coinbase", func() (string, func()) { f := NewCoinbase(); return f.URL(), f.Close }, http.MethodGet,
			404, "application/json", `{"code":5,"details":[],"error":"NOT_FOUND","message":"Not Found"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, closeFake := c.start()
			defer closeFake()
			req, _ := http.NewRequest(c.method, u+"/no/such/path", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.contentType {
				t.Errorf("HTTP %d %q, want HTTP %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.contentType)
			}
			if prefix, ok := strings.CutSuffix(c.body, "…"); ok && !strings.HasPrefix(body, prefix) || !ok && body != c.body {
				t.Errorf("body %q, want %q", body, c.body)
			}
		})
	}
}
