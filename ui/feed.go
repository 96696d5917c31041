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

// Feed batching: the first batch gathers the backlog briefly so the first
// frame is full; later batches are at least a second apart, so a chatty bot
// never makes the dashboard redraw more than once a second.
const (
	feedBacklog    = 200
	feedFirstWait  = 100 * time.Millisecond
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
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		select {
		case out <- batch:
		case <-ctx.Done():
			return
		}
		next = time.Now().Add(feedMinGap)
	}
}
