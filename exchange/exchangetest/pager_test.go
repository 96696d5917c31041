package exchangetest

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestCutPage(t *testing.T) {
	recs := []int{0, 1, 2, 3, 4}
	tests := []struct {
		offset, limit int
		want          []int
		next          int
	}{
		{0, 2, []int{0, 1}, 2},
		{2, 2, []int{2, 3}, 4},
		{4, 2, []int{4}, 0},
		{3, 2, []int{3, 4}, 0},
		{5, 2, []int{}, 0},
		{99, 2, []int{}, 0},
		{-1, 2, []int{0, 1}, 2},
		{0, 100, []int{0, 1, 2, 3, 4}, 0},
	}
	for _, tt := range tests {
		got, next := cutPage(recs, tt.offset, tt.limit)
		if !slices.Equal(got, tt.want) || next != tt.next {
			t.Errorf("cutPage(%d, %d) = %v, %d; want %v, %d", tt.offset, tt.limit, got, next, tt.want, tt.next)
		}
	}
}

func TestNewestFirstKeepsTheOrderOfEqualTimes(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	type rec struct {
		id string
		at time.Time
	}
	recs := []rec{{"a", t0}, {"b", t0.Add(time.Second)}, {"c", t0}, {"d", t0.Add(2 * time.Second)}, {"e", t0}}
	var ids []string
	for _, r := range newestFirst(recs, func(r rec) time.Time { return r.at }) {
		ids = append(ids, r.id)
	}
	if want := []string{"d", "b", "a", "c", "e"}; !slices.Equal(ids, want) {
		t.Errorf("got %v, want %v", ids, want)
	}
}

func TestRecordsAddNewMakesUpOnlyMissingIDs(t *testing.T) {
	var l records[KrakenOrder]
	id := func(o *KrakenOrder) *string { return &o.TxID }
	fresh := func(n int) string { return "n" + strconv.Itoa(n) }
	got := []string{
		l.addNew(KrakenOrder{}, id, fresh),
		l.addNew(KrakenOrder{TxID: "given"}, id, fresh),
		l.addNew(KrakenOrder{}, id, fresh),
	}
	if want := []string{"n1", "given", "n2"}; !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	if all := l.all(); len(all) != 3 || all[1].TxID != "given" || all[2].TxID != "n2" {
		t.Errorf("records %+v", all)
	}
	if kept := l.kept(func(o KrakenOrder) bool { return o.TxID != "given" }); len(kept) != 2 || kept[0].TxID != "n1" {
		t.Errorf("kept %+v", kept)
	}
}

func TestIntParam(t *testing.T) {
	tests := []struct {
		s    string
		want int
		ok   bool
	}{
		{"", 20, true}, {"1", 1, true}, {"50", 50, true}, {"0", 0, false}, {"51", 0, false}, {"x", 0, false}, {"-3", 0, false},
	}
	for _, tt := range tests {
		if got, ok := intParam(tt.s, 20, 1, 50); got != tt.want || ok != tt.ok {
			t.Errorf("intParam(%q) = %d, %v; want %d, %v", tt.s, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMsWindowRead(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	day := 24 * time.Hour
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	bybit := msWindow{start: "startTime", end: "endTime", def: 7 * day, fromStart: true, max: 7 * day}
	kucoin := msWindow{start: "startAt", end: "endAt", def: 7 * day}
	tests := []struct {
		name       string
		m          msWindow
		q          string
		start, end time.Duration // from now
		bad        string        // the parameter refused
		tooLong    bool
	}{
		{"nothing: the last def", bybit, "", -7 * day, 0, "", false},
		{"a start alone runs def", bybit, "startTime=" + ms(-10*day), -10 * day, -3 * day, "", false},
		{"a start alone ends now", kucoin, "startAt=" + ms(-3*day), -3 * day, 0, "", false},
		{"an end alone", bybit, "endTime=" + ms(-day), -7 * day, -day, "", false},
		{"both", bybit, "startTime=" + ms(-2*day) + "&endTime=" + ms(-day), -2 * day, -day, "", false},
		{"too long", bybit, "startTime=" + ms(-8*day) + "&endTime=" + ms(0), 0, 0, "", true},
		{"no max", kucoin, "startAt=" + ms(-30*day) + "&endAt=" + ms(0), -30 * day, 0, "", false},
		{"start not a number", bybit, "startTime=x&endTime=y", 0, 0, "startTime", false},
		{"end not a number", kucoin, "endAt=1.5", 0, 0, "endAt", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.q)
			start, end, err := tt.m.read(q, now)
			var bp *badParamError
			switch {
			case tt.bad != "":
				if !errors.As(err, &bp) || bp.name != tt.bad {
					t.Fatalf("err %v, want %s refused", err, tt.bad)
				}
			case tt.tooLong:
				if !errors.Is(err, errWindowTooLong) {
					t.Fatalf("err %v, want too long", err)
				}
			case err != nil:
				t.Fatal(err)
			case !start.Equal(now.Add(tt.start)) || !end.Equal(now.Add(tt.end)):
				t.Errorf("window %v..%v, want %v..%v", start, end, now.Add(tt.start), now.Add(tt.end))
			}
		})
	}
}
