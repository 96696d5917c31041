package checks

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

func newExchangeClient(name, baseURL string, hc *http.Client) (exchange.Client, error) {
	return exchange.New(name, baseURL, hc)
}

// samplesPerEndpoint is how many server-time samples are taken per endpoint:
// one, then the rest at once, so the set costs two round trips and the
// key-info request can start after the first.
const samplesPerEndpoint = 3

// TimeSamples is the server-time sample set of one exchange endpoint.
type TimeSamples struct {
	Samples []exchange.TimeSample // successful samples, in arrival order
	Errors  []error               // failed attempts
}

// Best returns the sample with the smallest round trip (its midpoint
// estimate is the tightest), or false when none succeeded.
func (ts TimeSamples) Best() (exchange.TimeSample, bool) {
	if len(ts.Samples) == 0 {
		return exchange.TimeSample{}, false
	}
	best := ts.Samples[0]
	for _, s := range ts.Samples[1:] {
		if s.RTT() < best.RTT() {
			best = s
		}
	}
	return best, true
}

// sampling is a server-time sample set in progress.
type sampling struct {
	first    chan struct{} // closed when the first attempt finished
	done     chan struct{} // closed when every attempt finished
	mu       sync.Mutex
	firstS   exchange.TimeSample
	firstErr error
	set      TimeSamples
}

func (s *sampling) add(t exchange.TimeSample, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.set.Errors = append(s.set.Errors, err)
		return
	}
	s.set.Samples = append(s.set.Samples, t)
}

// startSampling begins a sample set against c; it returns at once.
func (e *Env) startSampling(ctx context.Context, c exchange.Client) *sampling {
	s := &sampling{first: make(chan struct{}), done: make(chan struct{})}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.timeout)
	go func() {
		defer cancel()
		defer close(s.done)
		t, err := safeCall(wctx, func(ctx context.Context) (exchange.TimeSample, error) { return c.ServerTime(ctx) })
		s.firstS, s.firstErr = t, err
		s.add(t, err)
		close(s.first)
		var wg sync.WaitGroup
		for range samplesPerEndpoint - 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.add(safeCall(wctx, func(ctx context.Context) (exchange.TimeSample, error) { return c.ServerTime(ctx) }))
			}()
		}
		wg.Wait()
	}()
	return s
}

func (e *Env) sampling(ctx context.Context, p config.Profile) (*sampling, error) {
	c, err := e.Client(p)
	if err != nil {
		return nil, err
	}
	return cell[*sampling](e, "time/"+p.Exchange+" "+c.BaseURL()).get(ctx, e, func(context.Context) (*sampling, error) {
		return e.startSampling(ctx, c), nil
	})
}

// ServerTime returns the sample set of the profile's exchange endpoint,
// shared by every profile on that endpoint. The error is the first failed
// attempt's when no sample succeeded.
func (e *Env) ServerTime(ctx context.Context, p config.Profile) (TimeSamples, error) {
	s, err := e.sampling(ctx, p)
	if err != nil {
		return TimeSamples{}, err
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		return TimeSamples{}, errors.Join(errors.New("no server time before the deadline"), ctx.Err())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	set := TimeSamples{Samples: append([]exchange.TimeSample(nil), s.set.Samples...), Errors: append([]error(nil), s.set.Errors...)}
	if len(set.Samples) == 0 && len(set.Errors) > 0 {
		return set, set.Errors[0]
	}
	return set, nil
}

// signingOffset is the server-time offset to sign the key-info request
// with: the first sample's, or zero when it failed or is slow to come.
func (e *Env) signingOffset(ctx context.Context, p config.Profile) time.Duration {
	s, err := e.sampling(ctx, p)
	if err != nil {
		return 0
	}
	wait := e.timeout / 3
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-s.first:
	case <-t.C:
		return 0
	case <-ctx.Done():
		return 0
	}
	if s.firstErr != nil {
		return 0
	}
	return s.firstS.Offset()
}

// KeyInfo asks the profile's exchange about its key (once per MaxAge),
// signing with the server-time offset so a skewed local clock does not hide
// the key's permissions.
func (e *Env) KeyInfo(ctx context.Context, p config.Profile) (exchange.KeyInfo, error) {
	return cell[exchange.KeyInfo](e, "keyinfo/"+p.Name).get(ctx, e, func(wctx context.Context) (exchange.KeyInfo, error) {
		it, err := e.Item(wctx, p.Name)
		if err != nil {
			return exchange.KeyInfo{}, err
		}
		c, err := e.Client(p)
		if err != nil {
			return exchange.KeyInfo{}, err
		}
		off := e.signingOffset(wctx, p)
		return c.KeyInfo(wctx, it, off)
	})
}
