package cmd

import (
	"strings"
	"testing"

	"github.com/keywarden/keywarden/config"
)

func TestParseDotenv(t *testing.T) {
	text := "\ufeff# comment\n" +
		"PLAIN=abc\n" +
		"export EXPORTED=def\n" +
		"SPACED = ghi   \n" +
		"INLINE=jkl # a comment\n" +
		"HASH=mn#o\n" +
		"SINGLE='p q # r'\n" +
		"DOUBLE=\"s\\nt \\\"u\\\"\"\n" +
		"PEM=\"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\"\n" +
		"EMPTY=\n" +
		"CRLF=v\r\n" +
		"PLAIN=override\n"
	d, err := parseDotenv("t.env", text)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PLAIN": "override", "EXPORTED": "def", "SPACED": "ghi", "INLINE": "jkl", "HASH": "mn#o",
		"SINGLE": "p q # r", "DOUBLE": "s\nt \"u\"",
		"PEM":   "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----",
		"EMPTY": "", "CRLF": "v",
	}
	for k, v := range want {
		if got, ok := d.vals[k]; !ok || got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if strings.Join(d.names, ",") != "PLAIN,EXPORTED,SPACED,INLINE,HASH,SINGLE,DOUBLE,PEM,EMPTY,CRLF" {
		t.Errorf("order %v", d.names)
	}
}

func TestParseDotenvErrorsNeverQuoteValues(t *testing.T) {
	const secret = "s3cr3tVALUEthatMustNotLeak"
	for _, text := range []string{
		"A=\"" + secret + "\n",
		secret + "\n",
		"A=1\n" + secret + " x\n",
		"A='" + secret,
	} {
		_, err := parseDotenv("t.env", text)
		if err == nil {
			t.Fatalf("accepted %q", text)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error quotes the value: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "t.env:") {
			t.Errorf("error does not name the line: %v", err)
		}
	}
}

func TestChooseVars(t *testing.T) {
	tests := []struct {
		name     string
		env      string
		exchange string
		flags    varChoice
		want     varChoice // zero key means an error is expected
		wantErr  string
	}{
		{"binance pair", "BINANCE_API_KEY=k\nBINANCE_API_SECRET=s\nSYMBOL=x\n", "binance", varChoice{}, varChoice{key: "BINANCE_API_KEY", secret: "BINANCE_API_SECRET", guessed: true}, ""},
		{"secret key naming", "BINANCE_API_KEY=k\nBINANCE_SECRET_KEY=s\n", "binance", varChoice{}, varChoice{key: "BINANCE_API_KEY", secret: "BINANCE_SECRET_KEY", guessed: true}, ""},
		{"plain names", "API_KEY=k\nAPI_SECRET=s\n", "kraken", varChoice{}, varChoice{key: "API_KEY", secret: "API_SECRET", guessed: true}, ""},
		{"private key", "COINBASE_API_KEY=k\nCOINBASE_API_PRIVATE_KEY=s\n", "coinbase", varChoice{}, varChoice{key: "COINBASE_API_KEY", secret: "COINBASE_API_PRIVATE_KEY", guessed: true}, ""},
		{"okx with passphrase", "OKX_API_KEY=k\nOKX_SECRET_KEY=s\nOKX_PASSPHRASE=p\n", "okx", varChoice{}, varChoice{key: "OKX_API_KEY", secret: "OKX_SECRET_KEY", passphrase: "OKX_PASSPHRASE", guessed: true}, ""},
		{"exchange breaks the tie", "BINANCE_API_KEY=k\nBINANCE_API_SECRET=s\nBYBIT_API_KEY=k2\nBYBIT_API_SECRET=s2\n", "bybit", varChoice{}, varChoice{key: "BYBIT_API_KEY", secret: "BYBIT_API_SECRET", guessed: true}, ""},
		{"ambiguous", "A_KEY=k\nB_KEY=k2\nA_SECRET=s\n", "kraken", varChoice{}, varChoice{}, "several API key variables (A_KEY, B_KEY): choose one with --key-var"},
		{"flags win", "A_KEY=k\nB_KEY=k2\nA_SECRET=s\nB_SECRET=s2\n", "kraken", varChoice{key: "B_KEY", secret: "B_SECRET"}, varChoice{key: "B_KEY", secret: "B_SECRET"}, ""},
		{"flag missing", "A_KEY=k\nA_SECRET=s\n", "kraken", varChoice{key: "NOPE"}, varChoice{}, "has no variable NOPE (it has: A_KEY, A_SECRET)"},
		{"missing secret", "A_KEY=k\n", "kraken", varChoice{}, varChoice{}, "has no API secret variable"},
		{"missing key", "A_SECRET=s\n", "kraken", varChoice{}, varChoice{}, "has no API key variable"},
		{"empty secret ignored", "A_KEY=k\nA_SECRET=\n", "kraken", varChoice{}, varChoice{}, "has no API secret variable"},
		{"empty flagged var", "A_KEY=k\nA_SECRET=\n", "kraken", varChoice{secret: "A_SECRET"}, varChoice{}, "A_SECRET is empty"},
		{"okx without passphrase", "OKX_API_KEY=k\nOKX_SECRET_KEY=s\n", "okx", varChoice{}, varChoice{}, "has no passphrase variable"},
		{"freqtrade", "FREQTRADE__EXCHANGE__KEY=k\nFREQTRADE__EXCHANGE__SECRET=s\nFREQTRADE__API_SERVER__JWT_SECRET_KEY=j\nFREQTRADE__TELEGRAM__TOKEN=t\nFREQTRADE__DRY_RUN=false\n", "binance", varChoice{},
			varChoice{key: "FREQTRADE__EXCHANGE__KEY", secret: "FREQTRADE__EXCHANGE__SECRET", guessed: true, framework: "freqtrade",
				env:    config.Env{Key: "FREQTRADE__EXCHANGE__KEY", Secret: "FREQTRADE__EXCHANGE__SECRET"},
				others: "FREQTRADE__API_SERVER__JWT_SECRET_KEY (freqtrade's API server JWT signing key), FREQTRADE__TELEGRAM__TOKEN (freqtrade's Telegram bot token)"}, ""},
		{"freqtrade okx password", "FREQTRADE__EXCHANGE__KEY=k\nFREQTRADE__EXCHANGE__SECRET=s\nFREQTRADE__EXCHANGE__PASSWORD=p\nFREQTRADE__API_SERVER__PASSWORD=a\n", "okx", varChoice{},
			varChoice{key: "FREQTRADE__EXCHANGE__KEY", secret: "FREQTRADE__EXCHANGE__SECRET", passphrase: "FREQTRADE__EXCHANGE__PASSWORD", guessed: true, framework: "freqtrade",
				env:    config.Env{Key: "FREQTRADE__EXCHANGE__KEY", Secret: "FREQTRADE__EXCHANGE__SECRET", Passphrase: "FREQTRADE__EXCHANGE__PASSWORD"},
				others: "FREQTRADE__API_SERVER__PASSWORD (freqtrade's API server password)"}, ""},
		{"freqtrade okx without password", "FREQTRADE__EXCHANGE__KEY=k\nFREQTRADE__EXCHANGE__SECRET=s\nFREQTRADE__API_SERVER__PASSWORD=a\n", "okx", varChoice{}, varChoice{}, "follows freqtrade's names but has no FREQTRADE__EXCHANGE__PASSWORD"},
		{"jwt alone is no secret", "FREQTRADE__EXCHANGE__KEY=k\nFREQTRADE__API_SERVER__JWT_SECRET_KEY=j\n", "binance", varChoice{}, varChoice{},
			"has no API secret variable (it has: FREQTRADE__EXCHANGE__KEY, FREQTRADE__API_SERVER__JWT_SECRET_KEY; not an exchange's: FREQTRADE__API_SERVER__JWT_SECRET_KEY (freqtrade's API server JWT signing key))"},
		{"jwt by flag is used, said", "FREQTRADE__EXCHANGE__KEY=k\nFREQTRADE__API_SERVER__JWT_SECRET_KEY=j\n", "binance", varChoice{secret: "FREQTRADE__API_SERVER__JWT_SECRET_KEY"},
			varChoice{key: "FREQTRADE__EXCHANGE__KEY", secret: "FREQTRADE__API_SERVER__JWT_SECRET_KEY", guessed: true}, ""},
		{"ccxt", "KUCOIN_APIKEY=k\nKUCOIN_SECRET=s\nKUCOIN_PASSWORD=p\n", "kucoin", varChoice{},
			varChoice{key: "KUCOIN_APIKEY", secret: "KUCOIN_SECRET", passphrase: "KUCOIN_PASSWORD", guessed: true, framework: "ccxt",
				env: config.Env{Key: "KUCOIN_APIKEY", Secret: "KUCOIN_SECRET", Passphrase: "KUCOIN_PASSWORD"}}, ""},
		{"jesse", "PASSWORD=dash\nPOSTGRES_NAME=jesse_db\nPOSTGRES_PASSWORD=pg\nREDIS_HOST=redis\nLICENSE_API_TOKEN=lt\nGENERAL_DISCORD_WEBHOOK=https://x\n" +
			"BINANCE_PERPETUAL_FUTURES_TESTNET_API_KEY=\nBINANCE_PERPETUAL_FUTURES_TESTNET_API_SECRET=\nBINANCE_PERPETUAL_FUTURES_API_KEY=k\nBINANCE_PERPETUAL_FUTURES_API_SECRET=s\n", "binance", varChoice{},
			varChoice{key: "BINANCE_PERPETUAL_FUTURES_API_KEY", secret: "BINANCE_PERPETUAL_FUTURES_API_SECRET", guessed: true, framework: "jesse",
				env:    config.Env{Key: "BINANCE_PERPETUAL_FUTURES_API_KEY", Secret: "BINANCE_PERPETUAL_FUTURES_API_SECRET"},
				others: "GENERAL_DISCORD_WEBHOOK (a webhook secret, not an exchange key), LICENSE_API_TOKEN (jesse's license token), POSTGRES_PASSWORD (a database password)"}, ""},
		{"jesse testnet and live", "LICENSE_API_TOKEN=\nBYBIT_USDT_PERPETUAL_TESTNET_API_KEY=k1\nBYBIT_USDT_PERPETUAL_TESTNET_API_SECRET=s1\nBYBIT_USDT_PERPETUAL_API_KEY=k\nBYBIT_USDT_PERPETUAL_API_SECRET=s\n", "bybit", varChoice{}, varChoice{},
			"several API key variables (BYBIT_USDT_PERPETUAL_TESTNET_API_KEY, BYBIT_USDT_PERPETUAL_API_KEY): choose one with --key-var"},
		{"jesse by flag keeps its names", "LICENSE_API_TOKEN=\nBYBIT_USDT_PERPETUAL_TESTNET_API_KEY=k1\nBYBIT_USDT_PERPETUAL_TESTNET_API_SECRET=s1\nBYBIT_USDT_PERPETUAL_API_KEY=k\nBYBIT_USDT_PERPETUAL_API_SECRET=s\n", "bybit",
			varChoice{key: "BYBIT_USDT_PERPETUAL_API_KEY", secret: "BYBIT_USDT_PERPETUAL_API_SECRET"},
			varChoice{key: "BYBIT_USDT_PERPETUAL_API_KEY", secret: "BYBIT_USDT_PERPETUAL_API_SECRET", framework: "jesse",
				env: config.Env{Key: "BYBIT_USDT_PERPETUAL_API_KEY", Secret: "BYBIT_USDT_PERPETUAL_API_SECRET"}}, ""},
		{"hummingbot password is no passphrase", "OKX_API_KEY=k\nOKX_SECRET_KEY=s\nCONFIG_PASSWORD=c\nGATEWAY_PASSPHRASE=g\n", "okx", varChoice{}, varChoice{}, "not an exchange's: CONFIG_PASSWORD (hummingbot's password"},
		{"same var twice", "A_KEY=k\n", "kraken", varChoice{key: "A_KEY", secret: "A_KEY"}, varChoice{}, "cannot both come from A_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseDotenv("t.env", tt.env)
			if err != nil {
				t.Fatal(err)
			}
			needPass := tt.exchange == "okx" || tt.exchange == "kucoin"
			got, err := chooseVars(d, "t.env", tt.exchange, tt.flags, needPass)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseDotenv(f *testing.F) {
	f.Add("A=1\nexport B='x'\nC=\"y\\n\"\n# c\n")
	f.Add("PEM=\"-----BEGIN-----\nabc\n-----END-----\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		d, err := parseDotenv("f.env", text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.env:") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		if len(d.names) != len(d.vals) {
			t.Fatalf("%d names, %d values", len(d.names), len(d.vals))
		}
		for _, n := range d.names {
			if !dotenvNameRE.MatchString(n) {
				t.Fatalf("bad name %q accepted", n)
			}
		}
	})
}

// An unclosed quote at the top of a 1 MiB dotenv is an error naming its
// line, found in one pass (it used to rescan and recopy the growing value
// for every line: minutes for this file). Multi-line values still parse.
func TestParseDotenvUnclosedQuoteLargeFile(t *testing.T) {
	const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e5UZjFQ9b3oA6Cr"
	text := "EXCHANGE_API_SECRET=\"" + secret + "\n" + strings.Repeat("x\n", 500_000)
	_, err := parseDotenv("big.env", text)
	if err == nil || err.Error() != `big.env:1: EXCHANGE_API_SECRET has no closing " quote` {
		t.Fatalf("got %v", err)
	}
	d, err := parseDotenv("ok.env", "A=\"one\\\\\ntwo \\\" \\\nthree\"\nB='x\ny'\n")
	if err != nil {
		t.Fatal(err)
	}
	if d.vals["A"] != "one\\\ntwo \" \nthree" || d.vals["B"] != "x\ny" {
		t.Fatalf("A=%q B=%q", d.vals["A"], d.vals["B"])
	}
}
