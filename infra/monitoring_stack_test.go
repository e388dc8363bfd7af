package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// wantAlarms are the alarms of issue 10, by id.
var wantAlarms = []string{
	"Api5xxRate", "ApiLatencyP99",
	"FunctionErrors-api", "FunctionThrottles-api", "FunctionErrors-sender", "FunctionThrottles-sender",
	"FunctionErrors-sweep", "FunctionThrottles-sweep", "FunctionErrors-delivery", "FunctionThrottles-delivery",
	"DynamoDBThrottles", "DynamoDBSystemErrors", "StreamIteratorAge", "OutboxOldestUndelivered",
	"SesBounceRate", "SesComplaintRate", "SmsFailureRate", "SmsMonthlySpend",
	"RelayTasksBelowDesired", "RelayUnhealthyTargets", "RelayCpu", "DlqDepth-stream", "DlqDepth-schedule",
}

// alarmsByID maps each alarm to its id, read from the runbook link in its
// description.
func alarmsByID(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range resources(fixtureTemplates(t).Monitoring, "AWS::CloudWatch::Alarm") {
		p := props(r)
		d, _ := p["AlarmDescription"].(string)
		i := strings.Index(d, "docs/operations.md#")
		if i < 0 {
			t.Errorf("alarm without runbook link: %q", d)
			continue
		}
		out[d[i+len("docs/operations.md#"):]] = p
	}
	return out
}

func TestMonitoringEveryAlarmNotifiesTheTopic(t *testing.T) {
	tm := fixtureTemplates(t).Monitoring
	alarms := alarmsByID(t)
	if len(alarms) != len(wantAlarms) {
		t.Errorf("want %d alarms, got %d: %v", len(wantAlarms), len(alarms), sortedKeys(nestedKeys(alarms)))
	}
	topics := resources(tm, "AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("want one alarm topic, got %d", len(topics))
	}
	var topicID string
	for id := range topics {
		topicID = id
	}
	for _, id := range wantAlarms {
		a := alarms[anchor(id)]
		if a == nil {
			t.Errorf("no alarm %s", id)
			continue
		}
		for _, k := range []string{"AlarmActions", "OKActions"} {
			if b, _ := json.Marshal(a[k]); !strings.Contains(string(b), topicID) {
				t.Errorf("%s %s = %s, want the topic", id, k, b)
			}
		}
	}
	sub := props(onlyResource(t, tm, "AWS::SNS::Subscription"))
	if sub["Protocol"] != "email" || sub["Endpoint"] != "ops@example.com" {
		t.Errorf("subscription = %v", sub)
	}
}

func TestMonitoringKeyThresholds(t *testing.T) {
	a := alarmsByID(t)
	check := func(id, field string, want any) {
		t.Helper()
		if got := a[anchor(id)][field]; got != want {
			t.Errorf("%s %s = %v, want %v", id, field, got, want)
		}
	}
	// The sender's EMF metric, as functions/sender/metrics.go writes it;
	// silence (the sender stopped) counts as breaching.
	check("OutboxOldestUndelivered", "Namespace", "Guestbridge")
	check("OutboxOldestUndelivered", "MetricName", "OutboxOldestUndeliveredAge")
	check("OutboxOldestUndelivered", "TreatMissingData", "breaching")
	check("OutboxOldestUndelivered", "Threshold", float64(outboxOldestSeconds))
	check("SesBounceRate", "MetricName", "Reputation.BounceRate")
	check("SesBounceRate", "Threshold", 0.05)
	check("SesComplaintRate", "Threshold", 0.001)
	check("SmsFailureRate", "MetricName", "SMSSuccessRate")
	check("SmsFailureRate", "ComparisonOperator", "LessThanThreshold")
	check("SmsMonthlySpend", "MetricName", "SMSMonthToDateSpentUSD")
	check("SmsMonthlySpend", "Threshold", 40.0) // 80 % of the fixture's USD 50
	check("StreamIteratorAge", "MetricName", "IteratorAge")
	check("RelayCpu", "MetricName", "CPUUtilization")
	check("RelayUnhealthyTargets", "MetricName", "UnHealthyHostCount")
	check("DlqDepth-stream", "MetricName", "ApproximateNumberOfMessagesVisible")
	check("Api5xxRate", "Threshold", float64(api5xxPercent))
	check("ApiLatencyP99", "ExtendedStatistic", "p99")
	for _, id := range []string{"Api5xxRate", "RelayTasksBelowDesired", "DynamoDBThrottles", "DynamoDBSystemErrors"} {
		if b, _ := json.Marshal(a[anchor(id)]["Metrics"]); len(b) < 10 {
			t.Errorf("%s is not a metric math alarm", id)
		}
	}
	if b, _ := json.Marshal(a[anchor("RelayTasksBelowDesired")]["Metrics"]); !strings.Contains(string(b), "RunningTaskCount") || !strings.Contains(string(b), "DesiredTaskCount") {
		t.Errorf("relay task alarm = %s", b)
	}
	// Container Insights must be on for those two metrics to exist.
	cl, _ := json.Marshal(props(onlyResource(t, fixtureTemplates(t).Relay, "AWS::ECS::Cluster")))
	if !strings.Contains(string(cl), `"containerInsights","Value":"enabled"`) {
		t.Errorf("cluster settings = %s", cl)
	}
}

func TestMonitoringDashboardShowsEveryAlarm(t *testing.T) {
	d := props(onlyResource(t, fixtureTemplates(t).Monitoring, "AWS::CloudWatch::Dashboard"))
	body, _ := json.Marshal(d["DashboardBody"])
	for _, id := range wantAlarms {
		if !strings.Contains(string(body), `\"title\":\"`+id+`\"`) {
			t.Errorf("dashboard has no widget for %s", id)
		}
	}
	if !strings.Contains(string(body), outboxBacklogMetric) {
		t.Error("dashboard lacks the outbox backlog")
	}
}

// Every alarm has its section in the runbook.
func TestMonitoringRunbookHasEveryAlarm(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	heads := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^### (\S+)\s*$`).FindAllStringSubmatch(string(b), -1) {
		heads[m[1]] = true
	}
	for _, id := range wantAlarms {
		if !heads[id] {
			t.Errorf("docs/operations.md has no section \"### %s\"", id)
		}
	}
}
