package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// component is the contract every pane follows. The root model is the only
// thing that returns a tea.View; a component renders a string of exactly the
// size it was given, receives data as messages routed to it by id, and names
// the keys it understands so the footer help can show them. The root passes
// every Cmd a component returns on to the runtime, batched, never dropped.
type component interface {
	// Init returns the component's first command (nil when it has none).
	Init() tea.Cmd
	// Update handles a message routed to this component.
	Update(msg tea.Msg) tea.Cmd
	// View renders the component's content area: width × height cells.
	View() string
	// SetSize sets the content area's size.
	SetSize(width, height int)
	// Bindings are the keys this component handles while focused.
	Bindings() []key.Binding
}
