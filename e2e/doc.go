// Package e2e holds end-to-end tests that build the real keywarden binary
// once and drive it the way a user does: in a real terminal (tmux) for the
// dashboard, and as a plain process for the reports. It has no code of its
// own; see demo_test.go.
package e2e
