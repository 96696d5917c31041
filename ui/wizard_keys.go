package ui

import (
	"charm.land/bubbles/v2/key"

	"github.com/keywarden/keywarden/checks"
)

// WizardKeyMap holds every key the add and rotate wizards understand. It is
// the one source for their key handling and for the footer, which shows the
// bindings of the current step (wizardFooterKeys).
type WizardKeyMap struct {
	Up       key.Binding // lists; the footer shows Move for both
	Down     key.Binding
	Move     key.Binding // help only: how a list moves
	Toggle   key.Binding // the needs list
	Next     key.Binding // check the step's answer and go on
	Recheck  key.Binding // the verdict, the old key
	OtherKey key.Binding // the verdict: paste another key
	Cancel   key.Binding
}

// DefaultWizardKeyMap returns the wizards' keys.
func DefaultWizardKeyMap() WizardKeyMap {
	return WizardKeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k", "shift+tab")),
		Down:     key.NewBinding(key.WithKeys("down", "j", "tab")),
		Move:     key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "choose")),
		Toggle:   key.NewBinding(key.WithKeys("space", " ", "x"), key.WithHelp("space", "toggle")),
		Next:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Recheck:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check again")),
		OtherKey: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "other key")),
		Cancel:   key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "cancel (nothing is written)")),
	}
}

// says is b with the footer saying desc for it: what the key does on this
// step.
func says(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// footerKeys are the bindings the current step's footer shows, in order.
func (w Wizard) footerKeys() []key.Binding {
	k := w.keys
	switch w.step {
	case stepExchange, stepHost:
		return []key.Binding{k.Move, k.Next, says(k.Cancel, "cancel")}
	case stepNeeds:
		return []key.Binding{says(k.Move, "move"), k.Toggle, k.Next, says(k.Cancel, "cancel")}
	case stepVerdict:
		if w.verdict.Failed || len(w.verdict.Missing) > 0 {
			return []key.Binding{says(k.Next, "re-enter key"), k.Recheck, k.Cancel}
		}
		return []key.Binding{says(k.Next, "store"), k.Recheck, k.OtherKey, k.Cancel}
	case stepValidating:
		return []key.Binding{k.Cancel}
	case stepSaving:
		return nil // keys wait until Save has finished
	case stepOldKey:
		switch {
		case !w.oldTested:
			return nil
		case w.oldResult.State == checks.OldKeyRevoked:
			return []key.Binding{says(k.Next, "done")}
		}
		return []key.Binding{k.Recheck, says(k.Next, "done")}
	case stepDone:
		exit := k.Next
		exit.SetHelp("any key", "to exit")
		return []key.Binding{exit}
	}
	return []key.Binding{k.Next, k.Cancel}
}
