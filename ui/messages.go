package ui

import (
	"time"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
)

// ResultsMsg carries the results of one refresh of a check group. Gen is the
// group's fetch generation when the refresh was asked for; a message whose
// Gen is not the group's current one is stale and dropped.
type ResultsMsg struct {
	Group   Group
	Gen     int
	Results []checks.Result
	At      time.Time
}

// tickMsg re-arms a group's periodic refresh; it carries the generation it
// was armed for so a refresh asked for in between (the `r` key) retires it.
type tickMsg struct {
	Group Group
	Gen   int
}

// repaintMsg asks for a full repaint once a resize has settled; resize is
// the resize it was armed for.
type repaintMsg struct{ resize int }

// resizeSettle is how long after the last resize the second repaint comes.
const resizeSettle = 500 * time.Millisecond

// minuteMsg redraws the time-dependent parts (key countdowns, sparkline)
// once a minute.
type minuteMsg struct{ At time.Time }

// AuditMsg carries new entries from one profile's audit log.
type AuditMsg struct {
	Profile string
	Entries []auditlog.Entry
	At      time.Time
}

// auditStartedMsg hands the root the channel of a started audit feed.
type auditStartedMsg struct {
	Profile string
	Ch      <-chan []auditlog.Entry
}

// auditClosedMsg says a profile's audit feed ended.
type auditClosedMsg struct{ Profile string }
