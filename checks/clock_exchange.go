package checks

import (
	"context"
	"fmt"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

// Fractions of the exchange's window at which the offset warns and is
// critical.
const (
	windowWarn = 0.20
	windowCrit = 0.50
)

func runClockExchange(ctx context.Context, env *Env, p config.Profile) Result {
	c, err := env.Client(p)
	if err != nil {
		return Result{Status: Unknown, Summary: "cannot reach the exchange: " + err.Error(),
			Hint: "check the profile's exchange and base_url"}
	}
	set, err := env.ServerTime(ctx, p)
	if err != nil {
		r := unknownFromExchange("no server time from "+p.Exchange, err)
		for _, k := range []string{"offset_ms", "rtt_ms", "window_ms", "margin_ms"} {
			r.Details[k] = nil
		}
		r.Details["samples"] = 0
		return r
	}
	best, _ := set.Best()
	r := judgeExchangeClock(p.Exchange, c.Window(), best)
	r.Details["samples"] = len(set.Samples)
	return r
}

// judgeExchangeClock places a request signed now on the exchange's window.
// The request's timestamp minus server time is -offset; an exchange accepts
// -Behind <= that < Ahead. Binance and Bybit reject a timestamp more than
// 1000 ms ahead, so a local clock running ahead has much less room.
func judgeExchangeClock(name string, w exchange.Window, s exchange.TimeSample) Result {
	off := s.Offset()
	skew := -off // request timestamp minus server time
	d := map[string]any{
		"offset_ms": ms(off),
		"rtt_ms":    ms(s.RTT()),
		"window_ms": nil,
		"margin_ms": nil,
	}
	if w.None() {
		return Result{Status: OK, Details: d,
			Summary: fmt.Sprintf("%s offset %s; %s uses nonces, no timestamp window", fmtSignedMS(ms(off)), fmtMS(ms(s.RTT())), name)}
	}
	limit, side := w.Behind, "behind"
	if skew >= 0 {
		limit, side = w.Ahead, "ahead of"
	}
	margin := limit - abs(skew)
	d["window_ms"] = ms(limit)
	d["margin_ms"] = ms(margin)
	d["window_ahead_ms"] = ms(w.Ahead)
	d["window_behind_ms"] = ms(w.Behind)
	ratio := float64(abs(skew)) / float64(limit)
	sum := fmt.Sprintf("local clock %s %s %s (window %s, margin %s)",
		fmtMS(ms(abs(skew))), side, name, fmtMS(ms(limit)), fmtMS(ms(margin)))
	hint := "sync the clock: `chronyc makestep`, or enable a time daemon (`timedatectl set-ntp true`)"
	switch {
	case margin <= 0:
		return Result{Status: Crit, Details: d, Summary: sum + ": signed requests are rejected", Hint: hint}
	case ratio >= windowCrit:
		return Result{Status: Crit, Details: d, Summary: sum, Hint: hint}
	case ratio >= windowWarn:
		return Result{Status: Warn, Details: d, Summary: sum, Hint: hint}
	}
	return Result{Status: OK, Details: d, Summary: sum}
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
