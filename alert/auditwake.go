package alert

import (
	"context"
	"log/slog"
	"sync"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// AuditCheckID is the id of the check a followed audit log line can make
// due at once.
const AuditCheckID = "auditlog"

// FollowAuditLogs follows the audit log of every profile that has one, from
// its current end. A line holding a stored secret, or an error the exchange
// gave because of the key itself (clock, IP, permission, signature, key),
// makes the auditlog check due now (sched.Force) and sends on wake, so the
// alert goes out within seconds instead of at the next tick. Lines are never
// logged: only the profile and the cause.
//
// It returns when ctx is done and every follower has stopped.
func FollowAuditLogs(ctx context.Context, profiles []config.Profile, secrets []keystore.Secret, sched *Schedule, wake chan<- struct{}, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	red := auditlog.NewRedactor(secrets)
	var wg sync.WaitGroup
	for _, p := range profiles {
		if p.AuditLog == "" {
			continue
		}
		f, err := auditlog.Follow(ctx, p.AuditLog, auditlog.FollowOptions{})
		if err != nil {
			log.Warn("cannot follow the audit log; the auditlog check still reads it on schedule", "profile", p.Name, "error", err.Error())
			continue
		}
		parser := &auditlog.Parser{Exchange: p.Exchange, Redactor: red}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer f.Close()
			for line := range f.Lines() {
				e := parser.Parse(line)
				if !e.Redacted && !auditlog.IsAuthCause(e.Cause) {
					continue
				}
				attrs := []any{"profile", p.Name, "cause", string(e.Cause), "code", e.Code}
				if e.Redacted {
					attrs = append(attrs, "secret_in_log", true)
				}
				log.Info("audit log: running the auditlog check now", attrs...)
				sched.Force(AuditCheckID)
				select {
				case wake <- struct{}{}:
				default: // a wake is already pending
				}
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()
}
