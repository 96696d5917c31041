package checks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

// Env is the shared state of one or more runs: it makes sure that checks
// running in parallel share one server-time sample set per exchange endpoint,
// one public-IP lookup, one key-info request and one keystore read per
// profile. Results are reused for Deps.MaxAge, so an Env may be kept across
// runs (the dashboard does); Invalidate forgets them. Safe for concurrent use.
type Env struct {
	cfg       *config.Config
	store     keystore.Store
	storeErr  error
	newClient func(p config.Profile) (exchange.Client, error)
	http      *http.Client
	now       func() time.Time
	host      string
	timeout   time.Duration
	maxAge    time.Duration

	mu      sync.Mutex
	cells   map[string]any
	clients map[string]exchange.Client
}

// Defaults for Deps' zero values.
const (
	DefaultTimeout = 10 * time.Second
	DefaultMaxAge  = 20 * time.Second
)

// NewEnv prepares an Env; it does no I/O.
func NewEnv(d Deps) *Env {
	e := &Env{
		cfg:       d.Config,
		store:     d.Store,
		storeErr:  d.StoreErr,
		newClient: d.NewClient,
		http:      d.HTTP,
		now:       d.Now,
		host:      d.Hostname,
		timeout:   d.Timeout,
		maxAge:    d.MaxAge,
		cells:     map[string]any{},
		clients:   map[string]exchange.Client{},
	}
	if e.cfg == nil {
		e.cfg = &config.Config{}
	}
	if e.http == nil {
		e.http = exchange.DefaultHTTPClient
	}
	if e.newClient == nil {
		hc := d.HTTP
		e.newClient = func(p config.Profile) (exchange.Client, error) {
			return newExchangeClient(p.Exchange, p.BaseURL, hc)
		}
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.host == "" {
		e.host = Hostname()
	}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	if e.maxAge <= 0 {
		e.maxAge = DefaultMaxAge
	}
	return e
}

// Config is the configuration the Env was built with (never nil).
func (e *Env) Config() *config.Config { return e.cfg }

// Now is the Env's clock (Deps.Now).
func (e *Env) Now() time.Time { return e.now() }

// Host is the report's host name.
func (e *Env) Host() string { return e.host }

// Timeout is the per-check deadline.
func (e *Env) Timeout() time.Duration { return e.timeout }

// Store is the keystore, or nil with the reason from StoreErr.
func (e *Env) Store() (keystore.Store, error) {
	if e.store == nil {
		if e.storeErr != nil {
			return nil, e.storeErr
		}
		return nil, errors.New("no keystore open")
	}
	return e.store, nil
}

// Invalidate forgets every shared result, so the next run asks again.
func (e *Env) Invalidate() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cells = map[string]any{}
}

// Profile returns the named profile from the config.
func (e *Env) Profile(name string) (config.Profile, error) {
	p, ok := e.cfg.Profile(name)
	if !ok {
		return config.Profile{}, fmt.Errorf("profile %q is not in the config: run `keywarden list` to see the profiles", name)
	}
	return p, nil
}

// Item returns the stored credentials of a profile (one keystore read per
// MaxAge).
func (e *Env) Item(ctx context.Context, profile string) (keystore.Item, error) {
	st, err := e.Store()
	if err != nil {
		return keystore.Item{}, err
	}
	return cell[keystore.Item](e, "item/"+profile).get(ctx, e, func(ctx context.Context) (keystore.Item, error) {
		return st.Get(ctx, profile)
	})
}

// Client returns the exchange client for a profile's endpoint.
func (e *Env) Client(p config.Profile) (exchange.Client, error) {
	key := p.Exchange + " " + p.BaseURL
	e.mu.Lock()
	c, ok := e.clients[key]
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := e.newClient(p)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.clients[key]; ok {
		return old, nil
	}
	e.clients[key] = c
	return c, nil
}

// cell returns the memo for key, creating it.
func cell[T any](e *Env, key string) *memo[T] {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.cells[key].(*memo[T]); ok {
		return m
	}
	m := &memo[T]{}
	e.cells[key] = m
	return m
}

// memo is one shared piece of work: the first caller starts it, everyone
// waits for the same answer, and it is redone once older than the Env's
// MaxAge. The work runs on a context detached from the caller's (with the
// Env's deadline), so one impatient check cannot fail it for the others.
type memo[T any] struct {
	mu   sync.Mutex
	done chan struct{}
	at   time.Time // when the answer arrived; zero while in flight
	val  T
	err  error
}

func (m *memo[T]) get(ctx context.Context, e *Env, f func(ctx context.Context) (T, error)) (T, error) {
	m.mu.Lock()
	if m.done == nil || (!m.at.IsZero() && e.now().Sub(m.at) > e.maxAge) {
		done := make(chan struct{})
		m.done, m.at = done, time.Time{}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.timeout)
		go func() {
			defer cancel()
			v, err := safeCall(wctx, f)
			m.mu.Lock()
			m.val, m.err, m.at = v, err, e.now()
			m.mu.Unlock()
			close(done)
		}()
	}
	done := m.done
	m.mu.Unlock()
	select {
	case <-done:
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.val, m.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("gave up waiting: %w", ctx.Err())
	}
}

// safeCall turns a panic in shared work into an error, so it cannot take the
// process down from a goroutine the runner does not watch.
func safeCall[T any](ctx context.Context, f func(ctx context.Context) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v (a keywarden bug; please report it)", r)
		}
	}()
	return f(ctx)
}
