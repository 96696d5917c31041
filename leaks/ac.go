package leaks

import "sort"

// automaton is a dense Aho-Corasick DFA over byte classes: every byte that
// occurs in some needle gets its own class, all other bytes share class 0.
// Transitions are complete (failure links are folded in at build time), so
// scanning costs one table load per input byte and never backtracks.
//
// State numbers are premultiplied by the stride (the number of classes) so
// the hot loop is trans[state+class]. States that emit a match are numbered
// last, so "is this a match state" is a single comparison.
type automaton struct {
	classes   [256]uint8
	stride    uint32
	trans     []uint32  // premultiplied next state for [state*stride+class]
	matchFrom uint32    // premultiplied: states >= matchFrom have outputs
	outs      [][]int32 // needle ids, indexed by (state-matchFrom)/stride
	maxLen    int       // longest needle
}

// newAutomaton builds the DFA for needles; every needle must be non-empty.
func newAutomaton(needles [][]byte) *automaton {
	a := &automaton{}
	var used [256]bool
	for _, n := range needles {
		for _, b := range n {
			used[b] = true
		}
		a.maxLen = max(a.maxLen, len(n))
	}
	stride := uint32(1)
	for b := 0; b < 256; b++ {
		if used[b] {
			a.classes[b] = uint8(stride) // wraps only when all 256 are used
			stride++
		}
	}
	if stride > 256 { // every byte value occurs in a needle: no class 0 needed
		for b := 0; b < 256; b++ {
			a.classes[b] = uint8(b)
		}
		stride = 256
	}
	a.stride = stride

	// Trie with a dense child table (-1 = no child).
	child := make([]int32, stride)
	for i := range child {
		child[i] = -1
	}
	var outs [][]int32
	outs = append(outs, nil)
	for id, n := range needles {
		s := int32(0)
		for _, b := range n {
			c := int32(s)*int32(stride) + int32(a.classes[b])
			if child[c] < 0 {
				next := int32(len(outs))
				outs = append(outs, nil)
				for range stride {
					child = append(child, -1)
				}
				child[c] = next
			}
			s = child[c]
		}
		outs[s] = append(outs[s], int32(id))
	}
	nStates := len(outs)

	// Breadth-first: fold failure links into complete transitions and
	// inherit the outputs of each state's failure state.
	fail := make([]int32, nStates)
	delta := make([]int32, nStates*int(stride))
	order := make([]int32, 0, nStates)
	for c := uint32(0); c < stride; c++ {
		if t := child[c]; t >= 0 {
			delta[c] = t
			fail[t] = 0
			order = append(order, t)
		} else {
			delta[c] = 0
		}
	}
	for i := 0; i < len(order); i++ {
		s := order[i]
		f := fail[s]
		if len(outs[f]) > 0 {
			outs[s] = append(outs[s], outs[f]...)
		}
		base := int(s) * int(stride)
		fbase := int(f) * int(stride)
		for c := 0; c < int(stride); c++ {
			if t := child[base+c]; t >= 0 {
				delta[base+c] = t
				fail[t] = delta[fbase+c]
				order = append(order, t)
			} else {
				delta[base+c] = delta[fbase+c]
			}
		}
	}

	// Renumber: non-matching states first (root stays 0), matching last.
	newID := make([]uint32, nStates)
	var next uint32
	for s := 0; s < nStates; s++ {
		if len(outs[s]) == 0 {
			newID[s] = next
			next++
		}
	}
	firstMatch := next
	for s := 0; s < nStates; s++ {
		if len(outs[s]) > 0 {
			newID[s] = next
			next++
		}
	}
	a.trans = make([]uint32, nStates*int(stride))
	a.outs = make([][]int32, nStates-int(firstMatch))
	for s := 0; s < nStates; s++ {
		ns := newID[s]
		for c := 0; c < int(stride); c++ {
			a.trans[int(ns)*int(stride)+c] = newID[delta[s*int(stride)+c]] * stride
		}
		if ns >= firstMatch {
			o := outs[s]
			sort.Slice(o, func(i, j int) bool { return o[i] < o[j] })
			a.outs[ns-firstMatch] = o
		}
	}
	a.matchFrom = firstMatch * stride
	return a
}

// scan runs data through the DFA from state, calling hit with the needle id
// and the index just past the match's last byte (relative to data). It
// returns the state to continue from with the next chunk of the same stream.
func (a *automaton) scan(data []byte, state uint32, hit func(id int32, end int)) uint32 {
	trans, cls, mf := a.trans, &a.classes, a.matchFrom
	for i := 0; i < len(data); i++ {
		state = trans[state+uint32(cls[data[i]])]
		if state >= mf {
			for _, id := range a.outs[(state-mf)/a.stride] {
				hit(id, i+1)
			}
		}
	}
	return state
}

// wipe zeroes the tables, which encode the needles, once a scan is over.
func (a *automaton) wipe() {
	clear(a.trans)
	clear(a.classes[:])
	a.outs = nil
}

// lanes is how many independent DFA walks scanWide interleaves. A DFA walk
// is one long chain of dependent loads (state -> next state), so a single
// walk leaves the CPU idle most of each cycle; eight walks over eight parts
// of the input keep it busy (measured: 4 lanes ~3x one walk, 8 lanes a
// further ~1.3x; amd64 has just enough registers for eight).
const lanes = 8

// scanWide is scan for large inputs: it splits data into eight parts and
// walks them in one loop. Part k>0 starts maxLen-1 bytes early from the root
// state, so by its first reportable byte it is in exactly the state a single
// walk would be in; it reports only matches ending inside its own part.
func (a *automaton) scanWide(data []byte, state uint32, hit func(id int32, end int)) uint32 {
	ov := a.maxLen - 1
	q := len(data) / lanes
	if q < 2*ov+512 {
		return a.scan(data, state, hit)
	}
	trans, cls, mf := a.trans, &a.classes, a.matchFrom
	// Part k covers data[k*q : (k+1)*q] (the last one up to len(data)); the
	// loop walks data[start(k) : start(k)+q] for every part at once.
	start := func(k int) int {
		if k == 0 {
			return 0
		}
		return k*q - ov
	}
	d0, d1, d2, d3 := data[0:q], data[start(1):start(1)+q], data[start(2):start(2)+q], data[start(3):start(3)+q]
	d4, d5, d6, d7 := data[start(4):start(4)+q], data[start(5):start(5)+q], data[start(6):start(6)+q], data[start(7):start(7)+q]
	var st [lanes]uint32
	s0, s1, s2, s3, s4, s5, s6, s7 := state, uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0)
	for i := range d0 {
		s0 = trans[s0+uint32(cls[d0[i]])]
		s1 = trans[s1+uint32(cls[d1[i]])]
		s2 = trans[s2+uint32(cls[d2[i]])]
		s3 = trans[s3+uint32(cls[d3[i]])]
		s4 = trans[s4+uint32(cls[d4[i]])]
		s5 = trans[s5+uint32(cls[d5[i]])]
		s6 = trans[s6+uint32(cls[d6[i]])]
		s7 = trans[s7+uint32(cls[d7[i]])]
		if s0 >= mf || s1 >= mf || s2 >= mf || s3 >= mf || s4 >= mf || s5 >= mf || s6 >= mf || s7 >= mf {
			st = [lanes]uint32{s0, s1, s2, s3, s4, s5, s6, s7}
			for k, s := range st {
				a.emit(s, start(k)+i+1, k*q, hit)
			}
		}
	}
	// Parts 1..7 still have their last ov bytes (the last part: up to the end).
	st = [lanes]uint32{s0, s1, s2, s3, s4, s5, s6, s7}
	for k := 1; k < lanes-1; k++ {
		a.finish(data, start(k)+q, (k+1)*q, st[k], hit)
	}
	return a.finish(data, start(lanes-1)+q, len(data), st[lanes-1], hit)
}

// emit reports the outputs of state s for a match ending at end, if end is
// past from (the part boundary).
func (a *automaton) emit(s uint32, end, from int, hit func(id int32, end int)) {
	if s < a.matchFrom || end <= from {
		return
	}
	for _, id := range a.outs[(s-a.matchFrom)/a.stride] {
		hit(id, end)
	}
}

// finish walks data[from:to] from state s, reporting ends relative to data.
func (a *automaton) finish(data []byte, from, to int, s uint32, hit func(id int32, end int)) uint32 {
	return a.scan(data[from:to], s, func(id int32, end int) { hit(id, from+end) })
}
