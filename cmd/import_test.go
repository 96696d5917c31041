package cmd

import (
	"strings"
	"testing"
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
