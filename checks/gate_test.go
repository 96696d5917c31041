package checks

import (
	"strings"
	"testing"
)

func TestJudgeGate(t *testing.T) {
	ntpCrit := Result{ID: "clock.ntp", Status: Crit, Summary: "local clock 3.0 s behind NTP (1/1 agree)"}
	exchOK := Result{ID: "clock.exchange", Profile: "bot", Status: OK, Details: map[string]any{"offset_ms": 0.4, "window_ms": 5000.0}}
	exchWarn := exchOK
	exchWarn.Status = Warn
	exchCrit := exchOK
	exchCrit.Status = Crit
	exchOther := exchOK
	exchOther.Profile = "other"
	nonce := Result{ID: "clock.exchange", Profile: "bot", Status: OK, Details: map[string]any{"offset_ms": 0.4, "window_ms": nil}}
	permUnknown := Result{ID: "key.permissions", Profile: "bot", Status: Unknown, Summary: "cannot read the key's permissions: gave up waiting"}
	permOK := Result{ID: "key.permissions", Profile: "bot", Status: OK}
	ipUnknown := Result{ID: "ip.public", Status: Unknown, Summary: "no address"}
	for _, tc := range []struct {
		name   string
		rs     []Result
		strict bool
		refuse []string // ids refused
		note   string
	}{
		{"ntp crit, exchange agrees: a warning", []Result{ntpCrit, exchOK, permOK}, false, nil, "the exchange's own clock agrees with this host (offset +0.4 ms"},
		{"ntp crit, exchange within its window but warn", []Result{ntpCrit, exchWarn, permOK}, false, nil, "clock.ntp is critical, but"},
		{"ntp crit, exchange crit", []Result{ntpCrit, exchCrit, permOK}, false, []string{"clock.ntp", "clock.exchange"}, ""},
		{"ntp crit, another profile's exchange agrees", []Result{ntpCrit, exchOther, permOK}, false, []string{"clock.ntp"}, ""},
		{"ntp crit, nonce exchange says nothing about the clock", []Result{ntpCrit, nonce, permOK}, false, []string{"clock.ntp"}, ""},
		{"ntp crit, no exchange answer", []Result{ntpCrit, permUnknown}, false, []string{"clock.ntp", "key.permissions"}, ""},
		{"permissions unknown refuses", []Result{exchOK, permUnknown}, false, []string{"key.permissions"}, ""},
		{"another profile's unknown permissions do not", []Result{exchOK, {ID: "key.permissions", Profile: "other", Status: Unknown}}, false, nil, ""},
		{"unknown passes when not strict", []Result{exchOK, permOK, ipUnknown}, false, nil, ""},
		{"unknown refuses when strict", []Result{exchOK, permOK, ipUnknown}, true, []string{"ip.public"}, ""},
		{"all ok", []Result{exchOK, permOK}, true, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := JudgeGate(Report{Checks: tc.rs}, "bot", GatePolicy{Strict: tc.strict})
			var got []string
			for _, f := range v.Refuse {
				got = append(got, f.Result.ID)
			}
			if strings.Join(got, " ") != strings.Join(tc.refuse, " ") {
				t.Errorf("refused %v, want %v", got, tc.refuse)
			}
			notes := strings.Join(v.Notes, "\n")
			if tc.note != "" && !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q lack %q", notes, tc.note)
			}
			if tc.note == "" && notes != "" {
				t.Errorf("unexpected notes %q", notes)
			}
		})
	}
}
