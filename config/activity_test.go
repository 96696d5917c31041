package config

import (
	"slices"
	"strings"
	"testing"
)

func TestActivityBlock(t *testing.T) {
	const base = "[[profile]]\nname = \"bot\"\nexchange = \"binance\"\n[profile.activity]\n"
	cfg, err := Parse("k.toml", []byte(base+"allow_withdrawals = false\naddresses = [\"0xCOLD\", \"bc1qcold\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Profiles[0].Activity
	if a.AllowWithdrawals || !slices.Equal(a.Addresses, []string{"0xCOLD", "bc1qcold"}) {
		t.Fatalf("activity %+v", a)
	}
	if !a.Allowed("0xCOLD") || a.Allowed("0xEVIL") || a.Allowed("") {
		t.Error("Allowed does not follow the address list")
	}
	if cfg, err := Parse("k.toml", []byte(base+"allow_manual = [\"WEB\"]\n")); err != nil || !slices.Equal(cfg.Profiles[0].Activity.AllowManual, []string{"WEB"}) {
		t.Errorf("allow_manual: %v", err)
	}
	if _, err := Parse("k.toml", []byte(base+"allow_manual = [\"W EB\"]\n")); err == nil || !strings.Contains(err.Error(), "allow_manual entry #1") {
		t.Errorf("allow_manual with a space: %v", err)
	}
	if !(Activity{AllowWithdrawals: true}).Allowed("0xEVIL") {
		t.Error("allow_withdrawals does not allow every address")
	}
	for _, tc := range []struct{ addrs, want string }{
		{`["0xSECRETLY has space"]`, "entry #1 is not an address"},
		{`["0xA", ""]`, "entry #2 is empty"},
		{`["0xSECRETLYA", "0xSECRETLYA"]`, "entry #2 repeats"},
	} {
		_, err := Parse("k.toml", []byte(base+"addresses = "+tc.addrs+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.addrs, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "SECRETLY") {
			t.Errorf("error quotes the address: %v", err)
		}
	}
}
