package audit

import (
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// CSVHeader is the first row of an export.
var CSVHeader = []string{"time", "actor", "actorId", "action", "target", "targetId", "details"}

// WriteCSV writes entries as CSV. Every cell passes through SafeCell: an
// export is opened in spreadsheets, and names and titles are typed by guests.
func WriteCSV(w io.Writer, entries []Entry, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	for _, e := range entries {
		row := []string{e.At.UTC().Format(time.RFC3339), e.ActorName, e.Actor, e.Action, e.TargetName, e.Target, detailsText(e.Details)}
		for i := range row {
			row[i] = SafeCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCell keeps a spreadsheet from reading a cell as a formula: a cell that
// starts with = + - @ (or a tab or carriage return, which some programs skip
// before looking) is prefixed with an apostrophe.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func detailsText(d map[string]string) string {
	keys := slices.Sorted(maps.Keys(d))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, "; ")
}
