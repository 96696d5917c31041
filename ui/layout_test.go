package ui

import "testing"

func TestComputeLayout(t *testing.T) {
	wants := [numPanes]int{PaneClock: 5, PaneNetwork: 4, PaneKeys: 3, PanePermissions: 3, PaneAudit: 40, PaneHygiene: 5}
	for _, tc := range []struct {
		name         string
		w, h         int
		focus        PaneID
		framed       bool
		collapsed    int // panes drawn as a single title line
		focusContent int // content lines of the focused pane, at least
	}{
		{"wide grid", 120, 38, PaneClock, true, 0, 5},
		{"80x24 stacked", 80, 22, PaneClock, false, 0, 5},
		{"80x24 focus hygiene", 80, 22, PaneHygiene, false, 0, 4},
		{"minimum", 60, 14, PaneKeys, false, 0, 1},
		{"too short for sections", 70, 11, PaneNetwork, false, 6, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := computeLayout(tc.w, tc.h, wants, tc.focus)
			if l.framed != tc.framed {
				t.Errorf("framed %v", l.framed)
			}
			bottom, collapsed := 0, 0
			for id, r := range l.rects {
				bottom = max(bottom, r.y+r.h)
				if r.x+r.w > tc.w {
					t.Errorf("%v reaches column %d of %d", PaneID(id), r.x+r.w, tc.w)
				}
				if r.collapsed {
					collapsed++
				}
			}
			if bottom != tc.h {
				t.Errorf("panes fill %d lines of %d", bottom, tc.h)
			}
			if collapsed != tc.collapsed {
				t.Errorf("%d collapsed panes, want %d", collapsed, tc.collapsed)
			}
			r := l.rects[tc.focus]
			_, ch := contentSize(r.w, r.h, l.framed)
			if r.collapsed || ch < tc.focusContent {
				t.Errorf("focused %v has %d content lines (collapsed %v), want ≥ %d", tc.focus, ch, r.collapsed, tc.focusContent)
			}
		})
	}
}
