package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// placeOrder is the event of the bot's order calls: a successful one
// places an order on the exchange and logs its ids.
const placeOrder = "place_order"

// BotCall is one kind of API call the simulated bot makes.
type BotCall struct {
	Method, Endpoint, Event string
}

// BotError is an error the simulated bot runs into now and then, as the
// exchange reports it.
type BotError struct {
	HTTPStatus int
	Code       string
	Message    string
	Weight     int // relative frequency among calls (per 1000)
}

// Bot writes a trading bot's audit log in the JSON-lines schema that
// docs/auditlog.md recommends: calls, latencies, and the errors an exchange
// returns, with a leaked secret planted once if Leak is set.
type Bot struct {
	Path     string
	Exchange string
	// Symbol is the market the bot trades, named on every line as the
	// recommended schema has it (the activity checks read Binance's order
	// history per symbol the log names).
	Symbol string
	Calls  []BotCall
	Errors []BotError
	Leak   string        // a line containing this text is written once (a secret the bot logged by mistake)
	Every  time.Duration // pause between calls when running live
	Rand   *rand.Rand
	// ClientPrefix is put before the client order id of each order the
	// bot places, as an SDK tags it (ccxt's broker ids, KuCoin's none).
	ClientPrefix string
	// Place records an order the bot placed on the exchange (the fake's
	// history) and returns the exchange's order id; nil makes one up.
	// Either way the bot logs both ids, so the activity checks count the
	// order as the bot's.
	Place func(t time.Time, clientID string) (orderID string)

	mu sync.Mutex
	f  *os.File
}

type botLine struct {
	TS         string `json:"ts"`
	Level      string `json:"level"`
	Event      string `json:"event"`
	Msg        string `json:"msg"`
	Exchange   string `json:"exchange"`
	Symbol     string `json:"symbol,omitempty"`
	Method     string `json:"method"`
	Endpoint   string `json:"endpoint"`
	Status     int    `json:"status"`
	Code       string `json:"code,omitempty"`
	DurationMS int    `json:"duration_ms"`
	OrderID    string `json:"order_id,omitempty"`
	ClientID   string `json:"client_order_id,omitempty"`
}

// Open creates (truncates) the log file.
func (b *Bot) Open() error {
	f, err := os.OpenFile(b.Path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	b.f = f
	if b.Rand == nil {
		b.Rand = rand.New(rand.NewPCG(1, uint64(len(b.Path))))
	}
	return nil
}

// Backfill writes n calls spread evenly over the span before now, so the
// dashboard opens on an hour of history rather than an empty pane.
func (b *Bot) Backfill(n int, span time.Duration, now time.Time) error {
	start := now.Add(-span)
	for i := range n {
		t := start.Add(time.Duration(i) * span / time.Duration(n))
		if err := b.write(t); err != nil {
			return err
		}
	}
	return nil
}

// PlantLeak writes the line holding Leak, dated t; nothing without Leak.
func (b *Bot) PlantLeak(t time.Time) error {
	if b.Leak == "" {
		return nil
	}
	return b.writeLeak(t)
}

// Run writes a call every b.Every until ctx ends.
func (b *Bot) Run(ctx context.Context) {
	every := b.Every
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			_ = b.write(now)
		}
	}
}

// Close closes the log file.
func (b *Bot) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil {
		return nil
	}
	err := b.f.Close()
	b.f = nil
	return err
}

func (b *Bot) write(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil {
		return os.ErrClosed
	}
	c := b.Calls[b.Rand.IntN(len(b.Calls))]
	ms := 40 + b.Rand.IntN(160)
	l := botLine{TS: t.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Level: "INFO", Event: c.Event,
		Msg: fmt.Sprintf("%s %s 200 in %d ms", c.Method, c.Endpoint, ms), Exchange: b.Exchange, Symbol: b.Symbol,
		Method: c.Method, Endpoint: c.Endpoint, Status: 200, DurationMS: ms}
	roll := b.Rand.IntN(1000)
	for _, e := range b.Errors {
		if roll < e.Weight {
			l.Level, l.Status, l.Code, l.Msg = "ERROR", e.HTTPStatus, e.Code, e.Message
			break
		}
		roll -= e.Weight
	}
	if c.Event == placeOrder && l.Status == 200 {
		l.ClientID = b.ClientPrefix + randomAlnum(16)
		if b.Place != nil {
			l.OrderID = b.Place(t, l.ClientID)
		} else {
			l.OrderID = randomHex(12)
		}
	}
	line, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = b.f.Write(append(line, '\n'))
	return err
}

// writeLeak plants the classic mistake: a debug line dumping request headers.
func (b *Bot) writeLeak(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := fmt.Fprintf(b.f, "%s DEBUG | requests | signing with secret=%s headers={'User-Agent': 'demo-bot/1.0'}\n",
		t.UTC().Format("2006-01-02 15:04:05,000"), b.Leak)
	return err
}
