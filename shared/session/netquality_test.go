package session

import (
	"math"
	"testing"
)

func TestNetSummaryMerge(t *testing.T) {
	for _, c := range []struct {
		name      string
		had, stay NetSummary
		want      NetSummary
	}{
		{"first stay", NetSummary{}, NetSummary{Reconnects: 2, WorstRTTMs: 300, WorstLossPct: 4.5, LowestKbps: 420},
			NetSummary{Reconnects: 2, WorstRTTMs: 300, WorstLossPct: 4.5, LowestKbps: 420}},
		{"reconnects add up, worst stays worst", NetSummary{Reconnects: 2, WorstRTTMs: 300, WorstLossPct: 4.5, LowestKbps: 420},
			NetSummary{Reconnects: 1, WorstRTTMs: 120, WorstLossPct: 9, LowestKbps: 600},
			NetSummary{Reconnects: 3, WorstRTTMs: 300, WorstLossPct: 9, LowestKbps: 420}},
		{"a stay without publishing keeps the lowest rate", NetSummary{LowestKbps: 420}, NetSummary{Reconnects: 1},
			NetSummary{Reconnects: 1, LowestKbps: 420}},
		{"a lower rate replaces it", NetSummary{LowestKbps: 420}, NetSummary{LowestKbps: 90}, NetSummary{LowestKbps: 90}},
	} {
		if got := c.had.Merge(c.stay); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestCheckNet(t *testing.T) {
	for _, c := range []struct {
		name string
		n    *NetSummary
		ok   bool
	}{
		{"none", nil, false},
		{"zero", &NetSummary{}, true},
		{"measured", &NetSummary{Reconnects: 3, WorstRTTMs: 900, WorstLossPct: 12.5, LowestKbps: 80}, true},
		{"negative reconnects", &NetSummary{Reconnects: -1}, false},
		{"absurd round trip", &NetSummary{WorstRTTMs: 600_001}, false},
		{"loss over 100 %", &NetSummary{WorstLossPct: 100.1}, false},
		{"loss not a number", &NetSummary{WorstLossPct: math.NaN()}, false},
		{"negative rate", &NetSummary{LowestKbps: -5}, false},
	} {
		if err := checkNet(c.n); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
