package alert

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/internal/atomicfile"
)

// DefaultStatePath is where `watch` keeps its alert state:
// $STATE_DIRECTORY/alerts.json under systemd's StateDirectory=, else
// $XDG_STATE_HOME/keywarden/alerts.json (~/.local/state/keywarden/… when
// unset). "" when neither that nor $HOME is known.
func DefaultStatePath() string {
	if dir := os.Getenv("STATE_DIRECTORY"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "alerts.json")
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "keywarden", "alerts.json")
}

// stateVersion is bumped when the file's meaning changes; a file of
// another version is set aside, not misread.
const stateVersion = 1

// savedState is the state file: check statuses as the tracker knows them,
// and per notifier the undelivered alerts and the checks whose alert the
// receiver has. It holds only what alerts hold: no secret.
type savedState struct {
	Version   int                       `json:"version"`
	Checks    map[string]savedCheck     `json:"checks"`
	Notifiers map[string]*savedNotifier `json:"notifiers"`
}

type savedCheck struct {
	Status   checks.Status `json:"status"`
	Since    time.Time     `json:"since"`
	Notified time.Time     `json:"notified"`
}

type savedNotifier struct {
	Queue     []*pending `json:"queue"`
	Delivered []string   `json:"delivered"`
	// Held are the alerts the burst limit holds for the next fold: the
	// tracker already counts them as told.
	Held []Alert `json:"held,omitempty"`
}

// save writes the state file (a.mu held). A failure is logged: delivery
// goes on, only a restart would forget.
func (a *Alerter) save() {
	path := a.opts.StatePath
	if path == "" {
		return
	}
	s := savedState{Version: stateVersion, Checks: map[string]savedCheck{}, Notifiers: map[string]*savedNotifier{}}
	for k, st := range a.tracker.states {
		s.Checks[k] = savedCheck{Status: st.status, Since: st.since, Notified: st.notified}
	}
	for _, w := range a.workers {
		n := &savedNotifier{Queue: w.queue, Delivered: []string{}, Held: w.lim.held}
		for k := range w.delivered {
			n.Delivered = append(n.Delivered, k)
		}
		s.Notifiers[w.name] = n
	}
	b, err := json.Marshal(s)
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
			err = atomicfile.Write(path, b, 0o600)
		}
	}
	if err != nil && !a.saveFailed {
		a.opts.Log.Error("cannot write the alert state: a restart would forget undelivered alerts", "state", path, "error", err.Error())
	}
	a.saveFailed = err != nil
}

// load restores the state file, if any (before the workers start).
func (a *Alerter) load() {
	path := a.opts.StatePath
	if path == "" {
		return
	}
	atomicfile.RemoveStaleTemps(path)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var s savedState
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err == nil && s.Version != stateVersion {
		err = errors.New("written by another version of keywarden")
	}
	if err != nil {
		aside := path + ".unreadable"
		_ = os.Rename(path, aside)
		a.opts.Log.Error("the alert state cannot be read: starting afresh (every current problem alerts again)", "state", path, "moved_to", aside, "error", err.Error())
		return
	}
	for k, c := range s.Checks {
		a.tracker.states[k] = &trackState{status: c.Status, since: c.Since, notified: c.Notified}
	}
	restored := 0
	for _, w := range a.workers {
		n := s.Notifiers[w.name]
		if n == nil {
			continue
		}
		for _, p := range n.Queue {
			if p != nil {
				w.queue = append(w.queue, p)
			}
		}
		for _, k := range n.Delivered {
			w.delivered[k] = true
		}
		w.lim.held = append(w.lim.held, n.Held...)
		restored += len(w.queue) + len(n.Held)
		delete(s.Notifiers, w.name)
	}
	for name, n := range s.Notifiers {
		if len(n.Queue)+len(n.Held) > 0 {
			a.opts.Log.Warn("undelivered alerts of a notifier no longer configured are forgotten", "notifier", name, "count", len(n.Queue)+len(n.Held))
		}
	}
	a.opts.Log.Info("alert state restored", "state", path, "checks", len(s.Checks), "undelivered", restored)
}
