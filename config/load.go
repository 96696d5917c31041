package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/keywarden/keywarden/alert/alerttype"
	"github.com/keywarden/keywarden/internal/regularfile"
	"github.com/keywarden/keywarden/internal/trustpath"
)

// Defaults applied to every field the file leaves out.
var (
	DefaultNTPServers = []string{"pool.ntp.org", "time.cloudflare.com", "time.google.com"}
	DefaultIPSources  = []string{"https://api.ipify.org", "https://icanhazip.com", "https://checkip.amazonaws.com"}
)

const (
	defaultWarnMS     = 250
	defaultCritMS     = 1000
	defaultMaxAge     = 90 * Day
	defaultWarnBefore = 14 * Day
)

// Statuses lists the status names usable in an alert's min_status.
var Statuses = []string{"ok", "warn", "crit", "unknown"}

// DefaultPath is $XDG_CONFIG_HOME/keywarden/config.toml (Go's
// os.UserConfigDir), or "config.toml" in the working directory when no home
// is known.
func DefaultPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "config.toml"
	}
	return filepath.Join(dir, "keywarden", "config.toml")
}

// DefaultVault is $XDG_DATA_HOME/keywarden/vault.age, falling back to
// ~/.local/share/keywarden/vault.age.
func DefaultVault() string {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "keywarden", "vault.age")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "vault.age"
	}
	return filepath.Join(home, ".local", "share", "keywarden", "vault.age")
}

// Default returns the configuration used when no file exists.
func Default() *Config {
	return &Config{
		Keystore: "auto",
		Vault:    DefaultVault(),
		Clock: Clock{
			NTPServers: slices.Clone(DefaultNTPServers),
			WarnMS:     defaultWarnMS,
			CritMS:     defaultCritMS,
		},
		IP:       IP{Sources: slices.Clone(DefaultIPSources)},
		Rotation: Rotation{MaxAge: defaultMaxAge, WarnBefore: defaultWarnBefore},
		Gate:     Gate{Unknown: "warn"},
	}
}

// Load reads the config at path ("" means DefaultPath). A missing default
// file gives the defaults; a missing explicit file is an error. A file that
// is group- or world-writable is refused. Errors name the file, the line and
// the field. Profiles come back with defaults filled in: MaxAge from
// [rotation], Env names EXCHANGE_API_KEY/SECRET/PASSPHRASE.
func Load(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		path = DefaultPath()
	}
	data, err := readLimited(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return Default(), nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config file %s does not exist: create it, or drop --config to use %s", path, DefaultPath())
		}
		if errors.Is(err, regularfile.ErrNotRegular) {
			return nil, err
		}
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if err := CheckWritable(path, "config file"); err != nil {
		return nil, err
	}
	cfg, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// CheckWritable refuses a file that users other than its owner could have
// written or swapped (internal/trustpath, OpenSSH's StrictModes rule): it and
// every directory above it must be owned by the user or root and not
// writable by group or others. Anyone who can edit the config could point
// keywarden's signed requests elsewhere. what names the file in the error
// ("config file"); the error says which path and the command that fixes it.
func CheckWritable(path, what string) error {
	return trustpath.Check(path, what)
}

// Parse decodes config text; path is used for error messages and ~ in paths.
func Parse(path string, data []byte) (*Config, error) {
	src := string(data)
	if err := checkShape(path, src); err != nil {
		return nil, err
	}
	var raw rawConfig
	md, err := toml.Decode(src, &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			field := ""
			if pe.LastKey != "" {
				field = fmt.Sprintf(" field %q:", keyLabel(strings.Split(pe.LastKey, ".")))
			}
			line := pe.Position.Line
			if st := pe.Position.Start; st > 0 && st <= len(src) {
				// The line holding the offending byte; for a missing
				// closing bracket that is the line it should close.
				line = 1 + strings.Count(src[:st], "\n")
			}
			return nil, fmt.Errorf("%s:%d:%s %s", path, line, field, hideValues(pe.Message))
		}
		if m := typeErrRE.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s: %s", path, m[1], keyLabel(strings.Split(m[2], ".")), hideValues(m[3]))
		}
		return nil, fmt.Errorf("%s: %s", path, hideValues(err.Error()))
	}
	loc := newLocator(src)
	if und := md.Undecoded(); len(und) > 0 {
		return nil, unknownField(path, loc, und[0])
	}
	cfg, err := raw.build(path, loc)
	if err != nil {
		return nil, err
	}
	cfg.Path = path
	return cfg, nil
}

// unknownField reports a key the config does not have. The key is text the
// user wrote, perhaps a secret pasted as a table name or dotted key, so it
// is quoted only as far as keyLabel allows; a hidden part gets the config
// name it is closest to, if any.
func unknownField(path string, loc *locator, k toml.Key) error {
	label := keyLabel(k)
	msg := fmt.Sprintf("unknown field %q", label)
	if strings.HasSuffix(label, "…") {
		if near := nearestField(k[strings.Count(label, ".")]); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
	}
	return loc.wrap(path, loc.lineOf(k), label, msg+": check the spelling (see README, section Config)")
}

// fieldNames are the names of every table and field of the config: the
// only parts of a key an error may print as written.
var fieldNames = tomlNames(reflect.TypeFor[rawConfig](), map[string]bool{})

func tomlNames(t reflect.Type, into map[string]bool) map[string]bool {
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return into
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if name := f.Tag.Get("toml"); name != "" {
			into[name] = true
		}
		tomlNames(f.Type, into)
	}
	return into
}

// nameLikeRE matches what may be printed of a key that is not a config
// name: the shape of every config name (lower-case letters and '_'), so a
// typo like "exchnage" or a field like "api_secret" is shown. Credentials
// are not of that shape: exchange keys, secrets and passphrases carry
// digits or capitals.
var nameLikeRE = regexp.MustCompile(`^[a-z][a-z_]{0,23}$`)

// keyLabel prints a key path for an error: its parts as written while they
// are config names or look like one, and "…" from the first that does not.
func keyLabel(parts []string) string {
	for i, p := range parts {
		if !fieldNames[p] && !nameLikeRE.MatchString(p) {
			return strings.Join(append(slices.Clone(parts[:i]), "…"), ".")
		}
	}
	return strings.Join(parts, ".")
}

// nearestField returns the config name within two edits of s (a typo like
// "exchnage"), or "".
func nearestField(s string) string {
	if len(s) > 40 {
		return ""
	}
	best, bestD := "", 3
	for n := range fieldNames {
		if d := editDistance(s, n); d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if bestD > 2 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// without removes the quoted value from the error of a checker that quotes
// its argument (%q): a value in the config may be a pasted secret.
func without(err error, v string) string {
	msg := strings.ReplaceAll(err.Error(), " "+strconv.Quote(v), "")
	return strings.ReplaceAll(msg, strconv.Quote(v), `"…"`)
}

// plainRemote reports whether raw, a valid URL, is http:// to a host that
// is not this machine: not localhost (or a name under .localhost) and not
// a loopback address. Names are not resolved.
func plainRemote(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err != nil || !ip.Unmap().IsLoopback()
}

// typeErrRE matches the decoder's type errors, which carry their line only
// in the text: toml: line 2 (last key "clock.warn_ms"): incompatible types...
var typeErrRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

type rawConfig struct {
	Keystore       *string      `toml:"keystore"`
	Vault          *string      `toml:"vault"`
	PassphraseFile *string      `toml:"passphrase_file"`
	Clock          rawClock     `toml:"clock"`
	IP             rawIP        `toml:"ip"`
	Rotation       rawRotation  `toml:"rotation"`
	Gate           rawGate      `toml:"gate"`
	Profile        []rawProfile `toml:"profile"`
	Alert          []rawAlert   `toml:"alert"`
}

type rawClock struct {
	NTPServers []string `toml:"ntp_servers"`
	WarnMS     *int     `toml:"warn_ms"`
	CritMS     *int     `toml:"crit_ms"`
}

type rawIP struct {
	Sources []string `toml:"sources"`
}

type rawRotation struct {
	MaxAge     string `toml:"max_age"`
	WarnBefore string `toml:"warn_before"`
}

type rawGate struct {
	Unknown *string `toml:"unknown"`
}

type rawProfile struct {
	Name      string      `toml:"name"`
	Exchange  string      `toml:"exchange"`
	BaseURL   string      `toml:"base_url"`
	Whitelist []string    `toml:"whitelist"`
	Needs     []string    `toml:"needs"`
	MaxAge    string      `toml:"max_age"`
	Created   any         `toml:"created"`
	AuditLog  string      `toml:"audit_log"`
	Project   string      `toml:"project"`
	Env       rawEnv      `toml:"env"`
	Insecure  bool        `toml:"insecure"`
	Activity  rawActivity `toml:"activity"`
}

type rawActivity struct {
	AllowWithdrawals bool     `toml:"allow_withdrawals"`
	Addresses        []string `toml:"addresses"`
	AllowManual      []string `toml:"allow_manual"`
}

type rawEnv struct {
	Key        string `toml:"key"`
	Secret     string `toml:"secret"`
	Passphrase string `toml:"passphrase"`
}

type rawAlert struct {
	Type          string `toml:"type"`
	URL           string `toml:"url"`
	ChatID        string `toml:"chat_id"`
	Token         string `toml:"token"`
	MinStatus     string `toml:"min_status"`
	Name          string `toml:"name"`
	Fallback      string `toml:"fallback"`
	FallbackAfter string `toml:"fallback_after"`
}

func (r *rawConfig) build(path string, loc *locator) (*Config, error) {
	cfg := Default()
	bad := func(key toml.Key, format string, a ...any) error { return loc.errorf(path, key, format, a...) }
	if r.Keystore != nil {
		switch *r.Keystore {
		case "auto", "keyring", "file":
			cfg.Keystore = *r.Keystore
		default:
			return nil, bad(toml.Key{"keystore"}, "keystore is not one of auto, keyring, file")
		}
	}
	if r.Vault != nil && *r.Vault != "" {
		cfg.Vault = ExpandPath(*r.Vault)
	}
	if r.PassphraseFile != nil && *r.PassphraseFile != "" {
		cfg.PassphraseFile = ExpandPath(*r.PassphraseFile)
	}
	if r.Clock.NTPServers != nil {
		cfg.Clock.NTPServers = r.Clock.NTPServers
	}
	if r.Clock.WarnMS != nil {
		cfg.Clock.WarnMS = *r.Clock.WarnMS
	}
	if r.Clock.CritMS != nil {
		cfg.Clock.CritMS = *r.Clock.CritMS
	}
	if cfg.Clock.WarnMS <= 0 || cfg.Clock.CritMS <= 0 || cfg.Clock.WarnMS > cfg.Clock.CritMS {
		return nil, bad(toml.Key{"clock", "warn_ms"}, "clock thresholds must be positive with warn_ms (%d) <= crit_ms (%d)", cfg.Clock.WarnMS, cfg.Clock.CritMS)
	}
	if r.IP.Sources != nil {
		cfg.IP.Sources = r.IP.Sources
	}
	for i, s := range cfg.IP.Sources {
		if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			return nil, bad(toml.Key{"ip", "sources"}, "ip source #%d is not an http(s) URL", i+1)
		}
	}
	var err error
	if r.Rotation.MaxAge != "" {
		if cfg.Rotation.MaxAge, err = ParseDuration(r.Rotation.MaxAge); err != nil {
			return nil, bad(toml.Key{"rotation", "max_age"}, "%s", without(err, r.Rotation.MaxAge))
		}
	}
	if r.Rotation.WarnBefore != "" {
		if cfg.Rotation.WarnBefore, err = ParseDuration(r.Rotation.WarnBefore); err != nil {
			return nil, bad(toml.Key{"rotation", "warn_before"}, "%s", without(err, r.Rotation.WarnBefore))
		}
	}
	if r.Gate.Unknown != nil {
		if !slices.Contains(GateUnknown, *r.Gate.Unknown) {
			return nil, bad(toml.Key{"gate", "unknown"}, "gate.unknown %q is not one of %s", *r.Gate.Unknown, strings.Join(GateUnknown, ", "))
		}
		cfg.Gate.Unknown = *r.Gate.Unknown
	}
	seen := map[string]int{}
	for i, rp := range r.Profile {
		p, err := rp.build(cfg, i, path, loc)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[p.Name]; dup {
			return nil, loc.errorfAt(path, "profile", i, "name", "duplicate profile %q (also profile #%d): profile names must be unique", p.Name, j+1)
		}
		seen[p.Name] = i
		cfg.Profiles = append(cfg.Profiles, p)
	}
	for i, ra := range r.Alert {
		a := Alert{Type: ra.Type, URL: ra.URL, ChatID: ra.ChatID, Token: ra.Token, MinStatus: ra.MinStatus, Name: ra.Name, Fallback: ra.Fallback, FallbackAfter: DefaultFallbackAfter}
		typ, ok := alerttype.Lookup(a.Type)
		if !ok {
			return nil, loc.errorfAt(path, "alert", i, "type", "alert type is not one of %s", strings.Join(alerttype.Names(), ", "))
		}
		if a.MinStatus == "" {
			a.MinStatus = "warn"
		}
		if !slices.Contains(Statuses, a.MinStatus) {
			return nil, loc.errorfAt(path, "alert", i, "min_status", "min_status is not one of %s", strings.Join(Statuses, ", "))
		}
		// The type's own rules, owned by alert; a url can be a credential,
		// so the message never quotes it.
		b := alerttype.Block{URL: a.URL, ChatID: a.ChatID, HasToken: a.Token != ""}
		if p := typ.Check(&b); p != nil {
			return nil, loc.errorfAt(path, "alert", i, p.Field, "%s", p.Msg)
		}
		a.URL = b.URL
		if ra.FallbackAfter != "" {
			if a.FallbackAfter, err = ParseDuration(ra.FallbackAfter); err != nil {
				return nil, loc.errorfAt(path, "alert", i, "fallback_after", "%s", without(err, ra.FallbackAfter))
			}
		}
		cfg.Alerts = append(cfg.Alerts, a)
	}
	if i, p := alerttype.CheckSet(NamedAlerts(cfg.Alerts)); p != nil {
		return nil, loc.errorfAt(path, "alert", i, p.Field, "%s", p.Msg)
	}
	return cfg, nil
}

func (rp rawProfile) build(cfg *Config, i int, path string, loc *locator) (Profile, error) {
	bad := func(field, format string, a ...any) error {
		return loc.errorfAt(path, "profile", i, field, format, a...)
	}
	p := Profile{
		Name: rp.Name, Exchange: rp.Exchange, BaseURL: rp.BaseURL,
		Whitelist: rp.Whitelist, Needs: rp.Needs,
		AuditLog: ExpandPath(rp.AuditLog), Project: ExpandPath(rp.Project),
		MaxAge: cfg.Rotation.MaxAge,
		Env:    Env{Key: DefaultEnvKey, Secret: DefaultEnvSecret, Passphrase: DefaultEnvPassphrase},
	}
	if p.Name == "" {
		return p, bad("name", "profile #%d has no name", i+1)
	}
	if !ValidProfileName(p.Name) {
		// CheckProfileName's text quotes the name and its lower-case form.
		hint := ""
		if ValidProfileName(strings.ToLower(p.Name)) {
			hint = " (write it in lower case)"
		}
		return p, bad("name", "invalid profile name: use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit%s", hint)
	}
	if p.Exchange == "" {
		return p, bad("exchange", "profile %q has no exchange: add exchange = one of %s", p.Name, strings.Join(Exchanges, ", "))
	}
	if err := CheckExchange(p.Exchange); err != nil {
		return p, bad("exchange", "%s", without(err, p.Exchange))
	}
	if p.BaseURL != "" && !strings.HasPrefix(p.BaseURL, "http://") && !strings.HasPrefix(p.BaseURL, "https://") {
		return p, bad("base_url", "base_url is not an http(s) URL")
	}
	if u, err := url.Parse(p.BaseURL); p.BaseURL != "" && (err != nil || u.Host == "") {
		return p, bad("base_url", "base_url is not a valid URL with a host")
	}
	if plainRemote(p.BaseURL) {
		if !rp.Insecure {
			return p, bad("base_url", "base_url is plain http:// to a host other than this machine: the API key and every signed request would cross the network readable and changeable\nfix: use https://, or add insecure = true to this profile if that is really wanted")
		}
		p.Insecure = true
		cfg.Warnings = append(cfg.Warnings, bad("base_url", "plain http:// to a host other than this machine, allowed by insecure = true: the API key and signed requests cross the network unencrypted").Error())
	}
	for i, w := range p.Whitelist {
		if _, err := netip.ParsePrefix(w); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(w); err != nil {
			return p, bad("whitelist", "whitelist entry #%d is neither an IP address nor a CIDR range", i+1)
		}
	}
	for i, n := range p.Needs {
		if !slices.Contains(Permissions, n) {
			return p, bad("needs", "permission #%d is not one of %s", i+1, strings.Join(Permissions, ", "))
		}
	}
	if rp.MaxAge != "" {
		d, err := ParseDuration(rp.MaxAge)
		if err != nil {
			return p, bad("max_age", "%s", without(err, rp.MaxAge))
		}
		p.MaxAge = d
	}
	switch c := rp.Created.(type) {
	case nil:
	case time.Time:
		p.Created = time.Date(c.Year(), c.Month(), c.Day(), c.Hour(), c.Minute(), c.Second(), 0, time.UTC)
	case string:
		t, err := time.Parse(time.DateOnly, c)
		if err != nil {
			return p, bad("created", "created is not a date like 2026-10-01")
		}
		p.Created = t
	default:
		return p, bad("created", "created must be a date like 2026-10-01")
	}
	for _, e := range []struct {
		field string
		v     string
		dst   *string
	}{{"key", rp.Env.Key, &p.Env.Key}, {"secret", rp.Env.Secret, &p.Env.Secret}, {"passphrase", rp.Env.Passphrase, &p.Env.Passphrase}} {
		if e.v == "" {
			continue
		}
		if err := checkEnvName(e.v); err != nil {
			return p, bad("env", "env.%s: %s", e.field, without(err, e.v))
		}
		*e.dst = e.v
	}
	// Addresses are never quoted back: the message names the entry by its
	// position only.
	for j, a := range rp.Activity.Addresses {
		switch {
		case a == "":
			return p, bad("activity", "activity.addresses entry #%d is empty", j+1)
		case len(a) > 256 || strings.ContainsFunc(a, unicode.IsSpace) || !utf8.ValidString(a):
			return p, bad("activity", "activity.addresses entry #%d is not an address (no spaces, at most 256 characters)", j+1)
		case slices.Contains(rp.Activity.Addresses[:j], a):
			return p, bad("activity", "activity.addresses entry #%d repeats an earlier one", j+1)
		}
	}
	for j, o := range rp.Activity.AllowManual {
		if o == "" || len(o) > 64 || strings.ContainsFunc(o, unicode.IsSpace) {
			return p, bad("activity", "activity.allow_manual entry #%d is not an origin name (no spaces, at most 64 characters)", j+1)
		}
	}
	p.Activity = Activity{AllowWithdrawals: rp.Activity.AllowWithdrawals, Addresses: rp.Activity.Addresses,
		AllowManual: rp.Activity.AllowManual}
	return p, nil
}

// ExpandPath expands a leading "~/" to the home directory.
func ExpandPath(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}
