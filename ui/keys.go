package ui

import "charm.land/bubbles/v2/key"

// KeyMap holds every key the dashboard understands. It is the one source for
// key handling and for the help shown in the footer and on `?`.
type KeyMap struct {
	Next    key.Binding
	Prev    key.Binding
	Up      key.Binding
	Down    key.Binding
	Scroll  key.Binding // help only: how the detail view scrolls
	Detail  key.Binding
	Back    key.Binding
	Filter  key.Binding
	Profile key.Binding
	Refresh key.Binding
	Help    key.Binding
	Quit    key.Binding
}

// DefaultKeyMap returns the dashboard's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:    key.NewBinding(key.WithKeys("tab", "right", "l"), key.WithHelp("tab", "focus")),
		Prev:    key.NewBinding(key.WithKeys("shift+tab", "left", "h"), key.WithHelp("shift+tab", "back")),
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Scroll:  key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓ pgup/pgdn", "scroll")),
		Detail:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Profile: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "profile")),
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the footer line.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.Detail, k.Filter, k.Profile, k.Refresh, k.Help, k.Quit}
}

// FullHelp is shown on `?`.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Prev, k.Up, k.Down},
		{k.Detail, k.Back, k.Filter},
		{k.Profile, k.Refresh, k.Help, k.Quit},
	}
}
