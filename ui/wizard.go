package ui

import (
	"context"
	"io"
	"net/http"
	"slices"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// WizardOptions configure the `add` and `rotate` wizards. The wizard itself
// writes nothing: Save (run in a tea.Cmd once the user confirmed) does.
type WizardOptions struct {
	// Config is the loaded configuration: IP sources for the egress
	// pre-fill, the default rotation age. Required.
	Config *config.Config
	// Taken are profile names already used in the config or the keystore.
	Taken []string
	// Backend says where the key will be stored, e.g. "keyring" or
	// "file /home/bot/.local/share/keywarden/vault.age".
	Backend string
	// HTTP is the client for exchange and IP-source calls; nil is the default.
	HTTP *http.Client
	// Save stores the key (and, for add, writes the profile). Required.
	Save func(ctx context.Context, p config.Profile, it keystore.Item) error
	// Profile and Current are the profile being rotated and its stored key
	// (rotate only).
	Profile config.Profile
	Current keystore.Item
	// Now is the clock for key ages and creation times; nil is time.Now.
	Now func() time.Time

	NoColor bool
	Input   io.Reader // nil: stdin
	Output  io.Writer // nil: stderr (stdout stays clean for scripts)
}

// WizardResult is what the wizard did.
type WizardResult struct {
	Saved    bool                // the key was stored (and, for add, the profile written)
	Profile  config.Profile      // the profile as written (add) or rotated
	Key      string              // the new key's fingerprint
	Accepted []checks.Risk       // risks the user accepted on the second screen
	OldKey   checks.OldKeyResult // rotate: what the exchange said about the old key
	Err      error               // Save failed (shown to the user, who then left)
}

type wizardMode int

const (
	modeAdd wizardMode = iota
	modeRotate
)

// wizStep is one screen of a wizard.
type wizStep int

const (
	stepIntro wizStep = iota // rotate: the current key
	stepExchange
	stepHost
	stepURL
	stepName
	stepKey
	stepSecret
	stepPassphrase
	stepNeeds
	stepWhitelist
	stepMaxAge
	stepValidating
	stepVerdict
	stepRisk
	stepSaving
	stepOldKey // rotate: testing / reporting the old key
	stepDone
)

// Messages of the wizard's commands. Each carries the generation of the
// request, so a late answer to a superseded request is dropped.
type (
	egressMsg  struct{ addrs []string }
	verdictMsg struct {
		gen int
		v   checks.Verdict
	}
	savedMsg struct {
		gen int
		err error
	}
	oldKeyMsg struct {
		gen int
		res checks.OldKeyResult
	}
)

// Wizard is the root model of `keywarden add` and `keywarden rotate`.
type Wizard struct {
	mode wizardMode
	opts WizardOptions
	ctx  context.Context
	st   Styles
	keys WizardKeyMap
	help help.Model
	w, h int

	step     wizStep
	exchange int                           // index into config.Exchanges
	host     int                           // index into hostChoices
	needs    uint64                        // bit i: config.Permissions[i] is needed
	cursor   int                           // list cursor (exchange, host, needs)
	inputs   [stepDone + 1]textinput.Model // by step; values, so a copied Wizard shares nothing
	accept   textinput.Model
	errText  string // why the current step cannot go on
	egress   []string

	gen       int
	verdict   checks.Verdict
	saveErr   error
	old       keystore.Item // rotate: the replaced key, kept until it was tested
	oldResult checks.OldKeyResult
	oldTested bool
	result    WizardResult
	cancelled bool
}

// NewAddWizard builds the `add` wizard. It does no I/O: the egress lookup
// starts in Init.
func NewAddWizard(opts WizardOptions) Wizard {
	w := newWizard(modeAdd, opts)
	w.step = stepExchange
	return w
}

// NewRotateWizard builds the `rotate` wizard for opts.Profile, whose stored
// key is opts.Current.
func NewRotateWizard(opts WizardOptions) Wizard {
	w := newWizard(modeRotate, opts)
	w.step = stepIntro
	w.old = opts.Current
	w.exchange = max(0, slices.Index(config.Exchanges, opts.Profile.Exchange))
	return w
}

func newWizard(mode wizardMode, opts WizardOptions) Wizard {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Config == nil {
		opts.Config = &config.Config{}
	}
	w := Wizard{mode: mode, opts: opts, ctx: context.Background(), st: NewStyles(true), keys: DefaultWizardKeyMap(),
		help: help.New(), w: 80, h: 24, needs: permBit("read") | permBit("trade")}
	w.help.Styles = w.st.Help
	mk := func(s wizStep, placeholder string, secret bool) {
		ti := newWizInput()
		ti.Prompt = "> "
		ti.Placeholder = placeholder
		ti.CharLimit = 4096
		if secret {
			ti.EchoMode = textinput.EchoPassword
			ti.EchoCharacter = '•'
		}
		ti.SetWidth(60)
		w.inputs[s] = ti
	}
	mk(stepURL, "https://api.example.com", false)
	mk(stepName, "e.g. binance-main", false)
	mk(stepKey, "paste the API key", true)
	mk(stepSecret, "paste the API secret", true)
	mk(stepPassphrase, "the passphrase set when the key was created", true)
	mk(stepWhitelist, "detecting this server's public IP…", false)
	mk(stepMaxAge, config.FormatDuration(w.rotationDefault()), false)
	w.accept = newWizInput()
	w.accept.Prompt = "> "
	w.accept.Placeholder = "type accept"
	w.accept.SetWidth(20)
	return w
}

// newWizInput is a text input with a steady cursor: no blink ticks to keep
// an idle SSH session busy.
func newWizInput() textinput.Model {
	ti := textinput.New()
	st := ti.Styles()
	st.Cursor.Blink = false
	ti.SetStyles(st)
	return ti
}

// WithContext sets the context the wizard's network calls and Save run
// under.
func (w Wizard) WithContext(ctx context.Context) Wizard { w.ctx = ctx; return w }

// Result is what the wizard did; Cancelled reports an Esc.
func (w Wizard) Result() WizardResult { return w.result }

// Cancelled reports whether the user left with Esc (nothing was written).
func (w Wizard) Cancelled() bool { return w.cancelled }

// Init asks for the background colour and, for add, looks up the egress IPs
// that pre-fill the whitelist.
func (w Wizard) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if w.mode == modeAdd {
		cmds = append(cmds, egressCmd(w.ctx, w.opts.Config, w.opts.HTTP))
	}
	return tea.Batch(cmds...)
}

// Update dispatches keys to the current step and results to their owner.
func (w Wizard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		w.w, w.h = msg.Width, msg.Height
		return w, nil
	case tea.BackgroundColorMsg:
		w.st = NewStyles(msg.IsDark())
		w.help.Styles = w.st.Help
		return w, nil
	case egressMsg:
		return w.onEgress(msg), nil
	case verdictMsg:
		return w.onVerdict(msg), nil
	case savedMsg:
		return w.onSaved(msg)
	case oldKeyMsg:
		return w.onOldKey(msg), nil
	case tea.KeyPressMsg:
		return w.onKey(msg)
	case tea.PasteMsg:
		return w.onInput(msg)
	}
	return w, nil
}

// current is the focused text input, or nil on a list or info screen.
func (w *Wizard) current() *textinput.Model {
	switch w.step {
	case stepRisk:
		return &w.accept
	case stepURL, stepName, stepKey, stepSecret, stepPassphrase, stepWhitelist, stepMaxAge:
		return &w.inputs[w.step]
	}
	return nil
}

func (w Wizard) onKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, w.keys.Cancel):
		return w.cancel()
	case key.Matches(k, w.keys.Next):
		return w.next()
	}
	switch w.step {
	case stepExchange, stepHost, stepNeeds:
		return w.onList(k), nil
	case stepVerdict:
		return w.onVerdictKey(k)
	case stepOldKey:
		if key.Matches(k, w.keys.Recheck) && w.oldTested && w.oldResult.State != checks.OldKeyRevoked {
			return w.testOld()
		}
		return w, nil
	case stepDone:
		return w, tea.Quit
	}
	return w.onInput(k)
}

// onInput hands a key or a paste to the focused text input.
func (w Wizard) onInput(msg tea.Msg) (tea.Model, tea.Cmd) {
	ti := w.current()
	if ti == nil {
		return w, nil
	}
	w.errText = ""
	v, cmd := ti.Update(msg)
	*ti = v
	return w, cmd
}

// cancel leaves without writing anything. Once Save is running, or done,
// Esc only leaves: what was written stays written and is reported.
func (w Wizard) cancel() (tea.Model, tea.Cmd) {
	if !w.result.Saved && w.step < stepSaving {
		w.cancelled = true
	}
	if w.step == stepSaving {
		return w, nil // wait for Save to finish; its outcome must be reported
	}
	w.dropOld()
	return w, tea.Quit
}

// permBit is a permission's bit in Wizard.needs.
func permBit(name string) uint64 { return 1 << uint(slices.Index(config.Permissions, name)) }

// dropOld forgets the replaced key.
func (w *Wizard) dropOld() { w.old = keystore.Item{} }

func (w Wizard) onList(k tea.KeyPressMsg) Wizard {
	n := len(w.listItems())
	switch {
	case key.Matches(k, w.keys.Up):
		w.cursor = (w.cursor + n - 1) % n
	case key.Matches(k, w.keys.Down):
		w.cursor = (w.cursor + 1) % n
	case key.Matches(k, w.keys.Toggle):
		if w.step == stepNeeds {
			w.needs ^= permBit(config.Permissions[w.cursor])
			w.errText = ""
		}
	}
	return w
}

func (w Wizard) onVerdictKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, w.keys.Recheck):
		return w.validate()
	case key.Matches(k, w.keys.OtherKey):
		return w.reenter(), nil
	}
	return w, nil
}

// reenter clears the credentials and goes back to the key step.
func (w Wizard) reenter() Wizard {
	for _, s := range []wizStep{stepKey, stepSecret, stepPassphrase} {
		w.inputs[s].SetValue("")
	}
	w.verdict = checks.Verdict{}
	return w.goTo(stepKey)
}

func (w Wizard) goTo(s wizStep) Wizard {
	for i := range w.inputs {
		w.inputs[i].Blur()
	}
	w.accept.Blur()
	w.step, w.cursor, w.errText = s, 0, ""
	switch s {
	case stepExchange:
		w.cursor = w.exchange
	case stepHost:
		w.cursor = w.host
	}
	if ti := w.current(); ti != nil {
		ti.Focus()
	}
	return w
}

func (w Wizard) onEgress(m egressMsg) Wizard {
	w.egress = m.addrs
	ti := &w.inputs[stepWhitelist]
	ti.Placeholder = "IPs or CIDRs, comma-separated"
	if ti.Value() == "" && len(m.addrs) > 0 {
		ti.SetValue(joinList(m.addrs))
	}
	return w
}

func (w Wizard) onVerdict(m verdictMsg) Wizard {
	if m.gen != w.gen || w.step != stepValidating {
		return w
	}
	w.verdict = m.v
	return w.goTo(stepVerdict)
}

func (w Wizard) onSaved(m savedMsg) (tea.Model, tea.Cmd) {
	if m.gen != w.gen {
		return w, nil
	}
	if m.err != nil {
		w.saveErr, w.result.Err = m.err, m.err
		return w.goTo(stepDone), nil
	}
	w.result.Saved = true
	if w.mode == modeRotate {
		return w.testOld()
	}
	return w.goTo(stepDone), nil
}

func (w Wizard) onOldKey(m oldKeyMsg) Wizard {
	if m.gen != w.gen {
		return w
	}
	w.oldTested = true
	w.oldResult = m.res
	w.result.OldKey = m.res
	if m.res.State == checks.OldKeyRevoked || m.res.State == checks.OldKeyRejected {
		w.dropOld()
	}
	return w
}

// testOld tests the replaced key against the exchange in a Cmd.
func (w Wizard) testOld() (tea.Model, tea.Cmd) {
	w = w.goTo(stepOldKey)
	w.gen++
	w.oldTested = false
	gen, ctx, p, old, hc := w.gen, w.ctx, w.opts.Profile, w.old, w.opts.HTTP
	return w, func() tea.Msg {
		return oldKeyMsg{gen: gen, res: checks.CheckOldKey(ctx, p, old, hc)}
	}
}

func egressCmd(ctx context.Context, cfg *config.Config, hc *http.Client) tea.Cmd {
	return func() tea.Msg {
		return egressMsg{addrs: detectEgress(ctx, cfg, hc)}
	}
}
