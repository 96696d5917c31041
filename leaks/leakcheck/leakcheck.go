// Package leakcheck runs the leak scanner as the hygiene.history check of
// the checks engine. It lives apart from leaks so that checks may import
// leaks (for hygiene.files) without an import cycle.
package leakcheck

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/leaks"
)

// ID is the check's stable id.
const ID = "hygiene.history"

// History returns the constructor of the hygiene.history check, for
// checks.Deps.Extra. The check applies to profiles with a project; it looks
// for the profile's stored values in every object of the project's git
// history. cacheDir "" uses leaks.DefaultCacheDir.
//
// All stored values are searched for in one pass per repository, shared by
// every profile whose project it is and cached by ref state, so a repeated
// check (or a check after `keywarden scan`) reads no object at all. A first
// scan that outlives the check's deadline keeps running in the background
// until it has filled the cache; the check reports unknown meanwhile.
func History(cacheDir string) func(p config.Profile) checks.Check {
	return func(p config.Profile) checks.Check {
		if p.Project == "" {
			return nil
		}
		return checks.Func{CheckID: ID, ProfileName: p.Name,
			Fn: func(ctx context.Context, env *checks.Env) checks.Result { return run(ctx, env, p, cacheDir) }}
	}
}

func run(ctx context.Context, env *checks.Env, p config.Profile, cacheDir string) checks.Result {
	none := map[string]any{"findings": []any{}, "project": p.Project}
	st, err := env.Store()
	if err != nil {
		return checks.Result{Status: checks.Unknown, Details: none,
			Summary: "cannot read the stored keys: " + err.Error(), Hint: "fix the keystore (see the keystore check), then run the check again"}
	}
	entries, err := keystore.Secrets(ctx, st)
	if err != nil {
		return checks.Result{Status: checks.Unknown, Details: none,
			Summary: "cannot read the stored keys: " + err.Error(), Hint: "fix the keystore (see the keystore check), then run the check again"}
	}
	var targets []leaks.Target
	mine := false
	for _, e := range entries {
		targets = append(targets, leaks.TargetsFromItem(e.Profile, e.Item)...)
		mine = mine || e.Profile == p.Name
	}
	if !mine {
		return checks.Result{Status: checks.Unknown, Details: none,
			Summary: "no stored key for " + p.Name + ", so nothing to look for",
			Hint:    "store it with 'keywarden import " + p.Name + "' or 'keywarden add'"}
	}
	res, cached, err := shared(ctx, p.Project, targets, cacheDir)
	switch {
	case errors.Is(err, leaks.ErrNotRepo):
		return checks.Result{Status: checks.OK, Details: none, Summary: p.Project + " is not a git repository: no history to leak into"}
	case errors.Is(err, errStillRunning):
		return checks.Result{Status: checks.Unknown, Details: none,
			Summary: "first scan of " + p.Project + "'s history is still running",
			Hint:    "run 'keywarden scan " + p.Project + "' once; later checks use its cached result"}
	case err != nil:
		return checks.Result{Status: checks.Unknown, Details: none,
			Summary: "cannot read " + p.Project + "'s git history: " + err.Error(), Hint: "check the profile's project path and that git works there"}
	}
	r := judge(p, res.Findings)
	r.Details["cached"] = cached
	r.Details["objects_scanned"] = res.BlobsScanned
	return r
}

// judge turns the profile's findings into the result.
func judge(p config.Profile, all []leaks.Finding) checks.Result {
	list := []map[string]any{}
	var first *leaks.Finding
	for i, f := range all {
		if f.Profile != p.Name {
			continue
		}
		if first == nil {
			first = &all[i]
		}
		list = append(list, map[string]any{"commit": f.Commit, "path": f.Path, "encoding": f.Encoding,
			"field": f.Field, "line": f.Line, "in_head": f.InHead, "reachable": f.Reach, "refs": f.Refs})
	}
	d := map[string]any{"findings": list, "project": p.Project}
	if first == nil {
		return checks.Result{Status: checks.OK, Details: d, Summary: "stored key not in " + p.Project + "'s git history"}
	}
	sum := fmt.Sprintf("%s in git history: %s", first.Field, first.Where())
	if n := first.Note(); n != "" {
		sum += " (" + n + ")"
	}
	if len(list) > 1 {
		sum += fmt.Sprintf(" (+%d more)", len(list)-1)
	}
	return checks.Result{Status: checks.Crit, Details: d, Summary: sum,
		Hint: "revoke this key on the exchange now and make a new one ('keywarden rotate " + p.Name + "'); then purge it: git filter-repo, force-push, gc (see 'keywarden scan " + p.Project + "')"}
}

// errStillRunning: the caller's deadline passed before the shared scan ended.
var errStillRunning = errors.New("history scan still running")

// flight is one in-progress history scan of one repository.
type flight struct {
	done   chan struct{}
	res    leaks.HistoryResult
	cached bool
	err    error
}

var (
	mu      sync.Mutex
	flights = map[string]*flight{}
)

// shared runs (or joins) the history scan of dir. The scan runs detached
// from ctx, bounded by scanLimit, so that it completes and fills the cache
// even when this check's deadline is shorter.
func shared(ctx context.Context, dir string, targets []leaks.Target, cacheDir string) (leaks.HistoryResult, bool, error) {
	key, err := filepath.Abs(dir)
	if err != nil {
		return leaks.HistoryResult{}, false, err
	}
	mu.Lock()
	f, ok := flights[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		flights[key] = f
		go func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), scanLimit)
			defer cancel()
			f.res, f.cached, f.err = leaks.HistoryCached(sctx, key, targets, cacheDir, 0)
			mu.Lock()
			delete(flights, key)
			mu.Unlock()
			close(f.done)
		}()
	}
	mu.Unlock()
	select {
	case <-f.done:
		return f.res, f.cached, f.err
	case <-ctx.Done():
		return leaks.HistoryResult{}, false, errStillRunning
	}
}

// scanLimit bounds a background history scan.
const scanLimit = 10 * time.Minute
