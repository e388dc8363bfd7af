package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestMessagingStack(t *testing.T) {
	tmpl := fixtureTemplates(t).Messaging

	t.Run("functions runtime", func(t *testing.T) {
		for _, prefix := range []string{"^Guestbridge sender", "^Guestbridge sweep"} {
			check(t, func() {
				tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
					"Description":   assertions.Match_StringLikeRegexp(jsii.String(prefix)),
					"Runtime":       "provided.al2023",
					"Architectures": arr("arm64"),
					"Handler":       "bootstrap",
					"MemorySize":    256,
				})
			})
		}
	})

	t.Run("function environments", func(t *testing.T) {
		sender := functionEnv(t, tmpl, "Guestbridge sender")
		requireKeys(t, sender, "GB_TABLE", "GB_PUBLIC_URL", "GB_MAIL_FROM", "GB_SECRET_ARN", "GB_SMS_SENDER_ID")
		if sender["GB_MAIL_FROM"] != testMailFrom {
			t.Errorf("GB_MAIL_FROM = %v", sender["GB_MAIL_FROM"])
		}
		if sender["GB_SMS_SENDER_ID"] != defaultSMSSenderID {
			t.Errorf("GB_SMS_SENDER_ID = %v", sender["GB_SMS_SENDER_ID"])
		}
		sweep := functionEnv(t, tmpl, "Guestbridge sweep")
		requireKeys(t, sweep, "GB_TABLE", "GB_PUBLIC_URL", "GB_SECRET_ARN", "GB_REMINDER_DAYS")
		if sweep["GB_REMINDER_DAYS"] != "3" {
			t.Errorf("GB_REMINDER_DAYS = %v", sweep["GB_REMINDER_DAYS"])
		}
	})

	t.Run("stream event source filters outbox inserts", func(t *testing.T) {
		esm := props(onlyResource(t, tmpl, "AWS::Lambda::EventSourceMapping"))
		want := obj{
			"BatchSize":                  float64(10),
			"BisectBatchOnFunctionError": true,
			"MaximumRetryAttempts":       float64(3),
			"StartingPosition":           "LATEST",
		}
		for k, v := range want {
			if esm[k] != v {
				t.Errorf("%s = %v, want %v", k, esm[k], v)
			}
		}
		if got, _ := json.Marshal(esm["FunctionResponseTypes"]); string(got) != `["ReportBatchItemFailures"]` {
			t.Errorf("FunctionResponseTypes = %s", got)
		}
		fc, _ := esm["FilterCriteria"].(map[string]any)
		filters, _ := fc["Filters"].([]any)
		if len(filters) != 1 {
			t.Fatalf("want one filter, got %v", fc)
		}
		raw, _ := filters[0].(map[string]any)["Pattern"].(string)
		var got any
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("pattern %q: %v", raw, err)
		}
		var wantPattern any
		json.Unmarshal([]byte(`{"eventName":["INSERT"],"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"OUTBOX#"}]}}}}`), &wantPattern)
		if !reflect.DeepEqual(got, wantPattern) {
			t.Errorf("filter pattern = %s", raw)
		}
	})

	t.Run("schedules", func(t *testing.T) {
		for _, rate := range []string{"rate(1 minute)", "rate(5 minutes)"} {
			check(t, func() {
				tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj{
					"ScheduleExpression": rate,
					"State":              "ENABLED",
					"Targets":            arrayWith(like(obj{"Arn": assertions.Match_AnyValue()})),
				})
			})
		}
		if n := len(resources(tmpl, "AWS::Events::Rule")); n != 2 {
			t.Errorf("want 2 rules, got %d", n)
		}
	})

	t.Run("iam", func(t *testing.T) {
		assertLeastPrivilege(t, tmpl)
		actions := actionsOf(tmpl)
		for _, a := range []string{
			"ses:SendEmail", "sns:Publish", "secretsmanager:GetSecretValue",
			"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
			"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
		} {
			if !actions[a] {
				t.Errorf("missing %s (have %v)", a, sortedKeys(anyMap(actions)))
			}
		}
		for _, a := range []string{"ses:SendRawEmail", "sns:CreateTopic", "sns:Subscribe"} {
			if actions[a] {
				t.Errorf("must not have %s", a)
			}
		}
	})

	t.Run("ses scoped to the sender identity", func(t *testing.T) {
		found := false
		for _, st := range policyStatements(tmpl) {
			if len(st.Actions) != 1 || st.Actions[0] != "ses:SendEmail" {
				continue
			}
			found = true
			b, _ := json.Marshal(st.Resources)
			for _, name := range []string{"identity/mail.example.com", "identity/" + testMailFrom} {
				if !strings.Contains(string(b), name) {
					t.Errorf("ses:SendEmail resources %s lack %s", b, name)
				}
			}
			if strings.Contains(string(b), `"*"`) {
				t.Errorf("ses:SendEmail on *: %s", b)
			}
			cond, _ := json.Marshal(st.Condition)
			if !strings.Contains(string(cond), `"ses:FromAddress":"`+testMailFrom+`"`) {
				t.Errorf("ses:SendEmail condition = %s", cond)
			}
		}
		if !found {
			t.Error("no ses:SendEmail statement")
		}
	})

	t.Run("sns publish is the only action on star and is conditioned", func(t *testing.T) {
		for _, st := range policyStatements(tmpl) {
			for _, a := range st.Actions {
				if a == "sns:Publish" && st.Condition == nil {
					t.Errorf("%s: sns:Publish without a condition", st.Where)
				}
			}
		}
	})

	t.Run("sweep cannot send", func(t *testing.T) {
		for id, r := range resources(tmpl, "AWS::IAM::Policy") {
			if !strings.Contains(id, "Sweep") {
				continue
			}
			b, _ := json.Marshal(props(r)["PolicyDocument"])
			for _, bad := range []string{"ses:", "sns:"} {
				if strings.Contains(string(b), bad) {
					t.Errorf("%s grants %s: %s", id, bad, b)
				}
			}
		}
	})
}

func anyMap(m map[string]bool) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
