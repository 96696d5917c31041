package checks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
)

func ipCheck(t *testing.T, sources ...string) Result {
	t.Helper()
	env := NewEnv(Deps{Config: &config.Config{IP: config.IP{Sources: sources}}})
	r := RunOne(context.Background(), env, Func{CheckID: "ip.public", Fn: runIPPublic})
	t.Logf("%s: %s", r.Status, r.Summary)
	return r
}

func sourceAnswer(t *testing.T, r Result, src, fam string) map[string]any {
	t.Helper()
	for _, s := range r.Details["sources"].([]map[string]any) {
		if s["source"] == src && s["family"] == fam {
			return s
		}
	}
	t.Fatalf("no %s answer from %s", fam, src)
	return nil
}

func TestIPPublicFamiliesAndVoting(t *testing.T) {
	a := echoServer(t, "tcp4", "203.0.113.7", "")
	b := echoServer(t, "tcp4", "203.0.113.7", "json")
	liar := echoServer(t, "tcp4", "198.51.100.66", "")
	v6 := echoServer(t, "tcp6", "2001:db8::7", "json")
	for _, s := range []*httptest.Server{a, b, liar, v6} {
		defer s.Close()
	}
	r := ipCheck(t, a.URL, liar.URL, b.URL, v6.URL)
	if r.Details["ipv4"] != "203.0.113.7" || r.Details["ipv6"] != "2001:db8::7" {
		t.Fatalf("ipv4 %v ipv6 %v", r.Details["ipv4"], r.Details["ipv6"])
	}
	if r.Status != Warn || r.Details["agree"] != false || !strings.Contains(r.Summary, liar.URL+" said 198.51.100.66") {
		t.Errorf("the lying source is not named: %v %q", r.Status, r.Summary)
	}
	// The family is forced: the IPv4-only source cannot answer over IPv6,
	// and the IPv6 one not over IPv4.
	if e := sourceAnswer(t, r, a.URL, "ipv6")["error"]; e == nil {
		t.Error("an IPv4-only source answered over IPv6")
	}
	if e := sourceAnswer(t, r, v6.URL, "ipv4")["error"]; e == nil {
		t.Error("an IPv6-only source answered over IPv4")
	}
}

func TestIPPublicAgreementAndFailures(t *testing.T) {
	a := echoServer(t, "tcp4", "203.0.113.7", "")
	b := echoServer(t, "tcp4", "203.0.113.7", "")
	defer a.Close()
	defer b.Close()
	r := ipCheck(t, a.URL, b.URL)
	if r.Status != OK || r.Details["agree"] != true || r.Details["ipv6"] != nil {
		t.Errorf("two agreeing sources: %v %v", r.Status, r.Details)
	}

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>rate limited</html>", http.StatusTooManyRequests)
	}))
	defer broken.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html>hello</html>"))
	}))
	defer garbage.Close()
	r = ipCheck(t, broken.URL, garbage.URL)
	if r.Status != Unknown || r.Details["ipv4"] != nil {
		t.Errorf("no usable source: %v %v", r.Status, r.Details["ipv4"])
	}
	if e, _ := sourceAnswer(t, r, broken.URL, "ipv4")["error"].(string); e != "HTTP 429" {
		t.Errorf("error %q, want HTTP 429", e)
	}
	if e, _ := sourceAnswer(t, r, garbage.URL, "ipv4")["error"].(string); !strings.Contains(e, "not an IP address") {
		t.Errorf("error %q", e)
	}

	// A source answering an IPv4 address over an IPv6 connection is not
	// believed for IPv6.
	wrong := echoServer(t, "tcp6", "203.0.113.7", "")
	defer wrong.Close()
	r = ipCheck(t, wrong.URL, a.URL)
	if r.Details["ipv6"] != nil {
		t.Errorf("ipv6 %v from an IPv4 answer", r.Details["ipv6"])
	}
	if e, _ := sourceAnswer(t, r, wrong.URL, "ipv6")["error"].(string); !strings.Contains(e, "over ipv6") {
		t.Errorf("error %q", e)
	}
}

func TestIPPublicStragglingFamilyCutOff(t *testing.T) {
	a := echoServer(t, "tcp4", "203.0.113.7", "")
	defer a.Close()
	release := make(chan struct{})
	hang := serveOn(t, "tcp6", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	r := ipCheck(t, a.URL, hang.URL)
	if r.Status != OK || r.Details["ipv4"] != "203.0.113.7" || r.Details["ipv6"] != nil {
		t.Errorf("%v %v", r.Status, r.Details)
	}
	if e, _ := sourceAnswer(t, r, hang.URL, "ipv6")["error"].(string); !strings.Contains(e, "other address family") {
		t.Errorf("hanging IPv6 source: error %q", e)
	}
}

// A family that fails at once (an IPv4-only source asked over IPv6) must not
// start the grace that cuts the other family off: a slow IPv4 answer, well
// past familyGrace, still counts.
func TestIPPublicFailedFamilyGivesNoGrace(t *testing.T) {
	slow := serveOn(t, "tcp4", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(familyGrace + 500*time.Millisecond)
		_, _ = w.Write([]byte("203.0.113.9"))
	}))
	defer slow.Close()
	r := ipCheck(t, slow.URL)
	if r.Details["ipv4"] != "203.0.113.9" {
		t.Errorf("ipv4 = %v, want the slow source's answer (%s)", r.Details["ipv4"], r.Summary)
	}
}

// An IP source URL may carry an access token (ipinfo.io/ip?token=...) or a
// password; neither reaches the report, whose details and summary name the
// source.
func TestIPPublicReportHidesSourceCredentials(t *testing.T) {
	const token = "9b1e5c7a3d2f4e6a"
	a := echoServer(t, "tcp4", "203.0.113.7", "")
	liar := echoServer(t, "tcp4", "198.51.100.66", "")
	defer a.Close()
	defer liar.Close()
	withToken := liar.URL + "/ip?token=" + token
	withPass := strings.Replace(a.URL, "http://", "http://me:"+token+"@", 1)
	r := ipCheck(t, withPass, withToken, "http://bad host/?token="+token)
	all := r.Summary + fmt.Sprint(r.Details)
	if strings.Contains(all, token) {
		t.Fatalf("the report holds the source's token: %s", all)
	}
	if !strings.Contains(r.Summary, liar.URL+"/ip?… said 198.51.100.66") {
		t.Errorf("summary %q does not name the source", r.Summary)
	}
	sourceAnswer(t, r, strings.Replace(a.URL, "http://", "http://me:xxxxx@", 1), "ipv4")
}
