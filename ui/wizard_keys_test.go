package ui

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// footerLine is the last line of the driver's screen: the step's keys.
func (d *driver) footerLine() string {
	lines := strings.Split(strings.TrimRight(d.screen(), " \n"), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func (d *driver) wantFooter(want string) {
	d.t.Helper()
	if got := d.footerLine(); got != want {
		d.t.Fatalf("footer = %q, want %q; screen:\n%s", got, want, d.screen())
	}
}

// The footer is generated from the key map: each step shows the bindings
// that act on it, saying what they do there.
func TestWizardFooterFromBindings(t *testing.T) {
	ww := newWizWorld(t, bybitKey(tradeOnly, wizEgress))
	d := drive(t, NewAddWizard(ww.opts()))
	d.wantFooter("↑/↓ choose • enter next • esc cancel")
	d.keys("down", "enter")
	d.wantFooter("↑/↓ choose • enter next • esc cancel")
	d.keys("up", "enter")
	d.wantFooter("enter next • esc cancel (nothing is written)")
	d.paste(ww.bybit.URL())
	d.keys("enter", "bybit-keys", "enter")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter")
	d.want("[x] read")
	d.wantFooter("↑/↓ move • space toggle • enter next • esc cancel")
	d.keys("enter", "enter", "enter")
	d.want("good to store")
	d.wantFooter("enter store • r check again • e other key • esc cancel (nothing is written)")
	d.keys("enter")
	d.want("Done")
	d.wantFooter("any key to exit")
}

// Keys are matched through the key map, so a rebinding changes what the
// wizard does and what its footer says alike.
func TestWizardKeyMapDrivesKeys(t *testing.T) {
	ww := newWizWorld(t)
	w := NewAddWizard(ww.opts())
	w.keys.Next = key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "next"))
	d := drive(t, w)
	d.wantFooter("↑/↓ choose • ctrl+n next • esc cancel")
	d.keys("enter")
	d.want("Exchange")
	d.send(tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl})
	d.want("Endpoint")
}
