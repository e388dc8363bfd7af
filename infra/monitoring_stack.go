package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Names the sender publishes its backlog under (functions/sender/metrics.go).
const (
	outboxMetricNamespace = "Guestbridge"
	outboxOldestAgeMetric = "OutboxOldestUndeliveredAge"
	outboxBacklogMetric   = "OutboxUndelivered"
)

// Thresholds of the alarms; docs/operations.md explains each.
const (
	api5xxPercent        = 5    // % of requests over 5 minutes, from 20 requests
	apiP99Millis         = 3000 // p99 latency over 5 minutes, three periods in a row
	iteratorAgeMillis    = 5 * 60 * 1000
	outboxOldestSeconds  = 20 * 60 // longer than the sender's first five backoffs (15.5 min)
	sesBounceRate        = 0.05    // SES reviews accounts at 5 %, pauses at 10 %
	sesComplaintRate     = 0.001   // SES reviews at 0.1 %, pauses at 0.5 %
	smsSuccessRateMin    = 0.9
	smsSpendAlarmPercent = 80
	relayCPUPercent      = 80
)

// MonitoringStackProps names what the monitoring stack watches.
type MonitoringStackProps struct {
	awscdk.StackProps
	// AlarmEmail is subscribed to the alarm topic; empty subscribes no one.
	AlarmEmail string
	HttpApi    awsapigatewayv2.HttpApi
	// Functions by short name (api, sender, sweep, delivery).
	Functions map[string]awslambda.IFunction
	// Sender is the stream consumer.
	Sender       awslambda.IFunction
	Table        awsdynamodb.ITable
	DLQs         map[string]awssqs.IQueue
	RelayCluster awsecs.ICluster
	RelayService awsecs.FargateService
	RelayTargets awselasticloadbalancingv2.INetworkTargetGroup
	// SMSMonthlyLimitUSD is the account's SNS MonthlySpendLimit.
	SMSMonthlyLimitUSD int
}

// MonitoringStack holds the alarm topic, the alarms and the dashboard.
type MonitoringStack struct {
	awscdk.Stack
	Topic     awssns.Topic
	Alarms    map[string]awscloudwatch.Alarm
	Dashboard awscloudwatch.Dashboard
}

// alarmSpec is one alarm: its id (the runbook section, docs/operations.md),
// what it watches and when it fires.
type alarmSpec struct {
	id          string
	description string
	metric      awscloudwatch.IMetric
	threshold   float64
	op          awscloudwatch.ComparisonOperator
	periods     float64
	missing     awscloudwatch.TreatMissingData
}

// NewMonitoringStack creates one SNS topic that every alarm notifies (on
// alarm and on recovery), the alarms, and a dashboard showing each alarm's
// figure against its threshold.
func NewMonitoringStack(scope constructs.Construct, id string, props *MonitoringStackProps) *MonitoringStack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Guestbridge alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	if props.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.AlarmEmail), nil))
	} else {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("guestbridge:noAlarmEmail"),
			jsii.String("alarmEmail is not set: alarms notify an SNS topic nobody is subscribed to"))
	}

	five := awscdk.Duration_Minutes(jsii.Number(5))
	hour := awscdk.Duration_Hours(jsii.Number(1))
	sum := func(m awscloudwatch.Metric) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five})
	}
	gt, ge, lt := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
	notBreaching := awscloudwatch.TreatMissingData_NOT_BREACHING

	specs := []alarmSpec{{
		id:          "Api5xxRate",
		description: fmt.Sprintf("More than %d %% of API requests answered 5xx over 5 minutes", api5xxPercent),
		metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			// Below 20 requests a few errors say little; the function's
			// error alarm still sees them.
			Expression: jsii.String("IF(requests >= 20, 100 * errors / requests, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"errors":   props.HttpApi.MetricServerError(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five}),
				"requests": props.HttpApi.MetricCount(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five}),
			},
			Label:  jsii.String("API 5xx %"),
			Period: five,
		}),
		threshold: api5xxPercent, op: gt, periods: 1, missing: notBreaching,
	}, {
		id:          "ApiLatencyP99",
		description: fmt.Sprintf("API p99 latency above %d ms for 15 minutes", apiP99Millis),
		metric:      props.HttpApi.MetricLatency(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: five}),
		threshold:   apiP99Millis, op: gt, periods: 3, missing: notBreaching,
	}}
	for _, name := range []string{"api", "sender", "sweep", "delivery"} {
		fn := props.Functions[name]
		specs = append(specs, alarmSpec{
			id:          "FunctionErrors-" + name,
			description: "The " + name + " function failed invocations (uncaught errors, timeouts, crashes)",
			metric:      sum(fn.MetricErrors(nil)), threshold: 1, op: ge, periods: 1, missing: notBreaching,
		}, alarmSpec{
			id:          "FunctionThrottles-" + name,
			description: "The " + name + " function was throttled: its reserved or the account's concurrency is used up",
			metric:      sum(fn.MetricThrottles(nil)), threshold: 1, op: ge, periods: 1, missing: notBreaching,
		})
	}
	ops := &[]awsdynamodb.Operation{
		awsdynamodb.Operation_GET_ITEM, awsdynamodb.Operation_PUT_ITEM, awsdynamodb.Operation_UPDATE_ITEM,
		awsdynamodb.Operation_DELETE_ITEM, awsdynamodb.Operation_QUERY, awsdynamodb.Operation_BATCH_GET_ITEM,
		awsdynamodb.Operation_TRANSACT_WRITE_ITEMS, awsdynamodb.Operation_TRANSACT_GET_ITEMS,
	}
	specs = append(specs, alarmSpec{
		id:          "DynamoDBThrottles",
		description: "DynamoDB throttled requests on the table",
		metric: props.Table.MetricThrottledRequestsForOperations(&awsdynamodb.OperationsMetricOptions{
			Operations: ops, Period: five, Statistic: jsii.String("Sum"),
		}),
		threshold: 1, op: ge, periods: 1, missing: notBreaching,
	}, alarmSpec{
		id:          "DynamoDBSystemErrors",
		description: "DynamoDB answered requests on the table with internal server errors",
		metric: props.Table.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{
			Operations: ops, Period: five, Statistic: jsii.String("Sum"),
		}),
		threshold: 1, op: ge, periods: 1, missing: notBreaching,
	}, alarmSpec{
		id:          "StreamIteratorAge",
		description: "The sender reads the table stream more than 5 minutes behind",
		metric: props.Sender.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: five,
		}),
		threshold: iteratorAgeMillis, op: gt, periods: 1, missing: notBreaching,
	}, alarmSpec{
		id:          "OutboxOldestUndelivered",
		description: fmt.Sprintf("An outbox message has waited more than %d minutes for SES or SNS", outboxOldestSeconds/60),
		metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(outboxMetricNamespace), MetricName: jsii.String(outboxOldestAgeMetric),
			DimensionsMap: &map[string]*string{"Function": jsii.String("sender")},
			Statistic:     jsii.String("Maximum"), Period: five,
		}),
		// The scheduled sender publishes every minute, also when the queue
		// is empty: no data means the sender is not running.
		threshold: outboxOldestSeconds, op: gt, periods: 1, missing: awscloudwatch.TreatMissingData_BREACHING,
	}, alarmSpec{
		id:          "SesBounceRate",
		description: fmt.Sprintf("The account's SES bounce rate is above %.0f %%", sesBounceRate*100),
		metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/SES"), MetricName: jsii.String("Reputation.BounceRate"),
			Statistic: jsii.String("Maximum"), Period: hour,
		}),
		threshold: sesBounceRate, op: gt, periods: 1, missing: notBreaching,
	}, alarmSpec{
		id:          "SesComplaintRate",
		description: fmt.Sprintf("The account's SES complaint rate is above %.1f %%", sesComplaintRate*100),
		metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/SES"), MetricName: jsii.String("Reputation.ComplaintRate"),
			Statistic: jsii.String("Maximum"), Period: hour,
		}),
		threshold: sesComplaintRate, op: gt, periods: 1, missing: notBreaching,
	}, alarmSpec{
		id:          "SmsFailureRate",
		description: fmt.Sprintf("Less than %.0f %% of SMS reached the phone over an hour", smsSuccessRateMin*100),
		metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/SNS"), MetricName: jsii.String("SMSSuccessRate"),
			Statistic: jsii.String("Average"), Period: hour,
		}),
		threshold: smsSuccessRateMin, op: lt, periods: 1, missing: notBreaching,
	}, alarmSpec{
		id: "SmsMonthlySpend",
		description: fmt.Sprintf("SMS spend this month reached %d %% of the account limit of USD %d, after which SNS stops sending SMS",
			smsSpendAlarmPercent, props.SMSMonthlyLimitUSD),
		metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/SNS"), MetricName: jsii.String("SMSMonthToDateSpentUSD"),
			Statistic: jsii.String("Maximum"), Period: hour,
		}),
		threshold: float64(props.SMSMonthlyLimitUSD) * smsSpendAlarmPercent / 100, op: ge, periods: 1, missing: notBreaching,
	})

	// Container Insights (enabled on the relay's cluster) publishes the
	// service's running and desired task counts.
	insight := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("ECS/ContainerInsights"), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{
				"ClusterName": props.RelayCluster.ClusterName(),
				"ServiceName": props.RelayService.ServiceName(),
			},
			Statistic: jsii.String("Minimum"), Period: five,
		})
	}
	specs = append(specs, alarmSpec{
		id:          "RelayTasksBelowDesired",
		description: "Fewer relay tasks run than the service wants, for 15 minutes",
		metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String("desired - running"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{"desired": insight("DesiredTaskCount"), "running": insight("RunningTaskCount")},
			Label:        jsii.String("relay tasks missing"),
			Period:       five,
		}),
		// A deploy or a scale-out starts tasks within minutes; three
		// periods keep those quiet.
		threshold: 1, op: ge, periods: 3, missing: awscloudwatch.TreatMissingData_BREACHING,
	}, alarmSpec{
		id:          "RelayUnhealthyTargets",
		description: "The relay's load balancer sees unhealthy targets",
		metric:      props.RelayTargets.Metrics().UnHealthyHostCount(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five}),
		threshold:   1, op: ge, periods: 2, missing: notBreaching,
	}, alarmSpec{
		id:          "RelayCpu",
		description: fmt.Sprintf("Relay CPU above %d %% for 15 minutes although auto scaling targets 60 %%", relayCPUPercent),
		metric:      props.RelayService.MetricCpuUtilization(&awscloudwatch.MetricOptions{Statistic: jsii.String("Average"), Period: five}),
		threshold:   relayCPUPercent, op: gt, periods: 3, missing: notBreaching,
	})
	for _, name := range []string{"stream", "schedule"} {
		specs = append(specs, alarmSpec{
			id:          "DlqDepth-" + name,
			description: "The " + name + " dead-letter queue holds undelivered events",
			metric:      props.DLQs[name].MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five}),
			threshold:   1, op: ge, periods: 1, missing: notBreaching,
		})
	}

	action := awscloudwatchactions.NewSnsAction(topic)
	alarms := make(map[string]awscloudwatch.Alarm, len(specs))
	var widgets []awscloudwatch.IWidget
	for _, sp := range specs {
		a := awscloudwatch.NewAlarm(stack, jsii.String(sp.id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(sp.description + ". Runbook: docs/operations.md#" + anchor(sp.id)),
			Metric:             sp.metric,
			Threshold:          jsii.Number(sp.threshold),
			ComparisonOperator: sp.op,
			EvaluationPeriods:  jsii.Number(sp.periods),
			TreatMissingData:   sp.missing,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		alarms[sp.id] = a
		widgets = append(widgets, awscloudwatch.NewAlarmWidget(&awscloudwatch.AlarmWidgetProps{
			Title: jsii.String(sp.id), Alarm: a, Width: jsii.Number(8), Height: jsii.Number(6),
		}))
	}
	backlog := awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("Outbox backlog (messages not yet with SES or SNS)"),
		Left: &[]awscloudwatch.IMetric{awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(outboxMetricNamespace), MetricName: jsii.String(outboxBacklogMetric),
			DimensionsMap: &map[string]*string{"Function": jsii.String("sender")},
			Statistic:     jsii.String("Maximum"), Period: five,
		})},
		Width: jsii.Number(8), Height: jsii.Number(6),
	})
	dash := awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String("Guestbridge"),
	})
	alarmList := make([]interfacesawscloudwatch.IAlarmRef, 0, len(specs))
	for _, sp := range specs {
		alarmList = append(alarmList, alarms[sp.id])
	}
	dash.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Guestbridge alarms"), Alarms: &alarmList, Width: jsii.Number(24), Height: jsii.Number(6),
	}))
	for i := 0; i < len(widgets); i += 3 {
		end := min(i+3, len(widgets))
		dash.AddWidgets(widgets[i:end]...)
	}
	dash.AddWidgets(backlog)

	awscdk.NewCfnOutput(stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic of all Guestbridge alarms (subscribe more endpoints here)"),
		Value:       topic.TopicArn(),
	})
	return &MonitoringStack{Stack: stack, Topic: topic, Alarms: alarms, Dashboard: dash}
}

// anchor is the GitHub anchor of the runbook heading "### <id>".
func anchor(id string) string {
	out := make([]rune, 0, len(id))
	for _, r := range id {
		switch {
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			out = append(out, r)
		}
	}
	return string(out)
}
