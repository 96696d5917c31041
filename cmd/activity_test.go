package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/activity"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// activityWorld is a Binance profile whose bot logged one order, with a
// file keystore and its own state directory.
func activityWorld(t *testing.T) (cfg string, f *exchangetest.Binance, ours, foreign int64) {
	t.Helper()
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "state"))
	f = exchangetest.NewBinance(exchangetest.BinanceKey{APIKey: scanTestKey, Secret: scanTestSecret,
		Reading: true, SpotAndMarginTrading: true, Whitelist: []string{"127.0.0.1/32"}})
	t.Cleanup(f.Close)
	vault, pass := filepath.Join(base, "vault.age"), filepath.Join(base, "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := keystore.ScryptWorkFactor
	keystore.ScryptWorkFactor = 10
	t.Cleanup(func() { keystore.ScryptWorkFactor = old })
	st, err := keystore.Open(context.Background(), keystore.Options{Backend: keystore.BackendFile, VaultPath: vault, PassphraseFile: pass})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(context.Background(), "binance-main", keystore.Item{
		APIKey: keystore.NewSecret(scanTestKey), APISecret: keystore.NewSecret(scanTestSecret)}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-10 * time.Minute)
	ours = f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "bot-1", Side: "BUY", Qty: "0.01", Time: at})
	foreign = f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "web_1", Side: "SELL", Qty: "3", Time: at})
	f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: "w-1", Coin: "USDT", Amount: "9000", Address: "0xEVIL", Time: at})
	log := filepath.Join(base, "bot.log")
	line := fmt.Sprintf(`{"ts":%q,"event":"place_order","symbol":"BTC/USDT","order_id":"%d","client_order_id":"bot-1"}`+"\n", at.UTC().Format(time.RFC3339), ours)
	if err := os.WriteFile(log, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(base, "config.toml")
	toml := "keystore = \"file\"\nvault = \"" + vault + "\"\npassphrase_file = \"" + pass + "\"\n\n" +
		"[[profile]]\nname = \"binance-main\"\nexchange = \"binance\"\nbase_url = \"" + f.URL() + "\"\naudit_log = \"" + log + "\"\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, f, ours, foreign
}

func TestActivityCommand(t *testing.T) {
	cfg, _, ours, foreign := activityWorld(t)
	code, out, errOut := runMain(t, "--config", cfg, "activity", "binance-main", "--since", "1h", "--json")
	if code != ExitCrit {
		t.Fatalf("exit %d, want %d; stderr: %s\n%s", code, ExitCrit, errOut, out)
	}
	var rep activityReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Profiles) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	got := map[string]bool{}
	for _, e := range rep.Profiles[0].Events {
		got[e.Kind+" "+e.ID] = e.Ours
		if e.Evidence == "" {
			t.Errorf("%s %s has no evidence", e.Kind, e.ID)
		}
	}
	want := map[string]bool{"order " + strconv.FormatInt(ours, 10): true, "order " + strconv.FormatInt(foreign, 10): false, "withdrawal w-1": false}
	for k, v := range want {
		if o, ok := got[k]; !ok || o != v {
			t.Errorf("%s: ours %v (listed %v), want %v", k, o, ok, v)
		}
	}

	// Acknowledged, both are ours and the command exits 0.
	if code, out, errOut := runMain(t, "--config", cfg, "activity", "ack", "binance-main", strconv.FormatInt(foreign, 10), "w-1"); code != ExitOK {
		t.Fatalf("ack: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = runMain(t, "--config", cfg, "activity")
	if code != ExitOK || !strings.Contains(out, "acknowledged with keywarden activity ack") || !strings.Contains(out, "not seen:") {
		t.Fatalf("exit %d after ack:\n%s\n%s", code, out, errOut)
	}
}

func TestActivityAckRefusesUnknownProfile(t *testing.T) {
	cfg, _, _, _ := activityWorld(t)
	if code, _, _ := runMain(t, "--config", cfg, "activity", "ack", "nope", "1"); code != ExitUsage {
		t.Fatalf("exit %d, want usage", code)
	}
}

// ageFunds moves the funds check's cursor a while into the past, as if
// its last read of Binance's withdraw and deposit history (read at most
// every 90 s) had been two minutes ago.
func ageFunds(t *testing.T, profile string) {
	t.Helper()
	path := filepath.Join(os.Getenv("XDG_STATE_HOME"), "keywarden", "activity", profile, "funds.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]json.RawMessage
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	var at time.Time
	if err := json.Unmarshal(st["cursor"], &at); err != nil {
		t.Fatalf("funds cursor: %v", err)
	}
	if st["cursor"], err = json.Marshal(at.Add(-2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if b, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The balance moves activity.orders could not explain are in the
// timeline, not ours, with asset, before, after and window, in JSON and
// text; acknowledged, they are listed as such and the command exits 0.
func TestActivityCommandListsBalanceMoves(t *testing.T) {
	cfg, f, _, foreign := activityWorld(t)
	f.SetBalance("USDT", "10000", "0")
	f.SetBalance("BTC", "1", "0")
	f.SetBalance("ETH", "5", "0")
	if code, out, errOut := runMain(t, "--config", cfg, "activity", "ack", "binance-main", strconv.FormatInt(foreign, 10), "w-1"); code != ExitOK {
		t.Fatalf("ack: exit %d: %s %s", code, out, errOut)
	}
	if code, out, errOut := runMain(t, "--config", cfg, "check"); code == ExitUsage {
		t.Fatalf("check: exit %d: %s %s", code, out, errOut)
	} // the baselines
	// An intruder sells ETH for BTC on ETHBTC, a pair nothing reads.
	f.AddOrder(exchangetest.BinanceOrder{Symbol: "ETHBTC", Side: "SELL", Qty: "1", Price: "0.05", Status: "FILLED", Time: time.Now()})
	runMain(t, "--config", cfg, "check") // sees the moves
	ageFunds(t, "binance-main")
	if code, out, _ := runMain(t, "--config", cfg, "check"); code != ExitCrit || !strings.Contains(out, "ETH 5 → 4") {
		t.Fatalf("check: exit %d, want the ETH move crit:\n%s", code, out)
	}

	code, out, errOut := runMain(t, "--config", cfg, "activity", "binance-main", "--json")
	if code != ExitCrit {
		t.Fatalf("exit %d, want %d; stderr: %s\n%s", code, ExitCrit, errOut, out)
	}
	var rep activityReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Profiles) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	moves := map[string]activity.Event{}
	for _, e := range rep.Profiles[0].Events {
		if e.Kind == "balance" {
			moves[e.Asset] = e
		}
	}
	eth := moves["ETH"]
	if len(moves) != 2 || eth.Ours || eth.Verdict != "unexplained" || eth.Before != "5" || eth.After != "4" ||
		eth.Window == nil || !strings.HasPrefix(eth.ID, "balance:ETH:") || eth.Evidence == "" || moves["BTC"].After != "1.05" {
		t.Fatalf("balance events %+v, want BTC and ETH unexplained with their windows", moves)
	}
	code, out, _ = runMain(t, "--config", cfg, "activity", "binance-main")
	if code != ExitCrit || !strings.Contains(out, "balance") || !strings.Contains(out, eth.ID) ||
		!strings.Contains(out, "ETH 5 → 4 between "+eth.Window.From.Format(time.RFC3339)+" and "+eth.Window.To.Format(time.RFC3339)) {
		t.Fatalf("text: exit %d:\n%s", code, out)
	}

	if code, out, errOut := runMain(t, "--config", cfg, "activity", "ack", "binance-main", eth.ID, moves["BTC"].ID); code != ExitOK {
		t.Fatalf("ack: exit %d: %s %s", code, out, errOut)
	}
	code, out, _ = runMain(t, "--config", cfg, "activity", "binance-main", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitOK {
		t.Fatalf("after the acks: exit %d, %v: %s", code, err, out)
	}
	for _, e := range rep.Profiles[0].Events {
		if e.Kind == "balance" && (!e.Ours || e.Verdict != "acknowledged") {
			t.Errorf("after the ack: %+v", e)
		}
	}
}
