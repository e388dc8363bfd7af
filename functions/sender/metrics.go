package main

import (
	"io"
	"time"

	"github.com/guestbridge/guestbridge/shared/emf"
)

// Names of the sender's metrics in the Guestbridge namespace; the alarm and
// the dashboard in infra/monitoring_stack.go read the same names.
const (
	metricOldestAge = "OutboxOldestUndeliveredAge"
	metricBacklog   = "OutboxUndelivered"
)

// metricDims is the dimension set of the sender's metrics.
var metricDims = map[string]string{"Function": "sender"}

// writeBacklogMetrics writes the outbox backlog as one EMF record to w (the
// function's stdout, which Lambda sends to CloudWatch Logs).
func writeBacklogMetrics(w io.Writer, at time.Time, undelivered int, oldestAge time.Duration) error {
	return emf.Write(w, emf.Namespace, metricDims, at,
		emf.Metric{Name: metricOldestAge, Unit: "Seconds", Value: oldestAge.Truncate(time.Second).Seconds()},
		emf.Metric{Name: metricBacklog, Unit: "Count", Value: float64(undelivered)})
}
