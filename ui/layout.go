package ui

import "slices"

// Size limits and breakpoints.
const (
	minWidth      = 60 // below this, or minHeight, only a message is shown
	minHeight     = 16
	gridWidth     = 120 // at or above: two columns; below: one
	headerHeight  = 1
	compactFooter = 80 // below: the footer keeps only focus, details, help and quit
	auditFirst    = 3  // content lines the audit log gets before others grow
)

// rect is where a pane is drawn in the body. A collapsed pane is a single
// line with its title, used when the terminal is too short for every box.
type rect struct {
	x, y, w, h int
	collapsed  bool
}

// layout is the body's arrangement: rows of panes and each pane's rect.
// Framed panes (the wide grid) have a full border; otherwise each pane is a
// section under a title rule, which leaves more lines for content.
type layout struct {
	rows   [][]PaneID
	rects  [numPanes]rect
	framed bool
}

// computeLayout arranges the panes in w × h cells: a grid when wide,
// stacked when narrow, and everything but the focused pane collapsed to one
// line when even stacked boxes do not fit. wants are the content lines each
// pane would like.
func computeLayout(w, h int, wants [numPanes]int, focus PaneID) layout {
	l := layout{framed: w >= gridWidth}
	if l.framed {
		l.rows = [][]PaneID{{PaneClock, PaneNetwork}, {PaneKeys, PanePermissions}, {PaneAudit}, {PaneHygiene, PaneActivity}}
	} else {
		l.rows = [][]PaneID{{PaneClock}, {PaneNetwork}, {PaneKeys}, {PanePermissions}, {PaneAudit}, {PaneHygiene}, {PaneActivity}}
	}
	over := sectionH
	if l.framed {
		over = framedH
	}
	if len(l.rows)*(over+1) > h {
		l.framed = false
		l.rows = [][]PaneID{{PaneClock}, {PaneNetwork}, {PaneKeys}, {PanePermissions}, {PaneAudit}, {PaneHygiene}, {PaneActivity}}
		y := 0
		for _, r := range l.rows {
			id := r[0]
			rh := 1
			if id == focus {
				rh = h - (len(l.rows) - 1)
			}
			l.rects[id] = rect{x: 0, y: y, w: w, h: rh, collapsed: id != focus}
			y += rh
		}
		return l
	}
	heights := allocate(l.rows, h, wants, over, focus)
	y := 0
	for i, r := range l.rows {
		x := 0
		for j, id := range r {
			cw := w / len(r)
			if j == len(r)-1 {
				cw = w - x
			}
			l.rects[id] = rect{x: x, y: y, w: cw, h: heights[i]}
			x += cw
		}
		y += heights[i]
	}
	return l
}

// allocate gives each row a height: every row one line of content, then
// the audit log a few lines, then the focused pane's row up to half of what
// is left, then the other rows a line at a time in turn until each has what
// it wants, then the audit log whatever is left. over is the frame's height.
func allocate(rows [][]PaneID, h int, wants [numPanes]int, over int, focus PaneID) []int {
	hs := make([]int, len(rows))
	want := make([]int, len(rows))
	audit := -1
	spare := h
	for i, r := range rows {
		hs[i] = over + 1
		spare -= hs[i]
		for _, id := range r {
			want[i] = max(want[i], wants[id]+over)
			if id == PaneAudit {
				audit = i
			}
		}
	}
	grow := func(i, to int) {
		add := min(spare, max(0, to-hs[i]))
		hs[i] += add
		spare -= add
	}
	grow(audit, min(want[audit], over+auditFirst))
	for i, r := range rows {
		if slices.Contains(r, focus) {
			grow(i, min(want[i], hs[i]+spare/2))
		}
	}
	for grew := true; grew && spare > 0; {
		grew = false
		for i := range rows {
			if i != audit && spare > 0 && hs[i] < want[i] {
				hs[i]++
				spare--
				grew = true
			}
		}
	}
	hs[audit] += spare
	return hs
}

// at returns the pane drawn at body cell (x, y).
func (l layout) at(x, y int) (PaneID, bool) {
	for id, r := range l.rects {
		if x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h {
			return PaneID(id), true
		}
	}
	return 0, false
}

// neighbour is the pane above (dir -1) or below (dir +1) from, nearest to
// its centre column; at the edge it wraps through the focus order.
func (l layout) neighbour(from PaneID, dir int) PaneID {
	cur := l.rects[from]
	cx := cur.x + cur.w/2
	best, bestY, found := from, 0, false
	for id, r := range l.rects {
		if PaneID(id) == from {
			continue
		}
		var ok bool
		if dir < 0 {
			ok = r.y+r.h <= cur.y && cx >= r.x && cx < r.x+r.w
		} else {
			ok = r.y >= cur.y+cur.h && cx >= r.x && cx < r.x+r.w
		}
		if ok && (!found || (dir < 0 && r.y > bestY) || (dir > 0 && r.y < bestY)) {
			best, bestY, found = PaneID(id), r.y, true
		}
	}
	if !found {
		return PaneID((int(from) + dir + int(numPanes)) % int(numPanes))
	}
	return best
}
