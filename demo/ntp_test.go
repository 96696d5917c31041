package demo

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/beevik/ntp"
)

func TestNTPServerIsReadByBeevik(t *testing.T) {
	for _, skew := range []time.Duration{0, 1200 * time.Millisecond, -3 * time.Second} {
		s, err := StartNTP(skew)
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(s.Addr())
		p, _ := strconv.Atoi(port)
		r, err := ntp.QueryWithOptions(host, ntp.QueryOptions{Port: p, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatalf("skew %v: query: %v", skew, err)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("skew %v: validate: %v", skew, err)
		}
		if d := r.ClockOffset - skew; d < -200*time.Millisecond || d > 200*time.Millisecond {
			t.Errorf("skew %v: offset %v, want within 200ms of the skew", skew, r.ClockOffset)
		}
		if r.Stratum != 2 {
			t.Errorf("stratum %d, want 2", r.Stratum)
		}
		s.Close()
	}
}
