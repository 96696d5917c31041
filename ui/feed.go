package ui

import (
	"context"
	"slices"
	"time"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/keystore"
)

// ChecksRunner is the Runner over the checks engine: for the ids asked it
// runs those of cs with checks.Run under env, exactly as `keywarden check`
// does. A long-lived env shares and caches work (server time, egress IP,
// key info) between the dashboard's refreshes.
func ChecksRunner(env *checks.Env, cs []checks.Check) Runner {
	return func(ctx context.Context, ids []string) []checks.Result {
		var sub []checks.Check
		for _, c := range cs {
			if slices.Contains(ids, c.ID()) {
				sub = append(sub, c)
			}
		}
		if len(sub) == 0 {
			return nil
		}
		return checks.Run(ctx, env, sub).Checks
	}
}

// Feed batching: the first batch gathers the backlog so the first frame is
// full. The follower sends the backlog in one burst, so the first batch goes
// as soon as the lines stop coming for feedQuiet, and at the latest after
// feedFirstWait. Later batches are at least a second apart, so a chatty bot
// never makes the dashboard redraw more than once a second.
const (
	feedBacklog    = 200
	feedFirstWait  = 100 * time.Millisecond
	feedQuiet      = 10 * time.Millisecond
	feedMinGap     = time.Second
	feedBatchLimit = 500
)

// FollowLog is the AuditFeed of one profile's audit log: auditlog.Follow
// on path (the last lines first), each line parsed for exchange and with
// secrets redacted before anything else sees it.
func FollowLog(path, exchange string, secrets []keystore.Secret) AuditFeed {
	parser := &auditlog.Parser{Exchange: exchange, Redactor: auditlog.NewRedactor(secrets)}
	return func(ctx context.Context) <-chan []auditlog.Entry {
		out := make(chan []auditlog.Entry)
		go func() {
			defer close(out)
			f, err := auditlog.Follow(ctx, path, auditlog.FollowOptions{Backlog: feedBacklog})
			if err != nil {
				return // the auditlog check reports why
			}
			defer f.Close()
			pump(ctx, f.Lines(), parser, out)
		}()
		return out
	}
}

// pump parses lines into batches and sends them on out until lines closes
// or ctx ends.
func pump(ctx context.Context, lines <-chan []byte, parser *auditlog.Parser, out chan<- []auditlog.Entry) {
	next := time.Now().Add(feedFirstWait)
	// quiet ends the first batch when the backlog's burst is over; it
	// never fires for later batches.
	quiet := time.NewTimer(feedQuiet)
	defer quiet.Stop()
	first := true
	for {
		var batch []auditlog.Entry
		select {
		case <-ctx.Done():
			return
		case l, ok := <-lines:
			if !ok {
				return
			}
			batch = append(batch, parser.Parse(l))
		}
		timer := time.NewTimer(max(0, time.Until(next)))
		var quietC <-chan time.Time
		if first {
			quiet.Reset(feedQuiet)
			quietC = quiet.C
		}
	gather:
		for len(batch) < feedBatchLimit {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case l, ok := <-lines:
				if !ok {
					break gather
				}
				batch = append(batch, parser.Parse(l))
				if first {
					quiet.Reset(feedQuiet)
				}
			case <-timer.C:
				break gather
			case <-quietC:
				break gather
			}
		}
		timer.Stop()
		first = false
		select {
		case out <- batch:
		case <-ctx.Done():
			return
		}
		next = time.Now().Add(feedMinGap)
	}
}
