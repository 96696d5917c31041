package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

// next is Enter: check the current step's answer, then move on.
func (w Wizard) next() (tea.Model, tea.Cmd) {
	switch w.step {
	case stepIntro:
		return w.goTo(stepKey), nil
	case stepExchange:
		if w.cursor != w.exchange {
			w.host = 0
		}
		w.exchange = w.cursor
		return w.goTo(stepHost), nil
	case stepHost:
		w.host = w.cursor
		if w.host == len(hostChoices(w.exchangeName()))-1 {
			return w.goTo(stepURL), nil
		}
		return w.goTo(stepName), nil
	case stepURL:
		u := strings.TrimSpace(w.inputs[stepURL].Value())
		if _, err := exchange.New(w.exchangeName(), u, nil); err != nil || u == "" {
			w.errText = "give an absolute http(s) URL without credentials, query or fragment"
			return w, nil
		}
		return w.goTo(stepName), nil
	case stepName:
		return w.nextName()
	case stepKey, stepSecret, stepPassphrase:
		return w.nextCredential()
	case stepNeeds:
		if len(w.needList()) == 0 {
			w.errText = "choose at least one permission (space toggles)"
			return w, nil
		}
		return w.goTo(stepWhitelist), nil
	case stepWhitelist:
		if _, err := parseWhitelist(w.inputs[stepWhitelist].Value()); err != nil {
			w.errText = err.Error()
			return w, nil
		}
		return w.goTo(stepMaxAge), nil
	case stepMaxAge:
		if _, err := w.maxAge(); err != nil {
			w.errText = err.Error()
			return w, nil
		}
		return w.validate()
	case stepVerdict:
		switch {
		case w.verdict.Failed || len(w.verdict.Missing) > 0:
			return w.reenter(), nil
		case len(w.verdict.Risks) > 0:
			return w.goTo(stepRisk), nil
		}
		return w.save()
	case stepRisk:
		if strings.TrimSpace(strings.ToLower(w.accept.Value())) != "accept" {
			w.errText = "type accept to store the key anyway, or press esc to cancel"
			return w, nil
		}
		w.result.Accepted = slices.Clone(w.verdict.Risks)
		return w.save()
	case stepOldKey:
		if !w.oldTested {
			return w, nil
		}
		return w.goTo(stepDone), nil
	case stepDone:
		w.dropOld()
		return w, tea.Quit
	}
	return w, nil
}

func (w Wizard) nextName() (tea.Model, tea.Cmd) {
	name := strings.TrimSpace(w.inputs[stepName].Value())
	if err := config.CheckProfileName(name); err != nil {
		w.errText = err.Error()
		return w, nil
	}
	if slices.Contains(w.opts.Taken, name) {
		w.errText = fmt.Sprintf("profile %q already exists: pick another name, or use 'keywarden rotate %s' for a new key", name, name)
		return w, nil
	}
	return w.goTo(stepKey), nil
}

func (w Wizard) nextCredential() (tea.Model, tea.Cmd) {
	if secretValue(w.inputs[w.step].Value()) == "" {
		w.errText = "this cannot be empty: paste it (ctrl+shift+v or your terminal's paste)"
		return w, nil
	}
	ex := w.exchangeName()
	if w.mode == modeRotate && w.step == stepKey && keystore.NewSecret(secretValue(w.inputs[stepKey].Value())).Equal(w.opts.Current.APIKey) {
		w.errText = "that is the key already stored: create a new key on " + exchange.APIPage(ex)
		return w, nil
	}
	switch {
	case w.step == stepKey:
		return w.goTo(stepSecret), nil
	case w.step == stepSecret && config.NeedsPassphrase(ex):
		return w.goTo(stepPassphrase), nil
	case w.mode == modeRotate:
		return w.validate()
	}
	return w.goTo(stepNeeds), nil
}

// validate runs the live validation of the candidate key in a Cmd.
func (w Wizard) validate() (tea.Model, tea.Cmd) {
	w = w.goTo(stepValidating)
	w.gen++
	gen, ctx, cfg, p, it, hc := w.gen, w.ctx, w.opts.Config, w.profile(), w.item(), w.opts.HTTP
	return w, func() tea.Msg {
		return verdictMsg{gen: gen, v: checks.Validate(ctx, cfg, p, it, hc)}
	}
}

// save runs opts.Save in a Cmd.
func (w Wizard) save() (tea.Model, tea.Cmd) {
	w = w.goTo(stepSaving)
	w.gen++
	p, it := w.profile(), w.item()
	w.result.Profile, w.result.Key = p, keystore.Fingerprint(it.APIKey)
	gen, ctx, save := w.gen, w.ctx, w.opts.Save
	return w, func() tea.Msg {
		return savedMsg{gen: gen, err: save(ctx, p, it)}
	}
}

// profile is the profile being added (or the one being rotated).
func (w Wizard) profile() config.Profile {
	if w.mode == modeRotate {
		return w.opts.Profile
	}
	p := config.Profile{
		Name:     strings.TrimSpace(w.inputs[stepName].Value()),
		Exchange: w.exchangeName(),
		BaseURL:  w.baseURL(),
		Needs:    w.needList(),
	}
	p.Whitelist, _ = parseWhitelist(w.inputs[stepWhitelist].Value())
	if d, _ := w.maxAge(); d != w.rotationDefault() {
		p.MaxAge = d
	}
	return p
}

// item is the candidate key, created now.
func (w Wizard) item() keystore.Item {
	now := w.opts.Now().UTC().Truncate(time.Second)
	it := keystore.Item{
		APIKey:    keystore.NewSecret(secretValue(w.inputs[stepKey].Value())),
		APISecret: keystore.NewSecret(secretValue(w.inputs[stepSecret].Value())),
		CreatedAt: now,
		StoredAt:  now,
	}
	if config.NeedsPassphrase(w.exchangeName()) {
		it.Passphrase = keystore.NewSecret(secretValue(w.inputs[stepPassphrase].Value()))
	}
	return it
}

// secretValue trims what a paste brings along (spaces, a newline).
func secretValue(s string) string { return strings.TrimSpace(s) }

func (w Wizard) exchangeName() string { return config.Exchanges[w.exchange] }

func (w Wizard) baseURL() string {
	hs := hostChoices(w.exchangeName())
	if w.host == len(hs)-1 {
		return strings.TrimRight(strings.TrimSpace(w.inputs[stepURL].Value()), "/")
	}
	return hs[w.host].URL
}

func (w Wizard) needList() []string {
	var out []string
	for _, p := range config.Permissions {
		if w.needs&permBit(p) != 0 {
			out = append(out, p)
		}
	}
	return out
}

func (w Wizard) rotationDefault() time.Duration {
	if d := w.opts.Config.Rotation.MaxAge; d > 0 {
		return d
	}
	return 90 * 24 * time.Hour
}

func (w Wizard) maxAge() (time.Duration, error) {
	s := strings.TrimSpace(w.inputs[stepMaxAge].Value())
	if s == "" {
		return w.rotationDefault(), nil
	}
	d, err := config.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration: write it like 30d, 12w or 720h", s)
	}
	return d, nil
}

// listItems are the choices of a list step.
func (w Wizard) listItems() []string {
	switch w.step {
	case stepExchange:
		return config.Exchanges
	case stepHost:
		var out []string
		for _, h := range hostChoices(w.exchangeName()) {
			out = append(out, h.Label)
		}
		return out
	case stepNeeds:
		return config.Permissions
	}
	return nil
}

// parseWhitelist reads IPs and CIDRs separated by commas or spaces.
func parseWhitelist(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, a.String())
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.String())
			continue
		}
		return nil, fmt.Errorf("%q is not an IP address or CIDR (like 203.0.113.7 or 2001:db8::/64)", f)
	}
	return out, nil
}

func joinList(xs []string) string { return strings.Join(xs, ", ") }

// detectEgress asks the configured IP sources for this host's public
// addresses (the checks engine's lookup). Nothing found is an empty list:
// the user types the whitelist.
func detectEgress(ctx context.Context, cfg *config.Config, hc *http.Client) []string {
	env := checks.NewEnv(checks.Deps{Config: cfg, HTTP: hc, Timeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(ctx, env.Timeout())
	defer cancel()
	eg, err := env.PublicIP(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range eg.Addrs() {
		out = append(out, a.String())
	}
	return out
}
