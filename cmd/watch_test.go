package cmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/keywarden/keywarden/alert"
	"github.com/keywarden/keywarden/alert/alerttype"
	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

// Secrets of the watch tests: a bot's key pair and a webhook signing key.
const (
	watchKey     = "kwWATCHkeyR7t6Y5u4I3o2P1a0S9d8F7g6H5"
	watchSecret  = "kwWATCHsecretZ1x2C3v4B5n6M7q8W9e0R1t2"
	watchHookKey = "kwWATCHhookSigningKey-4f3e2d1c0b9a"
)

func TestWatchScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/watch"))
}

func TestMetricsListenAddr(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "off": "", "9849": "127.0.0.1:9849", ":9849": "127.0.0.1:9849",
		"127.0.0.1:0": "127.0.0.1:0", "0.0.0.0:9849": "0.0.0.0:9849", "[::1]:9849": "[::1]:9849", "10.8.0.5:9849": "10.8.0.5:9849",
	} {
		got, err := metricsListenAddr(in)
		if err != nil || got != want {
			t.Errorf("metricsListenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := metricsListenAddr("localhost:"); err == nil {
		t.Error("an address without a port was accepted")
	}
}

// recorder is a loopback notifier receiver that keeps what it was sent.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
	got  chan recorded
}

type recorded struct {
	path   string
	header http.Header
	body   []byte
}

func newRecorder(t *testing.T) *recorder {
	rc := &recorder{got: make(chan recorded, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := recorded{r.URL.Path, r.Header.Clone(), b}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, req)
		rc.mu.Unlock()
		rc.got <- req
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(rc.Close)
	return rc
}

// waitUntil polls cond until it holds, failing the test after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no %s within %s", what, limit)
		}
	}
}

// await returns the first request for which ok is true.
func (rc *recorder) await(t *testing.T, what string, ok func(recorded) bool) recorded {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case r := <-rc.got:
			if ok(r) {
				return r
			}
		case <-deadline:
			t.Fatalf("receiver %s: never got %s", rc.URL, what)
		}
	}
}

// lockedBuffer collects a child's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// watchWorld is a home directory with a file vault whose passphrase comes
// from $CREDENTIALS_DIRECTORY (as systemd's LoadCredential= provides it), a
// profile whose key and a webhook signing key were stored with `keywarden
// import`, and the profile's audit log.
type watchWorld struct {
	dir, config, auditLog string
	env                   []string
	// wrap, when set, runs watch under it (wrap... keywarden watch ARGS)
	// in the directory cwd.
	wrap []string
	cwd  string
}

func newWatchWorld(t *testing.T, alerts string) *watchWorld {
	t.Helper()
	dir := t.TempDir()
	w := &watchWorld{dir: dir, config: filepath.Join(dir, "config.toml"), auditLog: filepath.Join(dir, "bot", "api_audit.log")}
	creds := filepath.Join(dir, "creds")
	for _, d := range []string{creds, filepath.Join(dir, "bot")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(creds, "keywarden-passphrase"): "watch-test-vault-passphrase\n",
		w.config:                       fmt.Sprintf("keystore = \"file\"\nvault = %q\n%s", filepath.Join(dir, "vault.age"), alerts),
		filepath.Join(dir, "bot.env"):  "BINANCE_API_KEY=" + watchKey + "\nBINANCE_API_SECRET=" + watchSecret + "\n",
		filepath.Join(dir, "hook.env"): "HOOK_KEY=webhook\nHOOK_SECRET=" + watchHookKey + "\n",
		w.auditLog:                     "",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w.env = append(os.Environ(),
		"HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"), "XDG_DATA_HOME="+filepath.Join(dir, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(dir, ".cache"), "XDG_STATE_HOME="+filepath.Join(dir, ".local", "state"), "CREDENTIALS_DIRECTORY="+creds,
		"KEYWARDEN_CONFIG="+w.config, "KEYWARDEN_KEYSTORE=", "DBUS_SESSION_BUS_ADDRESS=", "NOTIFY_SOCKET=")
	w.run(t, "import", "binance-main", "--exchange", "binance", "--shred", filepath.Join(dir, "bot.env"))
	w.run(t, "import", "alert-hook", "--exchange", "binance", "--key-var", "HOOK_KEY", "--secret-var", "HOOK_SECRET", "--shred", filepath.Join(dir, "hook.env"))
	// Give the imported profile its audit log.
	cfg, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	block := "name = \"binance-main\"\nexchange = \"binance\"\n"
	if !bytes.Contains(cfg, []byte(block)) {
		t.Fatalf("import wrote an unexpected profile block:\n%s", cfg)
	}
	cfg = bytes.Replace(cfg, []byte(block), []byte(block+fmt.Sprintf("audit_log = %q\n", w.auditLog)), 1)
	if err := os.WriteFile(w.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// run runs keywarden to completion.
func (w *watchWorld) run(t *testing.T, args ...string) {
	t.Helper()
	c := exec.Command(testutil.LookPath(t, "keywarden"), args...)
	c.Env = w.env
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("keywarden %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// watchProc is a running `keywarden watch`.
type watchProc struct {
	cmd     *exec.Cmd
	stderr  *lockedBuffer
	metrics string // http://127.0.0.1:PORT/metrics
	exited  chan error
}

var metricsLine = regexp.MustCompile(`"msg":"serving metrics","addr":"([^"]+)"`)

// start runs `keywarden watch` with JSON logs and waits until it serves
// metrics.
func (w *watchWorld) start(t *testing.T, args ...string) *watchProc {
	t.Helper()
	args = append([]string{"watch", "--metrics-addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	argv := append(append(append([]string(nil), w.wrap...), testutil.LookPath(t, "keywarden")), args...)
	c := exec.Command(argv[0], argv[1:]...)
	c.Env, c.Dir = w.env, w.cwd
	p := &watchProc{cmd: c, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	pr, pw := io.Pipe()
	c.Stderr = pw
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			_, _ = p.stderr.Write([]byte(line + "\n"))
			if m := metricsLine.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
	}()
	go func() { p.exited <- c.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if c.ProcessState == nil {
			_ = c.Process.Kill()
		}
	})
	select {
	case p.metrics = <-found:
	case err := <-p.exited:
		t.Fatalf("watch exited at start: %v\n%s", err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("watch never served metrics:\n%s", p.stderr.String())
	}
	return p
}

// stop sends SIGTERM and returns the exit code.
func (p *watchProc) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(60 * time.Second):
		t.Fatalf("watch did not stop on SIGTERM:\n%s", p.stderr.String())
	}
	return -1
}

// scrapeMetrics scrapes /metrics and parses it with the Prometheus text
// parser.
func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// scrapeGauge scrapes /metrics and returns the value of name{labels}.
func scrapeGauge(t *testing.T, url, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	fams := scrapeMetrics(t, url)
	f := fams[name]
	if f == nil {
		return 0, false
	}
series:
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
				continue series
			}
		}
		return value(m), true
	}
	return 0, false
}

func value(m *dto.Metric) float64 {
	return m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
}

// TestWatchEndToEnd runs the real binary: a secret written into the bot's
// audit log reaches a signed webhook and an ntfy topic within seconds, the
// metrics say crit, and SIGTERM ends it with exit 0 — with no secret in any
// alert or log line.
func TestWatchEndToEnd(t *testing.T) {
	hook, ntfy := newRecorder(t), newRecorder(t)
	w := newWatchWorld(t, fmt.Sprintf(`
[[alert]]
type = "webhook"
url = "%s/kw"
token = "alert-hook"

[[alert]]
type = "ntfy"
url = "%s/kw-alerts"
min_status = "crit"
`, hook.URL, ntfy.URL))
	// Type=notify: a datagram socket where systemd would listen.
	sock := filepath.Join(w.dir, "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	w.env = append(w.env, "NOTIFY_SOCKET="+sock)
	p := w.start(t, "--offline", "--interval", "1s")
	readNotify := func() string {
		_ = notify.SetReadDeadline(time.Now().Add(60 * time.Second))
		buf := make([]byte, 256)
		n, err := notify.Read(buf)
		if err != nil {
			t.Fatalf("no sd_notify message: %v", err)
		}
		return string(buf[:n])
	}
	if got := readNotify(); got != "READY=1" {
		t.Fatalf("sd_notify %q, want READY=1", got)
	}

	// Wait for the first run, then the bot leaks its secret into its log.
	waitUntil(t, 60*time.Second, "watch's first run", func() bool {
		v, ok := scrapeGauge(t, p.metrics, "keywarden_watch_runs_total", nil)
		return ok && v > 0
	})
	f, err := os.OpenFile(w.auditLog, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err = fmt.Fprintf(f, "2026-11-25 16:04:12,001 | INFO | API CALL: get_account | kwargs={'secret': '%s'}\n", watchSecret); err != nil {
		t.Fatal(err)
	}

	isLeak := func(r recorded) bool {
		return bytes.Contains(r.body, []byte(`"check":"auditlog"`)) || bytes.Contains(r.body, []byte("auditlog binance-main"))
	}
	got := hook.await(t, "the auditlog alert", isLeak)
	sig := got.header.Get("X-Keywarden-Signature")
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	mac := hmac.New(sha256.New, []byte(watchHookKey))
	mac.Write([]byte(ts + "."))
	mac.Write(got.body)
	if sig != "t="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("webhook signature %q does not verify with the stored key", sig)
	}
	var payload map[string]any
	if err := json.Unmarshal(got.body, &payload); err != nil {
		t.Fatal(err)
	}
	if payload["kind"] != "firing" || payload["new_status"] != "crit" || payload["profile"] != "binance-main" || payload["host"] == "" {
		t.Fatalf("webhook payload %v", payload)
	}
	nt := ntfy.await(t, "the auditlog alert", isLeak)
	var msg map[string]any
	if err := json.Unmarshal(nt.body, &msg); err != nil || msg["topic"] != "kw-alerts" || msg["priority"] != 5.0 {
		t.Fatalf("ntfy body %s (%v)", nt.body, err)
	}
	waitUntil(t, 60*time.Second, "keywarden_check_status{auditlog} = 2", func() bool {
		v, ok := scrapeGauge(t, p.metrics, "keywarden_check_status", map[string]string{"check": "auditlog", "profile": "binance-main"})
		return ok && v == 2
	})
	// The counter moves once the answer is read, just after the request
	// arrived.
	waitUntil(t, 60*time.Second, "alerts_sent_total{ntfy,firing} >= 1", func() bool {
		v, _ := scrapeGauge(t, p.metrics, "keywarden_alerts_sent_total", map[string]string{"notifier": "ntfy", "kind": "firing"})
		return v >= 1
	})
	// The profile holding the webhook key is not checked as an exchange key.
	if _, ok := scrapeGauge(t, p.metrics, "keywarden_check_status", map[string]string{"profile": "alert-hook"}); ok {
		t.Fatal("the notifier token's profile is being checked")
	}

	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0\n%s", code, p.stderr.String())
	}
	if got := readNotify(); got != "STOPPING=1" {
		t.Fatalf("sd_notify %q, want STOPPING=1", got)
	}
	logs := p.stderr.String()
	if !strings.Contains(logs, `"msg":"stopped"`) || !strings.Contains(logs, `"msg":"alert sent"`) {
		t.Fatalf("logs:\n%s", logs)
	}
	hook.mu.Lock()
	ntfy.mu.Lock()
	all := append(append([]recorded(nil), hook.reqs...), ntfy.reqs...)
	hook.mu.Unlock()
	ntfy.mu.Unlock()
	for _, s := range []string{watchKey, watchSecret, watchHookKey} {
		for _, enc := range encodings(s) {
			if strings.Contains(logs, enc) {
				t.Errorf("a secret is in the logs")
			}
			for _, r := range all {
				if bytes.Contains(r.body, []byte(enc)) {
					t.Errorf("a secret is in an alert: %s", r.body)
				}
			}
		}
	}
}

// TestWatchRealPrometheusScrape lets a real Prometheus scrape watch and
// load the example alert rules from contrib/.
func TestWatchRealPrometheusScrape(t *testing.T) {
	prom := testutil.LookPath(t, "prometheus")
	w := newWatchWorld(t, "")
	p := w.start(t, "--offline", "--interval", "1s")
	target := strings.TrimSuffix(strings.TrimPrefix(p.metrics, "http://"), "/metrics")

	dir := t.TempDir()
	rules, err := os.ReadFile("../contrib/prometheus/keywarden.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [%q]\nscrape_configs:\n  - job_name: keywarden\n    static_configs:\n      - targets: [%q]\n",
		filepath.Join(dir, "keywarden.rules.yml"), target)
	for name, data := range map[string][]byte{"prometheus.yml": []byte(conf), "keywarden.rules.yml": rules} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	web := ln.Addr().String()
	ln.Close()
	var promLog lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exec.CommandContext(ctx, prom, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+web)
	c.Stdout, c.Stderr = &promLog, &promLog
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = c.Wait() }()

	query := func(path string) map[string]any {
		resp, err := http.Get("http://" + web + path)
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return v
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		v := query(`/api/v1/query?query=keywarden_check_status%7Bcheck%3D%22keystore%22%7D`)
		if d, ok := v["data"].(map[string]any); ok {
			if res, ok := d["result"].([]any); ok && len(res) == 1 {
				val := res[0].(map[string]any)["value"].([]any)[1]
				if val != "0" {
					t.Fatalf("keystore status as Prometheus stored it: %v", val)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never stored a keywarden sample\nprometheus:\n%s\nwatch:\n%s", promLog.String(), p.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	groups := query("/api/v1/rules")["data"].(map[string]any)["groups"].([]any)
	if len(groups) != 1 {
		t.Fatalf("rule groups: %v", groups)
	}
	for _, r := range groups[0].(map[string]any)["rules"].([]any) {
		rule := r.(map[string]any)
		if rule["health"] == "err" {
			t.Errorf("rule %v: %v", rule["name"], rule["lastError"])
		}
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestContribSystemdUnitsVerify runs systemd-analyze verify on the units in
// contrib/systemd, with the binary path pointed at a real file.
func TestContribSystemdUnitsVerify(t *testing.T) {
	sa := testutil.LookPath(t, "systemd-analyze")
	bin := testutil.LookPath(t, "keywarden")
	dir := t.TempDir()
	for _, name := range []string{"keywarden-watch.service", "mybot.service"} {
		data, err := os.ReadFile(filepath.Join("../contrib/systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		unit := filepath.Join(dir, name)
		if err := os.WriteFile(unit, bytes.ReplaceAll(data, []byte("/usr/local/bin/keywarden"), []byte(bin)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sa, "verify", unit).CombinedOutput()
		// verify reports unknown or invalid settings as warnings with
		// exit 0: any output is a finding.
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", name, err, out)
		}
	}
}

// TestContribPrometheusRules checks the example rules with promtool and
// runs their unit tests (contrib/prometheus/keywarden.rules.test.yml).
func TestContribPrometheusRules(t *testing.T) {
	promtool := testutil.LookPath(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", "keywarden.rules.yml"},
		{"check", "config", "prometheus.yml"},
		{"test", "rules", "keywarden.rules.test.yml"},
	} {
		c := exec.Command(promtool, args...)
		c.Dir = "../contrib/prometheus"
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestNotifierTokenStoredWithSecretTool follows docs/watch.md: a token
// written into the real Secret Service with secret-tool is what watch reads.
func TestNotifierTokenStoredWithSecretTool(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		testutil.MissingReal(t, "no D-Bus session bus with gnome-keyring (DBUS_SESSION_BUS_ADDRESS unset)")
	}
	secretTool := testutil.LookPath(t, "secret-tool")
	const item, token = "kwtest-watch-token", "xoxb-kwWATCHslackToken-0a9b8c7d"
	clear := func() { _ = exec.Command(secretTool, "clear", "service", keystore.Service, "username", item).Run() }
	clear()
	t.Cleanup(clear)
	c := exec.Command("sh", "-c", `printf '{"api_key":"slack","api_secret":"%s"}' "$TOKEN" | "$ST" store --label='keywarden `+item+`' service keywarden username `+item)
	c.Env = append(os.Environ(), "TOKEN="+token, "ST="+secretTool)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v\n%s", err, out)
	}
	ctx := context.Background()
	store, err := keystore.Open(ctx, keystore.Options{Backend: keystore.BackendKeyring})
	if err != nil {
		t.Fatal(err)
	}
	got, err := alert.Token(ctx, store, item)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reveal() != token {
		t.Fatal("the token read back differs from the one stored")
	}
}

// watch's help lists the notifier types from their registry, so a new type
// cannot be missing from it.
func TestWatchHelpListsEveryNotifierType(t *testing.T) {
	long := newWatchCmd(&App{}).Long
	for _, n := range alerttype.Names() {
		if !strings.Contains(long, n) {
			t.Errorf("watch --help does not name notifier type %q", n)
		}
	}
}
