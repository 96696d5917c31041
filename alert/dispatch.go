package alert

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/keywarden/keywarden/checks"
)

// Retry is the delivery policy of every notifier. An alert is retried until
// it is delivered, replaced by a newer alert about the same check, or the
// check recovers before it could be delivered; there is no attempt limit,
// as in Alertmanager: a receiver that is down for an hour still gets the
// alert when it is back, at most Max later.
type Retry struct {
	Base    time.Duration // wait before the second attempt (default 1 s); doubles each time
	Max     time.Duration // longest wait, also caps a receiver's Retry-After (default 60 s)
	Timeout time.Duration // per attempt (default 10 s)
}

func (r Retry) withDefaults() Retry {
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
	d := r.Base
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
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
	// Fallback names the target that gets what this one could not deliver
	// within FallbackAfter (or at once, when the receiver refuses it).
	Fallback      string
	FallbackAfter time.Duration
	// FallbackOnly: this target is another's fallback and gets nothing of
	// its own.
	FallbackOnly bool
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
	// StatePath, when set, is where the check states, the undelivered
	// alerts and what each receiver was told are kept (written atomically
	// after every change), so a restart neither loses an undelivered alert
	// nor re-sends a delivered one.
	StatePath string
	// Now and After are the clock (default time.Now and time.After); tests
	// inject a fake one to live through a long outage at once.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// Alerter turns check results into alerts and delivers them. Observe never
// blocks: each notifier has its own goroutine and bounded queue, an alert
// about a check replaces an undelivered one about the same check, and an
// alert that does not fit is dropped, counted and logged, so a dead
// receiver can never hold up the checks.
type Alerter struct {
	opts    Options
	workers []*worker

	// mu guards the tracker, every worker's queue and delivered set, and
	// closed; the state file is written under it.
	mu         sync.Mutex
	tracker    *Tracker
	closed     bool
	saveFailed bool            // the last write of the state file failed (logged once)
	hard       context.Context // cancelled when Close runs out of time
	abort      context.CancelFunc
}

type worker struct {
	t        Target
	name     string
	lim      *limiter
	fallback *worker
	wake     chan struct{}
	done     chan struct{}
	log      *slog.Logger

	queue []*pending
	// delivered holds the check keys whose latest problem alert this
	// receiver has: only those get a resolve.
	delivered map[string]bool
}

// pending is one alert waiting for delivery.
type pending struct {
	Alert     Alert     `json:"alert"`
	Queued    time.Time `json:"queued"` // when the first alert about this check was queued
	Attempts  int       `json:"attempts"`
	Next      time.Time `json:"next"` // no attempt before
	HandedOff bool      `json:"handed_off,omitempty"`
	inFlight  bool
}

// NewAlerter starts one delivery goroutine per target, after restoring
// Options.StatePath (a missing file is a first start; an unreadable one is
// logged and set aside).
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
	if o.After == nil {
		o.After = time.After
	}
	o.Retry = o.Retry.withDefaults()
	a := &Alerter{opts: o, tracker: NewTracker(o.Renotify)}
	a.hard, a.abort = context.WithCancel(context.Background())
	byName := map[string]*worker{}
	for _, t := range targets {
		w := &worker{
			t: t, name: t.Notifier.Name(), lim: newLimiter(o.Burst, o.BurstWindow),
			wake: make(chan struct{}, 1), done: make(chan struct{}), delivered: map[string]bool{},
			log: o.Log.With("notifier", t.Notifier.Name()),
		}
		o.Metrics.registerNotifier(w.name)
		a.workers = append(a.workers, w)
		byName[w.name] = w
	}
	for _, w := range a.workers {
		if w.t.Fallback != "" {
			w.fallback = byName[w.t.Fallback]
		}
	}
	a.load()
	for _, w := range a.workers {
		o.Metrics.queueLength(w.name, len(w.queue))
		go a.run(w)
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
		if w.t.FallbackOnly {
			continue
		}
		for _, al := range a.plan(w, trs, now) {
			a.enqueue(w, al, now)
		}
	}
	if len(trs) > 0 {
		a.save()
	}
}

// plan is what w must send for the transitions trs: filtered by min_status,
// scrubbed, ordered and burst-limited.
func (a *Alerter) plan(w *worker, trs []Transition, now time.Time) []Alert {
	var batch []Alert
	for _, t := range trs {
		kind, ok := classify(t, w.t.MinStatus)
		if !ok {
			continue
		}
		// Scrubbed before the burst limit may hold it: what it holds is
		// written to the state file too.
		batch = append(batch, Alert{
			ID: newID(), Kind: kind, Host: a.opts.Host, Profile: t.Profile, Check: t.Check,
			Old: t.Old, New: t.New, Summary: t.Summary, Hint: t.Hint, Since: t.Since, At: now,
		}.scrubbed(a.opts.Scrub))
	}
	order(batch)
	send, held := w.lim.admit(batch, now)
	if n := len(batch) - len(send); n > 0 {
		a.opts.Metrics.droppedN(w.name, "burst_limit", n)
		w.log.Warn("alerts held back by the burst limit", "count", n, "burst", a.opts.Burst, "window", a.opts.BurstWindow.String())
	}
	if len(held) > 0 {
		send = append(send, fold(held, a.opts.Scrub.Scrub(a.opts.Host), now))
	}
	return send
}

// enqueue queues al for w (a.mu held). An undelivered alert about the same
// check is replaced (superseded), keeping its place, its queue time and its
// backoff; a resolve withdraws an undelivered alert and is itself queued
// only when the receiver has (or may have, while an attempt is in flight)
// the alert it resolves.
func (a *Alerter) enqueue(w *worker, al Alert, now time.Time) {
	m := a.opts.Metrics
	key := al.Key()
	if fb := w.fallback; fb != nil && al.Kind != Suppressed {
		// What the fallback holds about this check is out of date.
		if al.Kind == Resolved {
			a.enqueue(fb, al, now)
		} else {
			a.withdraw(fb, key, "superseded")
		}
	}
	if al.Kind != Suppressed {
		for i, p := range w.queue {
			if p.inFlight || p.Alert.Kind == Suppressed || p.Alert.Key() != key {
				continue
			}
			m.superseded(w.name)
			if al.Kind == Resolved {
				w.log.Info("alert withdrawn: the check recovered before it was delivered", alertAttrs(p.Alert)...)
				w.queue = slices.Delete(w.queue, i, i+1)
				break
			}
			w.log.Info("alert superseded by a newer one about the same check", alertAttrs(p.Alert)...)
			w.queue[i] = &pending{Alert: al, Queued: p.Queued, Attempts: p.Attempts, Next: p.Next}
			m.queueLength(w.name, len(w.queue))
			w.signal()
			return
		}
		if al.Kind == Resolved && !w.delivered[key] && !w.inFlight(key) {
			m.queueLength(w.name, len(w.queue))
			return
		}
	}
	if w.waiting() >= a.opts.Queue {
		m.dropped(w.name, "queue_full")
		w.log.Warn("alert dropped: the notifier's queue is full (is the receiver down?)",
			"check", al.Check, "profile", al.Profile, "status", al.New.String(), "queue", a.opts.Queue)
		return
	}
	w.queue = append(w.queue, &pending{Alert: al, Queued: now, Next: now})
	m.queueLength(w.name, len(w.queue))
	w.signal()
}

// withdraw removes w's undelivered alert about key (a.mu held).
func (a *Alerter) withdraw(w *worker, key, why string) {
	for i, p := range w.queue {
		if !p.inFlight && p.Alert.Kind != Suppressed && p.Alert.Key() == key {
			w.queue = slices.Delete(w.queue, i, i+1)
			a.opts.Metrics.superseded(w.name)
			a.opts.Metrics.queueLength(w.name, len(w.queue))
			w.log.Info("alert withdrawn: "+why, alertAttrs(p.Alert)...)
			return
		}
	}
}

func (w *worker) inFlight(key string) bool {
	return slices.ContainsFunc(w.queue, func(p *pending) bool { return p.inFlight && p.Alert.Key() == key })
}

// waiting counts the queued alerts not being attempted right now.
func (w *worker) waiting() int {
	n := 0
	for _, p := range w.queue {
		if !p.inFlight {
			n++
		}
	}
	return n
}

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Close stops accepting alerts and lets the queued and in-flight deliveries
// go on until they are done or ctx is; then it aborts what is left and
// returns ctx's error. What the burst limit holds is queued first, in one
// fold. With a StatePath what is left is kept for the next start; without
// one it is dropped (reason "shutdown").
func (a *Alerter) Close(ctx context.Context) error {
	a.mu.Lock()
	a.closed = true
	now := a.opts.Now()
	for _, w := range a.workers {
		// What the burst limit still holds goes out now, folded: it is a
		// stop, not a storm, and no later batch will carry it.
		if held := w.lim.held; len(held) > 0 {
			w.lim.held = nil
			a.enqueue(w, fold(held, a.opts.Scrub.Scrub(a.opts.Host), now), now)
		}
	}
	a.mu.Unlock()
	for _, w := range a.workers {
		w.signal()
	}
	all := make(chan struct{})
	go func() {
		for _, w := range a.workers {
			<-w.done
		}
		close(all)
	}()
	var err error
	select {
	case <-all:
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.abort()
	<-all
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, w := range a.workers {
		if len(w.queue) == 0 {
			continue
		}
		if a.opts.StatePath == "" {
			a.opts.Metrics.droppedN(w.name, "shutdown", len(w.queue))
			w.log.Error("alerts not delivered: shutting down", "count", len(w.queue))
			w.queue = nil
			a.opts.Metrics.queueLength(w.name, 0)
			continue
		}
		w.log.Warn("alerts not delivered yet: kept for the next start", "count", len(w.queue), "state", a.opts.StatePath)
	}
	a.save()
	return err
}

// run delivers w's queue in order until the Alerter is closed and the
// queue is empty, or Close runs out of time.
func (a *Alerter) run(w *worker) {
	defer close(w.done)
	for {
		a.mu.Lock()
		now := a.opts.Now()
		a.handOff(w, now)
		p, wait := a.due(w, now)
		if p == nil && wait == 0 && a.closed {
			a.mu.Unlock()
			return
		}
		if p != nil {
			p.inFlight = true
		}
		a.mu.Unlock()
		if p == nil {
			var timer <-chan time.Time
			if wait > 0 {
				timer = a.opts.After(wait)
			}
			select {
			case <-w.wake:
			case <-timer:
			case <-a.hard.Done():
				return
			}
			continue
		}
		ctx, cancel := context.WithTimeout(a.hard, a.opts.Retry.Timeout)
		err := w.t.Notifier.Send(ctx, p.Alert)
		cancel()
		a.mu.Lock()
		a.settle(w, p, err)
		a.save()
		a.mu.Unlock()
		if a.hard.Err() != nil {
			return
		}
	}
}

// due returns the head of w's queue when its attempt is due, else how long
// until the next thing to do (0: nothing queued). A resolve whose alert
// the receiver never got is withdrawn here (a.mu held).
func (a *Alerter) due(w *worker, now time.Time) (*pending, time.Duration) {
	for len(w.queue) > 0 {
		p := w.queue[0]
		if p.Alert.Kind == Resolved && !w.delivered[p.Alert.Key()] {
			// Not counted: the alert it would resolve was, when it was
			// superseded or withdrawn.
			w.queue = w.queue[1:]
			a.opts.Metrics.queueLength(w.name, len(w.queue))
			w.log.Info("resolve not sent: the receiver never got the alert it resolves", alertAttrs(p.Alert)...)
			continue
		}
		wait := p.Next.Sub(now)
		if w.fallback != nil {
			for _, q := range w.queue {
				if !q.HandedOff {
					wait = min(wait, q.Queued.Add(w.t.FallbackAfter).Sub(now))
				}
			}
		}
		if p.Next.After(now) {
			return nil, max(wait, time.Millisecond)
		}
		return p, 0
	}
	return nil, 0
}

// handOff gives w's fallback every alert w could not deliver within
// FallbackAfter (a.mu held).
func (a *Alerter) handOff(w *worker, now time.Time) {
	if w.fallback == nil {
		return
	}
	for _, p := range w.queue {
		if !p.HandedOff && now.Sub(p.Queued) >= w.t.FallbackAfter {
			a.giveFallback(w, p, now, "not delivered within "+w.t.FallbackAfter.String())
		}
	}
}

func (a *Alerter) giveFallback(w *worker, p *pending, now time.Time, why string) {
	p.HandedOff = true
	if p.Alert.Kind == Resolved {
		return // enqueue gave the fallback its resolve already
	}
	a.opts.Metrics.handedOff(w.name)
	w.log.Warn("alert handed to the fallback notifier: "+why, append(alertAttrs(p.Alert), "fallback", w.fallback.name)...)
	a.enqueue(w.fallback, p.Alert, now)
}

// settle records the outcome of one attempt at p (a.mu held).
func (a *Alerter) settle(w *worker, p *pending, err error) {
	m := a.opts.Metrics
	p.inFlight = false
	p.Attempts++
	attrs := append(alertAttrs(p.Alert), "attempts", p.Attempts)
	remove := func() {
		if i := slices.Index(w.queue, p); i >= 0 {
			w.queue = slices.Delete(w.queue, i, i+1)
		}
		m.queueLength(w.name, len(w.queue))
	}
	if err == nil {
		remove()
		m.sent(w.name, p.Alert.Kind)
		switch p.Alert.Kind {
		case Resolved:
			delete(w.delivered, p.Alert.Key())
		case Suppressed:
			for _, k := range p.Alert.Held {
				w.delivered[k] = true
			}
		default:
			w.delivered[p.Alert.Key()] = true
		}
		w.log.Info("alert sent", attrs...)
		return
	}
	m.notifierError(w.name)
	var de *DeliveryError
	if !errors.As(err, &de) {
		de = &DeliveryError{Notifier: w.name, Msg: "delivery failed"}
	}
	attrs = append(attrs, "error", de.Error())
	switch {
	case a.hard.Err() != nil:
		w.log.Warn("alert not delivered: shutting down", attrs...)
		p.Attempts-- // cut short, not refused
		return
	case de.Permanent:
		remove()
		w.log.Error("alert rejected by the receiver: fix the notifier's URL or token", attrs...)
		if w.fallback != nil && !p.HandedOff {
			a.giveFallback(w, p, a.opts.Now(), "rejected by the receiver")
			return
		}
		if !p.HandedOff {
			m.dropped(w.name, "rejected")
		}
		return
	case p.Alert.Kind != Suppressed && slices.ContainsFunc(w.queue, func(q *pending) bool { return q != p && q.Alert.Key() == p.Alert.Key() }):
		// A newer alert about the check arrived during the attempt.
		remove()
		m.superseded(w.name)
		w.log.Info("alert superseded by a newer one about the same check", attrs...)
		return
	}
	d := a.opts.Retry.wait(p.Attempts, de.RetryAfter)
	p.Next = a.opts.Now().Add(d)
	w.log.Warn("alert delivery failed, retrying", append(attrs, "retry_in", d.String())...)
}

func alertAttrs(al Alert) []any {
	return []any{"check", al.Check, "profile", al.Profile, "kind", string(al.Kind), "old", al.Old.String(), "new", al.New.String(), "alert_id", al.ID}
}

// newID is a random alert id (16 hex characters).
func newID() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}
