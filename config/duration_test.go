package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"90d", 90 * 24 * time.Hour, false},
		{"14d", 14 * 24 * time.Hour, false},
		{"1d", 24 * time.Hour, false},
		{"2w", 14 * 24 * time.Hour, false},
		{" 30d ", 30 * 24 * time.Hour, false},
		{"36h", 36 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"0d", 0, true},
		{"-5d", 0, true},
		{"-1h", 0, true},
		{"", 0, true},
		{"d", 0, true},
		{"90", 0, true},
		{"90days", 0, true},
		{"1.5d", 0, true},
		{"99999999999999999999d", 0, true},
		{"17000w", 0, true}, // 326 years: would overflow time.Duration
		{"14285w", 14285 * 7 * 24 * time.Hour, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDuration(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFormatDurationRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{Day, 90 * Day, 36 * time.Hour, 90 * time.Minute} {
		got, err := ParseDuration(FormatDuration(d))
		if err != nil || got != d {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", d, got, err)
		}
	}
	if s := FormatDuration(90 * Day); s != "90d" {
		t.Errorf("FormatDuration(90 days) = %q, want 90d", s)
	}
}

func TestValidProfileName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"binance-main", true},
		{"a", true},
		{"0", true},
		{"okx.arb_2", true},
		{"a" + strings.Repeat("b", 63), true},  // 64 characters
		{"a" + strings.Repeat("b", 64), false}, // 65 characters
		{"", false},
		{"-main", false},
		{".hidden", false},
		{"Binance", false},
		{"bin ance", false},
		{"bin/ance", false},
		{"bïnance", false},
	}
	for _, tt := range tests {
		if got := ValidProfileName(tt.name); got != tt.ok {
			t.Errorf("ValidProfileName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
		if err := CheckProfileName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckProfileName(%q) = %v", tt.name, err)
		}
	}
	if err := CheckProfileName("Binance"); err == nil || !contains(err.Error(), `try "binance"`) {
		t.Errorf("CheckProfileName(Binance) should suggest the lower-case name, got %v", err)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90d", "2w", "36h", "-1d", "1.5h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d <= 0 {
			t.Fatalf("ParseDuration(%q) = %v without error; durations must be positive", s, d)
		}
	})
}
