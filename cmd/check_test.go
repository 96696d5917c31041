package cmd

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/internal/testutil"
)

// TestCheckScripts runs `check`, the bare command without a terminal and
// `exec`'s gate against a fake Binance (a key with withdrawals enabled, on
// its whitelist) and a loopback public-IP source.
func TestCheckScripts(t *testing.T) {
	testutil.LookPath(t, "git")
	p := scriptParams("testdata/check")
	setup := p.Setup
	p.Setup = func(e *testscript.Env) error {
		if err := setup(e); err != nil {
			return err
		}
		egress := netip.MustParseAddr("203.0.113.7")
		bin := exchangetest.NewBinance(exchangetest.BinanceKey{
			APIKey: scriptSecrets[0], Secret: scriptSecrets[1],
			Reading: true, SpotAndMarginTrading: true, Withdrawals: true,
			Whitelist: []string{egress.String()}, CreatedAt: time.Now().Add(-41 * 24 * time.Hour),
		})
		// A futures-only key with no IP restriction: it moves value from
		// anywhere, so the gate must refuse it although it cannot trade spot
		// or withdraw.
		bin.SetKey(exchangetest.BinanceKey{
			APIKey: scriptSecrets[3], Secret: scriptSecrets[4],
			Reading: true, Futures: true, CreatedAt: time.Now().Add(-10 * 24 * time.Hour),
		})
		bin.SetCallerIP(egress)
		// An OKX trading key "bound" to 0.0.0.0/0, which admits everyone.
		okx := exchangetest.NewOKX(exchangetest.OKXKey{
			APIKey: scriptSecrets[6], Secret: scriptSecrets[7], Passphrase: scriptSecrets[8],
			Perm: []string{"read_only", "trade"}, IPs: []string{"0.0.0.0/0"},
		})
		okx.SetCallerIP(egress)
		ip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintln(w, egress)
		}))
		// For exec's gate: a key with nothing to object to, on a Binance
		// that answers and on one that accepts connections and never
		// answers; an NTP server 3 s ahead.
		goodKey := exchangetest.BinanceKey{
			APIKey: scriptSecrets[0], Secret: scriptSecrets[1],
			Reading: true, SpotAndMarginTrading: true,
			Whitelist: []string{egress.String()}, CreatedAt: time.Now().Add(-10 * 24 * time.Hour),
		}
		good := exchangetest.NewBinance(goodKey)
		good.SetCallerIP(egress)
		hung := exchangetest.NewBinance(goodKey)
		hung.Faults.Set(exchangetest.Fault{Kind: exchangetest.Hang})
		ntpAddr, stopNTP := skewedNTP(t, 3*time.Second)
		e.Defer(func() {
			bin.Close()
			okx.Close()
			ip.Close()
			good.Close()
			hung.Close()
			stopNTP()
		})
		e.Setenv("BINANCE_URL", bin.URL())
		e.Setenv("OKX_URL", okx.URL())
		e.Setenv("IP_URL", ip.URL)
		e.Setenv("GOOD_URL", good.URL())
		e.Setenv("HUNG_URL", hung.URL())
		e.Setenv("NTP_ADDR", ntpAddr)
		return nil
	}
	p.Cmds["subst"] = cmdSubst
	p.Cmds["hostilegit"] = cmdHostileGit
	p.Cmds["nothingran"] = cmdNothingRan
	testscript.Run(t, p)
}

// cmdSubst expands $VARS of the script's environment in files, in place:
// subst FILE... (configs need the fakes' loopback URLs).
func cmdSubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: subst FILE...")
	}
	for _, f := range args {
		path := ts.MkAbs(f)
		data := os.Expand(ts.ReadFile(f), ts.Getenv)
		ts.Check(os.WriteFile(path, []byte(data), 0o600))
	}
}

// skewedNTP serves NTP on a loopback UDP port with a clock skew ahead of
// the real one, as a single misconfigured server would; stop ends it.
func skewedNTP(t *testing.T, skew time.Duration) (addr string, stop func()) {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 128)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 {
				continue
			}
			now := ntpTime(time.Now().Add(skew))
			resp := make([]byte, 48)
			resp[0] = 4<<3 | 4 // no leap warning, version 4, server
			resp[1] = 2        // stratum
			resp[3] = 0xec     // precision 2^-20
			binary.BigEndian.PutUint32(resp[12:], 0x7f000001)
			binary.BigEndian.PutUint64(resp[16:], now) // reference
			copy(resp[24:32], buf[40:48])              // origin: the client's transmit
			binary.BigEndian.PutUint64(resp[32:], now) // receive
			binary.BigEndian.PutUint64(resp[40:], ntpTime(time.Now().Add(skew)))
			_, _ = c.WriteTo(resp, from)
		}
	}()
	return c.LocalAddr().String(), func() { c.Close() }
}

// ntpTime is t as an NTP timestamp: seconds since 1900 and a binary fraction.
func ntpTime(t time.Time) uint64 {
	const era = 2208988800 // 1900 to 1970
	secs := uint64(t.Unix() + era)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}
