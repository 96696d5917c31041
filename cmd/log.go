package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/internal/regularfile"
	"github.com/keywarden/keywarden/keystore"
)

// logOptions are the flags of `log`.
type logOptions struct {
	lines  int
	follow bool
	json   bool
}

func newLogCmd(app *App) *cobra.Command {
	var o logOptions
	c := &cobra.Command{
		Use:   "log [NAME|FILE] [-n N] [-f] [--json]",
		Short: "Show a bot's audit log, parsed, classified and redacted",
		Long: `Show the last lines of a bot's audit log (the profile's audit_log, or FILE),
parsed and classified: each error gets a cause tag (clock, ip, permission,
signature, key, ambiguous-auth, rate-limit, network, timeout, server, other).
Any stored secret (raw, base64 or URL-encoded) is replaced by [REDACTED]
before a line is shown, and the line is tagged.

Without NAME or FILE the only profile with an audit_log is used. FILE that is
no profile's audit_log is redacted with every stored key.

Lines are read backwards from the end: -n costs the same on any file size.
-f follows the file across rotation (rename, copy-truncate, re-creation).
--json prints one object per line:
  {"time","level","message","cause","code","http_status","redacted","source",...}

Exit codes: 0 ok, 3 the log could not be read, 64 usage error.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(c *cobra.Command, args []string) error {
			if o.lines < 0 {
				return usageError("-n must be 0 or more")
			}
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			return runLog(c.Context(), app, o, arg)
		},
	}
	f := c.Flags()
	f.IntVarP(&o.lines, "lines", "n", 20, "how many lines from the end")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep printing new lines (Ctrl-C to stop)")
	f.BoolVar(&o.json, "json", false, "print one JSON object per line")
	return c
}

// logTarget is the file `log` reads and what is known about it.
type logTarget struct {
	path    string
	profile *config.Profile // nil for a FILE no profile names
}

func runLog(ctx context.Context, app *App, o logOptions, arg string) error {
	cfg, cfgErr := app.LoadConfig()
	target, err := resolveLogTarget(cfg, cfgErr, arg)
	if err != nil {
		return err
	}
	if cfgErr != nil {
		fmt.Fprintf(app.Stderr, "keywarden: %v\nkeywarden: stored secrets unknown without the config: lines are shown unredacted\n", cfgErr)
	}
	parser := &auditlog.Parser{}
	if target.profile != nil {
		parser.Exchange = target.profile.Exchange
	}
	if cfg != nil && len(cfg.Profiles) > 0 {
		secrets, err := logSecrets(ctx, app, cfg)
		switch {
		case err != nil && len(secrets) == 0:
			fmt.Fprintf(app.Stderr, "keywarden: stored secrets unavailable (%v): lines are shown unredacted\n", err)
		case err != nil:
			fmt.Fprintf(app.Stderr, "keywarden: some stored secrets unavailable (%v): lines are redacted of the others only\n", err)
		}
		if len(secrets) > 0 {
			parser.Redactor = auditlog.NewRedactor(secrets)
		}
	}
	out := bufio.NewWriterSize(app.Stdout, 64<<10)
	defer out.Flush()
	pr := &logPrinter{w: out, json: o.json, color: app.colorOut()}
	if o.follow {
		return followLog(ctx, app, target.path, o.lines, parser, pr, out)
	}
	lines, err := auditlog.Tail(target.path, o.lines)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("audit log %s does not exist: check audit_log in the config, or start the bot (use -f to wait for it)", target.path)}
		}
		if errors.Is(err, regularfile.ErrNotRegular) {
			return &ExitError{Code: ExitUnknown, Err: err}
		}
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("%w: check the file's permissions", err)}
	}
	for _, l := range lines {
		pr.print(parser.Parse(l))
	}
	return nil
}

// followLog prints the last n lines and then every new one until ctx ends.
func followLog(ctx context.Context, app *App, path string, n int, parser *auditlog.Parser, pr *logPrinter, out *bufio.Writer) error {
	fl, err := auditlog.Follow(ctx, path, auditlog.FollowOptions{Backlog: n})
	if err != nil {
		return err
	}
	defer fl.Close()
	var lastErr string
	if err := fl.Err(); err != nil {
		lastErr = err.Error()
		fmt.Fprintf(app.Stderr, "keywarden: %v\n", err)
	}
	for line := range fl.Lines() {
		pr.print(parser.Parse(line))
		if len(fl.Lines()) == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
			if err := fl.Err(); err != nil && err.Error() != lastErr {
				lastErr = err.Error()
				fmt.Fprintf(app.Stderr, "keywarden: %v\n", err)
			}
		}
	}
	return nil
}

// resolveLogTarget picks the file: a profile name, a file path, or the only
// profile with an audit_log.
func resolveLogTarget(cfg *config.Config, cfgErr error, arg string) (logTarget, error) {
	if arg == "" {
		if cfgErr != nil {
			return logTarget{}, cfgErr
		}
		var with []config.Profile
		for _, p := range cfg.Profiles {
			if p.AuditLog != "" {
				with = append(with, p)
			}
		}
		switch len(with) {
		case 0:
			return logTarget{}, usageError("no profile has an audit_log: pass a FILE, or set audit_log in a profile")
		case 1:
			return logTarget{path: with[0].AuditLog, profile: &with[0]}, nil
		}
		names := make([]string, len(with))
		for i, p := range with {
			names[i] = p.Name
		}
		return logTarget{}, usageError("several profiles have an audit log (%s): name one", strings.Join(names, ", "))
	}
	if cfg != nil {
		if p, ok := cfg.Profile(arg); ok {
			if p.AuditLog == "" {
				return logTarget{}, usageError("profile %s has no audit_log: set it in the config, or pass the FILE", arg)
			}
			return logTarget{path: p.AuditLog, profile: &p}, nil
		}
	}
	if _, err := os.Stat(arg); err != nil && !strings.ContainsRune(arg, filepath.Separator) {
		return logTarget{}, usageError("%q is neither a profile nor a file: run 'keywarden list' to see the profiles", arg)
	}
	t := logTarget{path: arg}
	if cfg != nil {
		abs, _ := filepath.Abs(arg)
		for i, p := range cfg.Profiles {
			if pa, err := filepath.Abs(p.AuditLog); err == nil && p.AuditLog != "" && pa == abs {
				t.profile = &cfg.Profiles[i]
				break
			}
		}
	}
	return t, nil
}

// logSecrets returns the secrets to redact: every stored value of every
// item, current and retired, whichever profile's log this is (a log may be
// shared, and a bot may log another bot's key). Items that cannot be read
// are skipped and named in the error; the values read are still returned.
func logSecrets(ctx context.Context, app *App, cfg *config.Config) ([]keystore.Secret, error) {
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return everyStoredSecret(ctx, store, cfg)
}

// everyStoredSecret reads the values of every item in store, and of every
// profile in cfg in case the store cannot list its items. It returns what it
// could read, and the first error (for an item that exists but cannot be
// read).
func everyStoredSecret(ctx context.Context, store keystore.Store, cfg *config.Config) ([]keystore.Secret, error) {
	names, firstErr := store.List(ctx)
	for _, p := range cfg.Profiles {
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	var out []keystore.Secret
	for _, n := range names {
		it, err := store.Get(ctx, n)
		if errors.Is(err, keystore.ErrNotFound) {
			continue
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("reading stored key for %s: %w", n, err)
			}
			continue
		}
		out = append(out, it.Secrets()...)
	}
	return out, firstErr
}

// colorOut reports whether stdout gets colours: a terminal, and neither
// --no-color nor NO_COLOR.
func (a *App) colorOut() bool {
	if a.NoColor {
		return false
	}
	f, ok := a.Stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// logPrinter renders entries as coloured text or as JSON lines.
type logPrinter struct {
	w     *bufio.Writer
	json  bool
	color bool
	today string // "2006-01-02" of the first entry printed, for short times
}

// logJSON is one line of `log --json`; the first eight fields are the spec's.
type logJSON struct {
	Time       *string `json:"time"`
	Level      *string `json:"level"`
	Message    string  `json:"message"`
	Cause      *string `json:"cause"`
	Code       *string `json:"code"`
	HTTPStatus *int    `json:"http_status"`
	Redacted   bool    `json:"redacted"`
	Source     string  `json:"source"`
	Op         string  `json:"op,omitempty"`
	Method     string  `json:"method,omitempty"`
	Endpoint   string  `json:"endpoint,omitempty"`
	Exchange   string  `json:"exchange,omitempty"`
	DurationMS *int64  `json:"duration_ms,omitempty"`
}

const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiBold   = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiMag    = "\x1b[35m"
)

func (p *logPrinter) print(e auditlog.Entry) {
	if p.json {
		p.printJSON(e)
		return
	}
	if e.Time.IsZero() && e.Level == auditlog.LevelNone && e.Cause == "" && !e.Redacted {
		p.w.WriteString(e.Raw)
		p.w.WriteByte('\n')
		return
	}
	if !e.Time.IsZero() {
		t := e.Time.Local()
		day := t.Format("2006-01-02")
		if p.today == "" {
			p.today = day
		}
		if day == p.today {
			p.paint(ansiDim, t.Format("15:04:05"))
		} else {
			p.paint(ansiDim, t.Format("2006-01-02 15:04:05"))
		}
		p.w.WriteByte(' ')
	}
	lv := strings.ToUpper(string(e.Level))
	if lv == "" {
		lv = "-"
	}
	p.paint(levelColor(e.Level), fmt.Sprintf("%-5s", lv))
	p.w.WriteByte(' ')
	if e.Op != "" {
		p.w.WriteString(e.Op)
		p.w.WriteByte(' ')
	} else if (e.Method != "" || e.Endpoint != "") && !strings.Contains(e.Message, e.Endpoint) {
		p.w.WriteString(strings.TrimSpace(e.Method + " " + e.Endpoint))
		p.w.WriteByte(' ')
	}
	if e.Code != "" {
		p.paint(ansiCyan, e.Code)
		p.w.WriteByte(' ')
	} else if e.HTTPStatus >= 400 {
		p.paint(ansiCyan, fmt.Sprintf("HTTP %d", e.HTTPStatus))
		p.w.WriteByte(' ')
	}
	if e.Cause != "" {
		p.paint(ansiMag, "["+string(e.Cause)+"]")
		p.w.WriteByte(' ')
	}
	if e.Redacted {
		p.paint(ansiBold, "[secret redacted]")
		p.w.WriteByte(' ')
	}
	msg := e.Message
	if msg == "" {
		msg = e.Raw
	}
	if e.Op != "" { // "API CALL: place_order | args=..." after the op column
		if rest, ok := strings.CutPrefix(msg, "API CALL: "+e.Op); ok {
			msg = strings.TrimLeft(rest, " |")
		}
	}
	p.w.WriteString(msg)
	if e.Duration > 0 && e.Code == "" && e.Cause == "" && e.Source == auditlog.FormatJSON {
		fmt.Fprintf(p.w, " %s", e.Duration.Round(time.Millisecond))
	}
	p.w.WriteByte('\n')
}

func levelColor(l auditlog.Level) string {
	switch l {
	case auditlog.LevelFatal:
		return ansiBold
	case auditlog.LevelError:
		return ansiRed
	case auditlog.LevelWarn:
		return ansiYellow
	case auditlog.LevelDebug:
		return ansiDim
	}
	return ""
}

func (p *logPrinter) paint(color, s string) {
	if !p.color || color == "" {
		p.w.WriteString(s)
		return
	}
	p.w.WriteString(color)
	p.w.WriteString(s)
	p.w.WriteString(ansiReset)
}

func (p *logPrinter) printJSON(e auditlog.Entry) {
	j := logJSON{Message: e.Message, Redacted: e.Redacted, Source: string(e.Source),
		Op: e.Op, Method: e.Method, Endpoint: e.Endpoint, Exchange: e.Exchange}
	if j.Message == "" {
		j.Message = e.Raw
	}
	if !e.Time.IsZero() {
		s := e.Time.UTC().Format(time.RFC3339Nano)
		j.Time = &s
	}
	if e.Level != auditlog.LevelNone {
		s := string(e.Level)
		j.Level = &s
	}
	if e.Cause != "" {
		s := string(e.Cause)
		j.Cause = &s
	}
	if e.Code != "" {
		j.Code = &e.Code
	}
	if e.HTTPStatus != 0 {
		j.HTTPStatus = &e.HTTPStatus
	}
	if e.Duration > 0 {
		ms := e.Duration.Milliseconds()
		j.DurationMS = &ms
	}
	b, err := json.Marshal(j)
	if err != nil { // cannot happen: only strings and numbers
		return
	}
	p.w.Write(b)
	p.w.WriteByte('\n')
}
