package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

func TestOpsDeadLetterQueues(t *testing.T) {
	tm := fixtureTemplates(t).Messaging
	if n := len(resources(tm, "AWS::SQS::Queue")); n != 2 {
		t.Errorf("want 2 dead-letter queues, got %d", n)
	}
	esm := props(onlyResource(t, tm, "AWS::Lambda::EventSourceMapping"))
	if b, _ := json.Marshal(esm["DestinationConfig"]); !strings.Contains(string(b), "SenderStreamDLQ") {
		t.Errorf("stream on-failure destination = %s", b)
	}
	for id, r := range resources(tm, "AWS::Events::Rule") {
		if b, _ := json.Marshal(props(r)["Targets"]); !strings.Contains(string(b), "ScheduleDLQ") {
			t.Errorf("%s has no dead-letter queue: %s", id, b)
		}
	}
}

func TestOpsSenderReservedConcurrency(t *testing.T) {
	for _, r := range resources(fixtureTemplates(t).Messaging, "AWS::Lambda::Function") {
		p := props(r)
		d, _ := p["Description"].(string)
		got := p["ReservedConcurrentExecutions"]
		switch {
		case strings.HasPrefix(d, "Guestbridge sender"):
			if got != float64(defaultSenderConcurrency) {
				t.Errorf("sender reserved concurrency = %v, want %d", got, defaultSenderConcurrency)
			}
		case got != nil:
			t.Errorf("%q reserves concurrency %v", d, got)
		}
	}
}

// Every log group of every stack has a retention, and every function logs
// to such a group rather than to one Lambda would create without it.
func TestOpsLogRetentionEverywhere(t *testing.T) {
	tm := fixtureTemplates(t)
	for name, tmpl := range map[string]assertions.Template{"Data": tm.Data, "Api": tm.Api, "Messaging": tm.Messaging, "Relay": tm.Relay, "Web": tm.Web, "Monitoring": tm.Monitoring} {
		for id, r := range resources(tmpl, "AWS::Logs::LogGroup") {
			if props(r)["RetentionInDays"] == nil {
				t.Errorf("%s %s has no retention", name, id)
			}
		}
		for id, r := range resources(tmpl, "AWS::Lambda::Function") {
			if lc, _ := props(r)["LoggingConfig"].(map[string]any); lc == nil || lc["LogGroup"] == nil {
				t.Errorf("%s %s logs to an implicit log group without retention", name, id)
			}
		}
	}
}

func TestOpsDeliveryEventsWiring(t *testing.T) {
	tm := fixtureTemplates(t).Messaging
	cs := props(onlyResource(t, tm, "AWS::SES::ConfigurationSet"))
	if b, _ := json.Marshal(cs); !strings.Contains(string(b), "BOUNCE") {
		t.Errorf("configuration set = %s", b)
	}
	dest := props(onlyResource(t, tm, "AWS::SES::ConfigurationSetEventDestination"))["EventDestination"].(map[string]any)
	b, _ := json.Marshal(dest["MatchingEventTypes"])
	for _, ev := range []string{"delivery", "bounce", "complaint"} {
		if !strings.Contains(string(b), `"`+ev+`"`) {
			t.Errorf("event destination lacks %s: %s", ev, b)
		}
	}
	if dest["SnsDestination"] == nil {
		t.Error("event destination is not SNS")
	}
	sub := props(onlyResource(t, tm, "AWS::SNS::Subscription"))
	if sub["Protocol"] != "lambda" || !strings.Contains(mustJSON(sub["Endpoint"]), "DeliveryFunction") {
		t.Errorf("SES events subscription = %v", sub)
	}
	filters := resources(tm, "AWS::Logs::SubscriptionFilter")
	if len(filters) != len(smsStatusLogGroups) {
		t.Errorf("want %d SMS status subscription filters, got %d", len(smsStatusLogGroups), len(filters))
	}
	for id, r := range filters {
		if !strings.Contains(mustJSON(props(r)["DestinationArn"]), "DeliveryFunction") {
			t.Errorf("%s does not feed the delivery function", id)
		}
	}
	env := functionEnv(t, tm, "Guestbridge sender")
	if !strings.Contains(mustJSON(env["GB_SES_CONFIGURATION_SET"]), "MailConfigurationSet") {
		t.Errorf("sender GB_SES_CONFIGURATION_SET = %v", env["GB_SES_CONFIGURATION_SET"])
	}
	// The delivery function holds no secret and may send nothing.
	denv := functionEnv(t, tm, "Guestbridge delivery")
	if _, ok := denv["GB_SECRET_ARN"]; ok {
		t.Error("the delivery function gets the root secret")
	}
	for _, st := range policyStatements(tm) {
		if strings.Contains(st.Where, "DeliveryFunction") {
			for _, a := range st.Actions {
				if strings.HasPrefix(a, "ses:") || strings.HasPrefix(a, "sns:") || strings.HasPrefix(a, "secretsmanager:") {
					t.Errorf("delivery function may %s", a)
				}
			}
		}
	}
	// SendEmail also names the configuration set's ARN, which SES checks.
	found := false
	for _, st := range policyStatements(tm) {
		if len(st.Actions) == 1 && st.Actions[0] == "ses:SendEmail" && strings.Contains(mustJSON(st.Resources), "configuration-set/") {
			found = true
		}
	}
	if !found {
		t.Error("ses:SendEmail is not allowed on the configuration set")
	}
}

func TestOpsRelayReachesOnlyItsPartitions(t *testing.T) {
	tm := fixtureTemplates(t).Relay
	var dynamo []statement
	for _, st := range policyStatements(tm) {
		for _, a := range st.Actions {
			if strings.HasPrefix(a, "dynamodb:") {
				dynamo = append(dynamo, st)
				break
			}
		}
	}
	if len(dynamo) != 1 {
		t.Fatalf("want one DynamoDB statement for the relay, got %d: %+v", len(dynamo), dynamo)
	}
	st := dynamo[0]
	cond, _ := json.Marshal(st.Condition)
	if string(cond) != `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["RELAY","SESSION#*"]}}` {
		t.Errorf("condition = %s", cond)
	}
	for _, a := range st.Actions {
		switch a {
		case "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem":
		default:
			t.Errorf("relay may %s: LeadingKeys does not bound it", a)
		}
	}
	// Only the table: on an index the leading key is GSI1PK (a user, an
	// email), which the condition would not bound.
	if b := mustJSON(st.Resources); strings.Contains(b, "/index/") {
		t.Errorf("relay statement reaches indexes: %s", b)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Only the SES events topic and the two SMS status log groups may invoke
// the delivery function, each named by its ARN: nobody else can feed it a
// forged report.
func TestOpsDeliveryInvokersScoped(t *testing.T) {
	n := 0
	for id, r := range resources(fixtureTemplates(t).Messaging, "AWS::Lambda::Permission") {
		p := props(r)
		if !strings.Contains(mustJSON(p["FunctionName"]), "DeliveryFunction") {
			continue
		}
		n++
		src := mustJSON(p["SourceArn"])
		switch p["Principal"] {
		case "sns.amazonaws.com":
			if !strings.Contains(src, "SesEvents") {
				t.Errorf("%s: SNS source %s", id, src)
			}
		case "logs.amazonaws.com":
			if !strings.Contains(src, "SmsStatusLogs") {
				t.Errorf("%s: logs source %s", id, src)
			}
		default:
			t.Errorf("%s: principal %v may invoke the delivery function", id, p["Principal"])
		}
	}
	if n != 1+len(smsStatusLogGroups) {
		t.Errorf("want %d invoke permissions, got %d", 1+len(smsStatusLogGroups), n)
	}
}
