package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// View draws the current step: a title line, the step's body and a footer
// with its keys, within the terminal (80×24 is enough).
func (w Wizard) View() tea.View {
	v := tea.NewView(w.render())
	v.AltScreen = true
	v.WindowTitle = "keywarden " + w.command()
	return v
}

func (w Wizard) command() string {
	if w.mode == modeRotate {
		return "rotate " + w.opts.Profile.Name
	}
	return "add"
}

func (w Wizard) render() string {
	width := max(40, min(w.w, 100))
	var b strings.Builder
	head := w.st.Brand.Render("keywarden "+w.command()) + "  " + w.st.Muted.Render(w.crumbs())
	b.WriteString(head + "\n\n")
	b.WriteString(w.st.Title.Render(w.title()) + "\n")
	body := w.body(width)
	if w.errText != "" {
		body += "\n" + w.st.ErrLine.Render(glyph(checks.Crit)+" "+w.errText)
	}
	b.WriteString(body)
	h := w.help
	h.SetWidth(width)
	b.WriteString("\n\n" + h.ShortHelpView(w.footerKeys()))
	return lipgloss.NewStyle().Width(width).Render(b.String())
}

// crumbs says what has been chosen so far (never a credential).
func (w Wizard) crumbs() string {
	if w.mode == modeRotate {
		return w.opts.Profile.Exchange
	}
	if w.step <= stepExchange {
		return ""
	}
	parts := []string{w.exchangeName()}
	if u := w.baseURL(); u != "" && w.step > stepURL {
		parts = append(parts, u)
	}
	if n := strings.TrimSpace(w.inputs[stepName].Value()); n != "" && w.step > stepName {
		parts = append(parts, n)
	}
	return strings.Join(parts, " · ")
}

func (w Wizard) title() string {
	ex := w.exchangeName()
	switch w.step {
	case stepIntro:
		return "Rotate the key of " + w.opts.Profile.Name
	case stepExchange:
		return "Exchange"
	case stepHost:
		return "Endpoint"
	case stepURL:
		return "Custom base URL"
	case stepName:
		return "Profile name"
	case stepKey:
		return "New API key (" + ex + ")"
	case stepSecret:
		return "API secret"
	case stepPassphrase:
		return "API passphrase"
	case stepNeeds:
		return "What does the bot need?"
	case stepWhitelist:
		return "IP whitelist"
	case stepMaxAge:
		return "Rotate the key after"
	case stepValidating:
		return "Checking the key with " + ex + "…"
	case stepVerdict:
		return "What " + ex + " says about the key"
	case stepRisk:
		return "This key is refused"
	case stepSaving:
		return "Storing…"
	case stepOldKey:
		return "The old key"
	case stepDone:
		if w.saveErr != nil {
			return "Not stored"
		}
		return "Done"
	}
	return ""
}

func (w Wizard) body(width int) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	muted := func(s string) { line(w.st.Muted.Render(s)) }
	switch w.step {
	case stepIntro:
		cur := w.opts.Current
		line("exchange     " + w.opts.Profile.Exchange)
		line("current key  " + keystore.Fingerprint(cur.APIKey))
		if !cur.CreatedAt.IsZero() {
			line("created      " + cur.CreatedAt.UTC().Format("2006-01-02") + " (" + ageText(w.opts.Now().Sub(cur.CreatedAt)) + " ago)")
		}
		line("")
		muted("Create the new key with the same permissions and IP whitelist on " + pageLines(w.opts.Profile.Exchange))
		muted("then paste it here. The old key stays stored until the new one has been")
		muted("checked with the exchange.")
	case stepExchange, stepHost, stepNeeds:
		for i, it := range w.listItems() {
			cur := "  "
			if i == w.cursor {
				cur = w.st.Brand.Render("> ")
			}
			if w.step == stepNeeds {
				box := "[ ]"
				if w.needs&permBit(it) != 0 {
					box = "[x]"
				}
				it = box + " " + it
			}
			line(cur + it)
		}
		if w.step == stepNeeds {
			muted("Least privilege: a bot that trades spot needs read and trade, nothing else.")
		}
	case stepURL, stepName, stepKey, stepSecret, stepPassphrase, stepWhitelist, stepMaxAge:
		line(w.inputs[w.step].View())
		w.inputHelp(muted)
	case stepValidating:
		muted("server time, key permissions and IP restriction, as the dashboard checks them")
	case stepVerdict:
		b.WriteString(w.verdictView(width))
	case stepRisk:
		for _, r := range w.verdict.Risks {
			line(w.st.Status[checks.Crit].Render(glyph(checks.Crit)+" ") + wrapText(r.Explain(), width-2))
		}
		line("")
		muted("Better: press esc, change the key on " + pageLines(w.exchangeName()))
		line("To store it anyway, type accept and press enter.")
		line(w.accept.View())
	case stepSaving:
		muted("storing in keystore " + w.opts.Backend)
	case stepOldKey:
		b.WriteString(w.oldKeyView(width))
	case stepDone:
		b.WriteString(w.doneView())
	}
	return strings.TrimRight(b.String(), "\n")
}

func (w Wizard) inputHelp(muted func(string)) {
	switch w.step {
	case stepURL:
		muted("The API base URL: a regional host, a proxy, or a local test server.")
	case stepName:
		muted("Lower-case letters, digits, '.', '_' or '-'. Used with `keywarden exec NAME`.")
	case stepKey:
		if v := secretValue(w.inputs[stepKey].Value()); v != "" {
			muted("key " + keystore.Fingerprint(keystore.NewSecret(v)))
		}
		muted("Masked; paste works. Create a key with only the permissions the bot needs.")
	case stepSecret, stepPassphrase:
		muted("Masked and never shown; it goes only to the keystore.")
	case stepWhitelist:
		if len(w.egress) > 0 {
			muted("This server leaves from " + joinList(w.egress) + ". Set the same list on the exchange.")
		} else {
			muted("The IPs the bot's requests come from (the key's whitelist on the exchange).")
		}
	case stepMaxAge:
		muted("Empty keeps the default (" + config.FormatDuration(w.rotationDefault()) + "). The dashboard warns before this age.")
	}
}

// verdictView shows the checks' results the way the dashboard's panes
// render them, with the hint under anything not ok.
func (w Wizard) verdictView(width int) string {
	var b strings.Builder
	for _, r := range w.verdict.Results {
		f := summaryLines
		if r.ID == "key.permissions" {
			f = permLines
		}
		// One profile: the label column names the dashboard pane instead.
		if id, ok := paneOf(r.ID); ok {
			r.Profile = fmt.Sprintf("%-11s", id.String()) // as wide as "Permissions"
		}
		for _, l := range f(w.st, []checks.Result{r}, w.opts.Now()) {
			b.WriteString(wrapText(l.text, width) + "\n")
		}
		if r.Status != checks.OK && r.Hint != "" {
			b.WriteString(w.st.Muted.Render(wrapText("  → "+r.Hint, width)) + "\n")
		}
	}
	b.WriteString("\n")
	crit := w.st.Status[checks.Crit]
	switch {
	case w.verdict.Failed:
		b.WriteString(crit.Render(wrapText("✗ "+checks.CauseText(w.verdict.Cause), width)) + "\n")
	case len(w.verdict.Missing) > 0:
		b.WriteString(crit.Render("✗ the key lacks "+strings.Join(w.verdict.Missing, ", ")+", which the bot needs") + "\n")
	case len(w.verdict.Risks) > 0:
		b.WriteString(crit.Render("✗ refused: "+riskNames(w.verdict.Risks)) + "\n")
	default:
		b.WriteString(w.st.Status[checks.OK].Render("✓ good to store in keystore "+w.opts.Backend) + "\n")
	}
	return b.String()
}

func (w Wizard) oldKeyView(width int) string {
	page := pageLines(w.opts.Profile.Exchange)
	if !w.oldTested {
		return w.st.Muted.Render("new key stored; asking " + w.opts.Profile.Exchange + " whether the old key " + keystore.Fingerprint(w.opts.Current.APIKey) + " still works…")
	}
	fp := keystore.Fingerprint(w.opts.Current.APIKey)
	switch w.oldResult.State {
	case checks.OldKeyValid:
		loud := w.st.Status[checks.Crit].Reverse(true)
		return loud.Render(" ✗ THE OLD KEY "+fp+" STILL WORKS: REVOKE IT NOW ") + "\n\n" +
			"Delete it now on " + page + "\n" +
			wrapText("Until then anyone holding the old secret can use it.", width) + "\n" +
			w.st.Muted.Render("press r to check again once revoked")
	case checks.OldKeyRevoked:
		return w.st.Status[checks.OK].Render("✓ old key "+fp+" revoked") + "\n" + w.st.Muted.Render("the exchange no longer knows it; its secret is dropped")
	case checks.OldKeyRejected:
		return w.st.Status[checks.OK].Render("✓ old key "+fp+" rejected: most likely revoked") + "\n" +
			w.st.Muted.Render(wrapText(w.opts.Profile.Exchange+" does not say whether a key is unknown or only blocked; confirm on", width)+" "+page)
	}
	return w.st.Status[checks.Unknown].Render("? could not test the old key "+fp) + "\n" +
		w.st.Muted.Render(wrapText(errText(w.oldResult.Err)+"; press r to try again, or make sure it is deleted on", width)+" "+page)
}

func (w Wizard) doneView() string {
	if w.saveErr != nil {
		return w.st.ErrLine.Render(glyph(checks.Crit) + " " + w.saveErr.Error())
	}
	p := w.result.Profile
	s := w.st.Status[checks.OK].Render("✓ stored "+p.Name+" (key "+w.result.Key+") in keystore "+w.opts.Backend) + "\n"
	if w.mode == modeAdd {
		s += "profile added to the config\n"
	}
	return s + "\nrun the bot with: keywarden exec " + p.Name + " -- CMD"
}

func riskNames(rs []checks.Risk) string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Name())
	}
	return strings.Join(out, " and ") + " (enter: what that means)"
}

func ageText(d time.Duration) string {
	days := int(d / config.Day)
	if days == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}

func errText(err error) string {
	if err == nil {
		return "no answer"
	}
	return err.Error()
}

// wrapText wraps s (which may carry colours) at width.
func wrapText(s string, width int) string { return ansi.Wrap(s, max(20, width), " ") }
