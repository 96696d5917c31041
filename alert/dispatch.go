package alert

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/keywarden/keywarden/checks"
)

// Retry is the delivery policy of every notifier.
type Retry struct {
	Attempts int           // attempts per alert, first included (default 5)
	Base     time.Duration // wait before the second attempt (default 1 s); doubles each time
	Max      time.Duration // longest wait, also caps a receiver's Retry-After (default 60 s)
	Timeout  time.Duration // per attempt (default 10 s)
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Base <= 0 {
		r.Base = time.Second
	}
	if r.Max <= 0 {
		r.Max = time.Minute
	}
	if r.Timeout <= 0 {
		r.Timeout = 10 * time.Second
	}
	return r
}

// wait is the pause after failed attempt n (1-based): exponential with
// jitter in [d/2, d], never shorter than the receiver's Retry-After, never
// longer than Max.
func (r Retry) wait(n int, after time.Duration) time.Duration {
	d := r.Base << (n - 1)
	if d <= 0 || d > r.Max {
		d = r.Max
	}
	d = d/2 + rand.N(d/2+1)
	if after > d {
		d = after
	}
	return min(d, r.Max)
}

// Target is one notifier and the least status it wants to hear about.
type Target struct {
	Notifier  Notifier
	MinStatus checks.Status
}

// Options configure an Alerter. Zero values get defaults.
type Options struct {
	Host        string        // named in every alert
	Renotify    time.Duration // reminder interval for unresolved crits; 0 disables
	Burst       int           // alerts per BurstWindow per notifier; 0 means no limit
	BurstWindow time.Duration // default 10 min
	Queue       int           // alerts waiting per notifier before new ones are dropped (default 64)
	Retry       Retry
	Scrub       *Scrubber    // applied to every alert before it is queued
	Log         *slog.Logger // default: discard
	Metrics     *Metrics     // nil: no metrics
	Now         func() time.Time
}

// Alerter turns check results into alerts and delivers them. Observe never
// blocks: each notifier has its own goroutine and bounded queue, and an
// alert that does not fit is dropped, counted and logged, so a dead
// receiver can never hold up the checks.
type Alerter struct {
	opts    Options
	tracker *Tracker
	workers []*worker

	mu     sync.Mutex
	closed bool
	hard   context.Context // cancelled when Close runs out of time
	abort  context.CancelFunc
}

type worker struct {
	t     Target
	q     chan Alert
	lim   *limiter
	done  chan struct{}
	retry Retry
	log   *slog.Logger
	m     *Metrics
}

// NewAlerter starts one delivery goroutine per target.
func NewAlerter(targets []Target, o Options) *Alerter {
	if o.BurstWindow <= 0 {
		o.BurstWindow = 10 * time.Minute
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Retry = o.Retry.withDefaults()
	a := &Alerter{opts: o, tracker: NewTracker(o.Renotify)}
	a.hard, a.abort = context.WithCancel(context.Background())
	for _, t := range targets {
		w := &worker{
			t: t, q: make(chan Alert, o.Queue), lim: newLimiter(o.Burst, o.BurstWindow),
			done: make(chan struct{}), retry: o.Retry, m: o.Metrics,
			log: o.Log.With("notifier", t.Notifier.Name()),
		}
		o.Metrics.registerNotifier(t.Notifier.Name())
		a.workers = append(a.workers, w)
		go w.run(a.hard)
	}
	return a
}

// Observe feeds one run's results to the state machine and queues the
// resulting alerts. It returns at once.
func (a *Alerter) Observe(rs []checks.Result) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	now := a.opts.Now()
	trs := a.tracker.Observe(rs, now)
	for _, w := range a.workers {
		for _, al := range a.plan(w, trs, now) {
			select {
			case w.q <- al:
			default:
				w.m.dropped(w.t.Notifier.Name(), "queue_full")
				w.log.Warn("alert dropped: the notifier's queue is full (is the receiver down?)",
					"check", al.Check, "profile", al.Profile, "status", al.New.String(), "queue", cap(w.q))
			}
		}
	}
}

// plan is what w must send for the transitions trs: filtered by min_status,
// ordered, burst-limited and scrubbed.
func (a *Alerter) plan(w *worker, trs []Transition, now time.Time) []Alert {
	var batch []Alert
	for _, t := range trs {
		kind, ok := classify(t, w.t.MinStatus)
		if !ok {
			continue
		}
		batch = append(batch, Alert{
			ID: newID(), Kind: kind, Host: a.opts.Host, Profile: t.Profile, Check: t.Check,
			Old: t.Old, New: t.New, Summary: t.Summary, Hint: t.Hint, Since: t.Since, At: now,
		})
	}
	order(batch)
	send, held, worst := w.lim.admit(batch, now)
	if n := len(batch) - len(send); n > 0 {
		w.m.droppedN(w.t.Notifier.Name(), "burst_limit", n)
		w.log.Warn("alerts held back by the burst limit", "count", n, "burst", a.opts.Burst, "window", a.opts.BurstWindow.String())
	}
	if len(held) > 0 {
		send = append(send, Alert{ID: newID(), Kind: Suppressed, Host: a.opts.Host, New: worst, Held: held, At: now})
	}
	for i := range send {
		send[i] = send[i].scrubbed(a.opts.Scrub)
	}
	return send
}

// Close stops accepting alerts and waits for the queued and in-flight
// deliveries to finish, until ctx is done; then it aborts what is left
// (counted as dropped) and returns ctx's error.
func (a *Alerter) Close(ctx context.Context) error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		for _, w := range a.workers {
			close(w.q)
		}
	}
	a.mu.Unlock()
	all := make(chan struct{})
	go func() {
		for _, w := range a.workers {
			<-w.done
		}
		close(all)
	}()
	select {
	case <-all:
		a.abort()
		return nil
	case <-ctx.Done():
		a.abort()
		<-all
		return ctx.Err()
	}
}

func (w *worker) run(hard context.Context) {
	defer close(w.done)
	for al := range w.q {
		if hard.Err() != nil {
			w.m.dropped(w.t.Notifier.Name(), "shutdown")
			continue
		}
		w.deliver(hard, al)
	}
}

// deliver tries one alert until it is delivered, the error is permanent,
// the attempts are used up, or hard is cancelled.
func (w *worker) deliver(hard context.Context, al Alert) {
	name := w.t.Notifier.Name()
	attrs := []any{"check", al.Check, "profile", al.Profile, "kind", string(al.Kind), "old", al.Old.String(), "new", al.New.String(), "alert_id", al.ID}
	for n := 1; ; n++ {
		ctx, cancel := context.WithTimeout(hard, w.retry.Timeout)
		err := w.t.Notifier.Send(ctx, al)
		cancel()
		if err == nil {
			w.m.sent(name, al.Kind)
			w.log.Info("alert sent", append(attrs, "attempts", n)...)
			return
		}
		w.m.notifierError(name)
		var de *DeliveryError
		if !errors.As(err, &de) {
			de = &DeliveryError{Notifier: name, Msg: "delivery failed"}
		}
		switch {
		case hard.Err() != nil:
			w.m.dropped(name, "shutdown")
			w.log.Error("alert not delivered: shutting down", append(attrs, "attempts", n, "error", de.Error())...)
			return
		case de.Permanent:
			w.m.dropped(name, "rejected")
			w.log.Error("alert rejected by the receiver: fix the notifier's URL or token", append(attrs, "attempts", n, "error", de.Error())...)
			return
		case n >= w.retry.Attempts:
			w.m.dropped(name, "retries_exhausted")
			w.log.Error("alert not delivered: giving up", append(attrs, "attempts", n, "error", de.Error())...)
			return
		}
		d := w.retry.wait(n, de.RetryAfter)
		w.log.Warn("alert delivery failed, retrying", append(attrs, "attempt", n, "retry_in", d.String(), "error", de.Error())...)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-hard.Done():
			t.Stop()
			w.m.dropped(name, "shutdown")
			w.log.Error("alert not delivered: shutting down", append(attrs, "attempts", n)...)
			return
		}
	}
}

// newID is a random alert id (16 hex characters).
func newID() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}
