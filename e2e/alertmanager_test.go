package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
)

// amNotification is what Alertmanager's webhook receiver posts (version 4).
type amNotification struct {
	Status string `json:"status"`
	Alerts []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

// TestAlertmanagerRoutesAlertsOfManyServers is the setup docs/watch.md
// describes for several servers, run for real: two `keywarden watch`
// processes (the binary TestMain built), Debian's Prometheus scraping both
// with the rules of contrib/prometheus (their `for:` shortened), and
// Debian's Alertmanager routing to a webhook receiver on loopback. One
// watch is stopped: KeywardenWatchDown for that server, and only that one,
// must arrive; it is started again: the alert must resolve.
func TestAlertmanagerRoutesAlertsOfManyServers(t *testing.T) {
	promBin := testutil.LookPath(t, "prometheus")
	amBin, err := exec.LookPath("prometheus-alertmanager") // Debian's name
	if err != nil {
		amBin = testutil.LookPath(t, "alertmanager")
	}
	promtool := testutil.LookPath(t, "promtool")
	dir := t.TempDir()
	deadline := time.Now().Add(2 * time.Minute) // a failure bound; it takes ~10 s

	// The rules as shipped must load; the test copy only waits less.
	rulesSrc, err := os.ReadFile(filepath.Join("..", "contrib", "prometheus", "keywarden.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", filepath.Join("..", "contrib", "prometheus", "keywarden.rules.yml")).CombinedOutput(); err != nil {
		t.Fatalf("contrib rules do not load: %v\n%s", err, out)
	}
	if amtool, err := exec.LookPath("amtool"); err == nil {
		if out, err := exec.Command(amtool, "check-config", filepath.Join("..", "contrib", "alertmanager", "alertmanager.yml")).CombinedOutput(); err != nil {
			t.Fatalf("contrib alertmanager.yml does not load: %v\n%s", err, out)
		}
	}
	rules := regexp.MustCompile(`(?m)^(\s+)for: \S+$`).ReplaceAll(rulesSrc, []byte("${1}for: 1s"))
	write(t, filepath.Join(dir, "keywarden.rules.yml"), rules)

	// The webhook receiver.
	var mu sync.Mutex
	var got []amNotification
	arrived := make(chan struct{}, 100)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var n amNotification
		if err := json.Unmarshal(b, &n); err != nil {
			t.Errorf("webhook body: %v\n%s", err, b)
		}
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
		arrived <- struct{}{}
	}))
	defer hook.Close()

	ports := freePorts(t, 4)
	amAddr, promAddr := ports[0], ports[1]
	watchAddr := []string{ports[2], ports[3]}

	write(t, filepath.Join(dir, "alertmanager.yml"), []byte(fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s/alerts
        send_resolved: true
`, hook.URL)))
	start(t, "alertmanager", amBin, "--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "am-data"), "--web.listen-address="+amAddr, "--cluster.listen-address=")

	write(t, filepath.Join(dir, "prometheus.yml"), []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [keywarden.rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["%s"]
scrape_configs:
  - job_name: keywarden
    static_configs:
      - targets: ["%s", "%s"]
`, amAddr, watchAddr[0], watchAddr[1])))
	start(t, "prometheus", promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "prom-data"), "--web.listen-address="+promAddr)

	watch := func(i int) *exec.Cmd {
		home := filepath.Join(dir, fmt.Sprintf("vps-%d", i+1))
		cfg := filepath.Join(home, "config.toml")
		if _, err := os.Stat(cfg); err != nil {
			if err := os.MkdirAll(home, 0o700); err != nil {
				t.Fatal(err)
			}
			write(t, cfg, []byte(`keystore = "file"
vault = "`+filepath.Join(home, "vault.age")+`"
[clock]
ntp_servers = ["127.0.0.1:9"]
`))
		}
		cmd := start(t, fmt.Sprintf("watch vps-%d", i+1), keywardenBin, "watch", "--offline", "--interval", "1s",
			"--metrics-addr", watchAddr[i], "--log-format", "json", "--config", cfg)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
			"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
			"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "KEYWARDEN_KEYSTORE=", "DBUS_SESSION_BUS_ADDRESS=", "NOTIFY_SOCKET=")
		return cmd
	}
	w1, w2 := watch(0), watch(1)
	for _, c := range []*exec.Cmd{w1, w2} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}

	// Prometheus scrapes both.
	waitFor(t, deadline, "Prometheus scraping both watch instances", func() bool {
		return query(promAddr, `count(up{job="keywarden"} == 1)`) == "2"
	})

	// vps-2's watch stops: its server is down.
	_ = w2.Process.Signal(syscall.SIGTERM)
	_ = w2.Wait()
	isDown := func(status string) func(amNotification) bool {
		return func(n amNotification) bool {
			for _, a := range n.Alerts {
				if a.Labels["alertname"] == "KeywardenWatchDown" && a.Status == status {
					if a.Labels["instance"] != watchAddr[1] || a.Labels["severity"] != "critical" {
						t.Errorf("KeywardenWatchDown for %q (%s), want %s", a.Labels["instance"], a.Labels["severity"], watchAddr[1])
					}
					return true
				}
			}
			return false
		}
	}
	seen := func(match func(amNotification) bool) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range got {
			if match(n) {
				return true
			}
		}
		return false
	}
	awaitNote := func(what string, match func(amNotification) bool) {
		t.Helper()
		for !seen(match) {
			select {
			case <-arrived:
			case <-time.After(time.Until(deadline)):
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("%s: not delivered by Alertmanager in time; got %+v", what, got)
			}
		}
	}
	awaitNote("KeywardenWatchDown firing", isDown("firing"))

	// It comes back on the same address: the alert resolves.
	w2 = watch(1)
	if err := w2.Start(); err != nil {
		t.Fatal(err)
	}
	awaitNote("KeywardenWatchDown resolved", isDown("resolved"))
	t.Logf("Alertmanager delivered the down alert and its resolve with %s to spare", time.Until(deadline).Round(time.Second))

	// vps-1 never went down: nothing fired for it.
	if seen(func(n amNotification) bool {
		for _, a := range n.Alerts {
			if a.Labels["alertname"] == "KeywardenWatchDown" && a.Labels["instance"] == watchAddr[0] {
				return true
			}
		}
		return false
	}) {
		t.Fatal("KeywardenWatchDown fired for the server that stayed up")
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// freePorts returns n loopback addresses free a moment ago.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// start prepares a process that is killed when the test ends and whose
// output is shown when it fails. Processes other than watch are started
// here; watch's caller sets its environment first.
func start(t *testing.T, name, bin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, lastBytes(out.Bytes(), 4000))
		}
	})
	if bin != keywardenBin {
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", name, err)
		}
	}
	return cmd
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// query runs an instant PromQL query and returns the first value, or "".
func query(addr, q string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/query?query="+url.QueryEscape(q), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) == 0 || len(r.Data.Result[0].Value) < 2 {
		return ""
	}
	v, _ := r.Data.Result[0].Value[1].(string)
	return v
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not by the deadline", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
