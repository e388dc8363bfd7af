// Package emf writes CloudWatch embedded metric format (EMF) records: one JSON
// log line that CloudWatch Logs turns into metric data points, so a Lambda
// function publishes metrics without calling the CloudWatch API (no extra
// permission, no extra latency, no lost data point when the call would fail).
package emf

import (
	"encoding/json"
	"io"
	"sort"
	"time"
)

// Namespace is the CloudWatch namespace of Guestbridge's own metrics; the
// alarms in infra/ read them from here.
const Namespace = "Guestbridge"

// Metric is one value of a record.
type Metric struct {
	Name  string
	Unit  string // a CloudWatch unit: "Seconds", "Count", ...
	Value float64
}

// Write writes one EMF record with the metrics under namespace and one
// dimension set made of dims, as a single line. The dimension values become
// top-level members, as the format requires; a metric named like a dimension
// would be ambiguous, and is the caller's bug.
func Write(w io.Writer, namespace string, dims map[string]string, at time.Time, metrics ...Metric) error {
	keys := make([]string, 0, len(dims))
	for k := range dims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type def struct {
		Name string `json:"Name"`
		Unit string `json:"Unit,omitempty"`
	}
	defs := make([]def, 0, len(metrics))
	rec := map[string]any{}
	for _, m := range metrics {
		defs = append(defs, def{Name: m.Name, Unit: m.Unit})
		rec[m.Name] = m.Value
	}
	for _, k := range keys {
		rec[k] = dims[k]
	}
	rec["_aws"] = map[string]any{
		"Timestamp": at.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  namespace,
			"Dimensions": [][]string{keys},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
