package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/alert"
	"github.com/keywarden/keywarden/alert/alerttype"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// DefaultMetricsAddr is where `watch` serves /metrics unless told otherwise:
// loopback only, so the check results never leave the host by accident.
const DefaultMetricsAddr = "127.0.0.1:9849"

// watchOptions are the flags of `watch`.
type watchOptions struct {
	interval    time.Duration
	metricsAddr string
	profiles    []string
	offline     bool
	logFormat   string
	logLevel    string
	renotify    time.Duration
	burst       int
	shutdown    time.Duration
	stateFile   string
}

func newWatchCmd(app *App) *cobra.Command {
	var o watchOptions
	c := &cobra.Command{
		Use:   "watch [--interval D] [--metrics-addr ADDR]",
		Short: "Headless monitor: run the checks on a schedule, alert on changes, serve Prometheus metrics",
		Long: `Run the checks every --interval (each check no more often than its own
cadence: clock 30s, audit log 1m, network 5m, keys and hygiene 10m), follow
the profiles' audit logs, and alert on state changes through the config's
[[alert]] blocks (` + strings.Join(alerttype.Names(), ", ") + `): ok→warn,
warn→crit, crit→ok "resolved", a reminder while a check stays crit, at most
--burst alerts per notifier per 10 minutes. An alert is retried until it is
delivered (backoff up to 60s), replaced by a newer one about the same check,
or resolved first; a resolve goes only where the alert went. Undelivered
alerts and what each receiver was told are kept in --state-file, so a
restart loses and repeats nothing. Notifier tokens are read from the
keystore. Metrics are served at http://ADDR/metrics (loopback unless
ADDR names another interface; "off" disables them).

Logs go to stderr (--log-format json for journald/Loki). SIGTERM or SIGINT
stops the checks, lets queued alerts be delivered for up to
--shutdown-timeout, keeps the rest for the next start, and exits 0.

Exit codes: 0 stopped by a signal, 3 could not start (config, keystore,
notifier token, metrics address), 64 usage error.`,
		Example: `  keywarden watch
  keywarden watch --interval 30s --metrics-addr 127.0.0.1:9849 --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			err := runWatch(c.Context(), app, o)
			if err != nil && c.Context().Err() != nil {
				return nil // SIGTERM while starting: a clean stop all the same
			}
			return withCode(ExitUnknown, err)
		},
	}
	f := c.Flags()
	f.DurationVar(&o.interval, "interval", time.Minute, "time between check runs (at least 1s)")
	f.StringVar(&o.metricsAddr, "metrics-addr", DefaultMetricsAddr, `serve /metrics here ("off" to disable; ":PORT" means 127.0.0.1:PORT)`)
	f.StringArrayVar(&o.profiles, "profile", nil, "watch only this profile (repeatable)")
	f.BoolVar(&o.offline, "offline", false, "skip the checks that need the network")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "least log level: debug, info, warn or error")
	f.DurationVar(&o.renotify, "renotify", 4*time.Hour, "remind about a check still crit after this long (0 disables)")
	f.IntVar(&o.burst, "burst", 10, "most alerts per notifier per 10 minutes; the rest are folded into one (0: no limit)")
	f.DurationVar(&o.shutdown, "shutdown-timeout", 10*time.Second, "on SIGTERM, how long in-flight alerts may take to finish")
	f.StringVar(&o.stateFile, "state-file", "", "where undelivered alerts and check states are kept across restarts (default $XDG_STATE_HOME/keywarden/alerts.json)")
	_ = c.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("profile", completeProfiles(app))
	return c
}

// newWatchLogger builds the slog logger on w.
func newWatchLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError("--log-format %q: use text or json", format)
}

// metricsListenAddr resolves --metrics-addr: "" or "off" disables, a bare
// port or ":PORT" binds loopback. Binding all interfaces must be explicit
// (0.0.0.0:PORT or [::]:PORT).
func metricsListenAddr(v string) (string, error) {
	switch v {
	case "", "off":
		return "", nil
	}
	if !strings.Contains(v, ":") {
		v = ":" + v
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil || port == "" {
		return "", usageError("--metrics-addr %q: use HOST:PORT, :PORT or off", v)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

func runWatch(ctx context.Context, app *App, o watchOptions) error {
	if o.interval < time.Second {
		return usageError("--interval %s is too short: use 1s or more", o.interval)
	}
	if o.burst < 0 || o.renotify < 0 || o.shutdown <= 0 {
		return usageError("--burst and --renotify must be 0 or more, --shutdown-timeout more than 0")
	}
	log, err := newWatchLogger(app.Stderr, o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	addr, err := metricsListenAddr(o.metricsAddr)
	if err != nil {
		return err
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	if bad := checks.UnknownProfiles(cfg, o.profiles); len(bad) > 0 {
		return usageError("no profile %s in %s", strings.Join(bad, ", "), app.ConfigFile())
	}
	store, storeErr, err := app.openStoreLenient(ctx, cfg)
	if err != nil {
		return err
	}
	if storeErr != nil {
		log.Warn("keystore unavailable: the key checks will report unknown", "error", storeErr.Error())
	}

	entries := watchEntries(ctx, store, log)
	var secrets []keystore.Secret
	for _, e := range entries {
		for _, f := range e.Values() {
			secrets = append(secrets, f.Value)
		}
	}
	scrub := alert.NewScrubber(secrets...)
	var tokenStore keystore.Store
	if store != nil {
		tokenStore = readEntries{Store: store, entries: entries}
	}
	targets, tokens, err := alert.Targets(ctx, cfg.Alerts, tokenStore, nil, scrub)
	if err != nil {
		if storeErr != nil {
			err = fmt.Errorf("%w (the keystore did not open: %v)", err, storeErr)
		}
		return fmt.Errorf("%w\nwatch needs every notifier to work: fix the [[alert]] block in %s", err, app.ConfigFile())
	}
	scrub = alert.NewScrubberWith(scrub, tokens...)
	// Opening an age vault costs a 256 MiB scrypt buffer; hand it back to
	// the OS now rather than keep it for the life of a long-running monitor.
	debug.FreeOSMemory()

	metrics := alert.NewMetrics()
	var srv *http.Server
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("metrics: cannot listen on %s: %w\nuse --metrics-addr with a free port, or --metrics-addr off", addr, err)
		}
		srv = metricsServer(metrics)
		go func() { _ = srv.Serve(ln) }()
		log.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	}
	if len(targets) == 0 {
		log.Warn("no [[alert]] blocks in the config: changes are only logged and served as metrics")
	}

	cfg = withoutTokenProfiles(cfg, log)
	deps := checkDeps(cfg, store, storeErr)
	env := checks.NewEnv(deps)
	cs := checks.Build(deps, checks.Options{Profiles: o.profiles, Offline: o.offline})
	sched := alert.NewSchedule(alert.DefaultCadence, o.interval)

	statePath := o.stateFile
	if statePath == "" {
		statePath = alert.DefaultStatePath()
	}
	alerter := alert.NewAlerter(targets, alert.Options{
		Host: env.Host(), Renotify: o.renotify, Burst: o.burst, Scrub: scrub, Log: log, Metrics: metrics, StatePath: statePath,
	})
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		names = append(names, t.Notifier.Name()+"≥"+t.MinStatus.String())
	}
	log.Info("watch started", "host", env.Host(), "checks", len(cs), "interval", o.interval.String(),
		"notifiers", strings.Join(names, ","), "keystore", backendName(store), "state", statePath)

	runCtx, stopRuns := context.WithCancel(ctx)
	defer stopRuns()
	wake := make(chan struct{}, 1)
	var followers sync.WaitGroup
	followers.Add(1)
	go func() {
		defer followers.Done()
		alert.FollowAuditLogs(runCtx, watchedProfiles(cfg, o.profiles), secrets, sched, wake, log)
	}()

	mon := &alert.Monitor{
		Interval: o.interval,
		Wake:     wake,
		Alerter:  alerter,
		Metrics:  metrics,
		Log:      log,
		Run: func(ctx context.Context) []checks.Result {
			due := sched.Due(cs, time.Now())
			if len(due) == 0 {
				return nil
			}
			return checks.Run(ctx, env, due).Checks
		},
	}
	sdNotify("READY=1")
	_ = mon.Serve(runCtx)

	log.Info("stopping: finishing in-flight alerts", "timeout", o.shutdown.String())
	sdNotify("STOPPING=1")
	stopRuns()
	followers.Wait()
	cctx, cancel := context.WithTimeout(context.Background(), o.shutdown)
	defer cancel()
	if err := alerter.Close(cctx); err != nil {
		log.Warn("some alerts were not delivered before the shutdown timeout", "timeout", o.shutdown.String())
	}
	if srv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
	}
	log.Info("stopped")
	return nil
}

// metricsServer serves /metrics and a short index at /.
func metricsServer(m *alert.Metrics) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "keywarden watch: metrics at /metrics\n")
	})
	return &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
}

// watchEntries reads every stored item (keys, secrets, passphrases,
// notifier tokens) once at start, for scrubbing alerts and logs, spotting
// leaks in the followed audit logs, and the notifier tokens.
func watchEntries(ctx context.Context, store keystore.Store, log *slog.Logger) []keystore.Entry {
	if store == nil {
		return nil
	}
	entries, err := keystore.Secrets(ctx, store)
	if err != nil {
		log.Warn("cannot read the stored keys: alerts are scrubbed of notifier tokens only", "error", err.Error())
		return nil
	}
	return entries
}

// readEntries answers Get from the items already read at start (a vault
// read costs a scrypt derivation), and asks the store for anything else.
type readEntries struct {
	keystore.Store
	entries []keystore.Entry
}

func (r readEntries) Get(ctx context.Context, name string) (keystore.Item, error) {
	for _, e := range r.entries {
		if e.Profile == name {
			return e.Item, nil
		}
	}
	return r.Store.Get(ctx, name)
}

// withoutTokenProfiles leaves out profiles that name a notifier token's
// keystore item: `keywarden import` adds a profile for every item it
// stores, but a Slack webhook is not an exchange key to check.
func withoutTokenProfiles(cfg *config.Config, log *slog.Logger) *config.Config {
	var tokens []string
	for _, a := range cfg.Alerts {
		if a.Token != "" {
			tokens = append(tokens, a.Token)
		}
	}
	out := *cfg
	out.Profiles = nil
	for _, p := range cfg.Profiles {
		if slices.Contains(tokens, p.Name) {
			log.Info("not checking profile: it holds a notifier token", "profile", p.Name)
			continue
		}
		out.Profiles = append(out.Profiles, p)
	}
	return &out
}

// watchedProfiles are the profiles whose audit logs are followed.
func watchedProfiles(cfg *config.Config, only []string) []config.Profile {
	var out []config.Profile
	for _, p := range cfg.Profiles {
		if len(only) == 0 || slices.Contains(only, p.Name) {
			out = append(out, p)
		}
	}
	return out
}

func backendName(s keystore.Store) string {
	if s == nil {
		return "unavailable"
	}
	return s.Backend()
}

// sdNotify tells systemd (Type=notify) about the service state. Without
// $NOTIFY_SOCKET it does nothing.
func sdNotify(state string) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	if strings.HasPrefix(sock, "@") {
		sock = "\x00" + sock[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = conn.Write([]byte(state))
}
