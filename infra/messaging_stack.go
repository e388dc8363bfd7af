package main

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogsdestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Defaults of the messaging functions (docs/architecture.md).
const (
	defaultSMSSenderID  = "Guestbrdg"
	defaultReminderDays = 3
	// outboxPKPrefix is the partition key prefix of outbox items: the only
	// stream records the sender is invoked for.
	outboxPKPrefix = "OUTBOX#"
)

// MessagingStackProps configures the messaging stack.
type MessagingStackProps struct {
	awscdk.StackProps
	// SenderAssetDir, SweepAssetDir and DeliveryAssetDir hold the functions'
	// bootstrap binaries.
	SenderAssetDir   string
	SweepAssetDir    string
	DeliveryAssetDir string
	// SenderConcurrency is the sender's reserved concurrency; 0 reserves
	// none.
	SenderConcurrency int
	// Table is the single table; it must have a stream (the data stack's
	// does).
	Table awsdynamodb.ITable
	// RootSecret holds GB_SECRET; the sender opens sealed outbox tokens with
	// it and the sweep seals the ones of its reminders.
	RootSecret awssecretsmanager.ISecret
	// PublicURL is GB_PUBLIC_URL, used in links.
	PublicURL string
	// MailFrom is GB_MAIL_FROM; MailDomain its domain. The sender may send
	// only as this address, through the SES identity of the address or of the
	// domain.
	MailFrom   string
	MailDomain string
	// SMSSenderID is GB_SMS_SENDER_ID; empty means "Guestbrdg".
	SMSSenderID string
	// ReminderDays is GB_REMINDER_DAYS; 0 means 3.
	ReminderDays int
}

// MessagingStack holds the outbox sender, the expiry sweep and the handler
// of the providers' delivery reports.
type MessagingStack struct {
	awscdk.Stack
	Sender   awslambda.Function
	Sweep    awslambda.Function
	Delivery awslambda.Function
	// StreamDLQ receives the stream batches the sender gave up on and
	// ScheduleDLQ the schedule ticks EventBridge could not deliver.
	StreamDLQ   awssqs.Queue
	ScheduleDLQ awssqs.Queue
	// ConfigurationSet is the one every email goes through.
	ConfigurationSet awsses.ConfigurationSet
	// SMSStatusRole is the role SNS writes SMS delivery status logs with
	// (the account setting DeliveryStatusIAMRole; docs/deploy.md).
	SMSStatusRole awsiam.Role
}

// smsStatusLogGroups are the log groups SNS writes SMS delivery status
// records to, in the stack's region and account.
var smsStatusLogGroups = []string{"DirectPublishToPhoneNumber", "DirectPublishToPhoneNumber/Failure"}

// NewMessagingStack creates the sender (table stream of new outbox items, and
// a one-minute schedule for retries) and the sweep (five-minute schedule).
func NewMessagingStack(scope constructs.Construct, id string, props *MessagingStackProps) *MessagingStack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	smsSenderID := props.SMSSenderID
	if smsSenderID == "" {
		smsSenderID = defaultSMSSenderID
	}
	reminderDays := props.ReminderDays
	if reminderDays == 0 {
		reminderDays = defaultReminderDays
	}

	// Every email goes through the configuration set, whose event
	// destination reports deliveries, bounces and complaints to the
	// delivery function.
	configSet := awsses.NewConfigurationSet(stack, jsii.String("MailConfigurationSet"), &awsses.ConfigurationSetProps{
		SuppressionReasons: awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
	})
	sesEvents := awssns.NewTopic(stack, jsii.String("SesEvents"), &awssns.TopicProps{
		DisplayName: jsii.String("Guestbridge SES delivery events"),
		EnforceSSL:  jsii.Bool(true),
	})
	configSet.AddEventDestination(jsii.String("ToDeliveryHandler"), &awsses.ConfigurationSetEventDestinationOptions{
		Destination: awsses.EventDestination_SnsTopic(sesEvents),
		Events: &[]awsses.EmailSendingEvent{
			awsses.EmailSendingEvent_DELIVERY, awsses.EmailSendingEvent_BOUNCE, awsses.EmailSendingEvent_COMPLAINT,
		},
	})

	sender := newGoFunction(stack, "SenderFunction", goFunctionProps{
		AssetDir:    props.SenderAssetDir,
		Description: "Guestbridge sender: delivers outbox messages by SES (email) and SNS (SMS)",
		Timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
		Environment: map[string]string{
			"GB_TABLE":                 *props.Table.TableName(),
			"GB_PUBLIC_URL":            props.PublicURL,
			"GB_MAIL_FROM":             props.MailFrom,
			"GB_SECRET_ARN":            *props.RootSecret.SecretArn(),
			"GB_SMS_SENDER_ID":         smsSenderID,
			"GB_SES_CONFIGURATION_SET": *configSet.ConfigurationSetName(),
		},
		ReservedConcurrency: props.SenderConcurrency,
	})
	props.Table.GrantReadWriteData(sender)
	props.RootSecret.GrantRead(sender, nil)

	// SES: there is no Grant* for sending, so the statement is written out:
	// SendEmail only, only on the configured identity (the address itself or
	// its domain, whichever is the verified one) and only with that address
	// as From.
	sender.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("SendEmailAsConfiguredSender"),
		Actions: jsii.Strings("ses:SendEmail"),
		// SES authorizes a send against the identity and against the
		// configuration set the message names.
		Resources: &[]*string{
			sesIdentityArn(stack, props.MailDomain),
			sesIdentityArn(stack, props.MailFrom),
			stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ses"), Resource: jsii.String("configuration-set"),
				ResourceName: configSet.ConfigurationSetName(), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
			}),
		},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"ses:FromAddress": props.MailFrom},
		},
	}))
	// SNS: an SMS is published straight to a phone number, which has no ARN,
	// so sns:Publish cannot be scoped to a resource and IAM requires "*".
	// SNS offers no condition key for the phone number; the statement is
	// limited to sns:Publish in the stack's own region.
	sender.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PublishSmsToPhoneNumbers"),
		Actions:   jsii.Strings("sns:Publish"),
		Resources: jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:RequestedRegion": *stack.Region()},
		},
	}))

	// Dead-letter queues: what the stream and the schedules could not
	// deliver lands here for the operator (docs/operations.md), kept two
	// weeks. The messages themselves stay pending in the table either way.
	streamDLQ := awssqs.NewQueue(stack, jsii.String("SenderStreamDLQ"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		EnforceSSL:      jsii.Bool(true),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
	})
	scheduleDLQ := awssqs.NewQueue(stack, jsii.String("ScheduleDLQ"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		EnforceSSL:      jsii.Bool(true),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
	})

	// New outbox items: INSERTs whose PK starts with OUTBOX#. Every other
	// write to the table is filtered out before the function is invoked.
	sender.AddEventSource(awslambdaeventsources.NewDynamoEventSource(props.Table, &awslambdaeventsources.DynamoEventSourceProps{
		StartingPosition:   awslambda.StartingPosition_LATEST,
		BatchSize:          jsii.Number(10),
		BisectBatchOnError: jsii.Bool(true),
		// The sender reports the records it could not record as batch item
		// failures, so only those are retried. A record that keeps failing is
		// dropped after a few attempts; its message stays pending in the table
		// and the scheduled run retries it.
		ReportBatchItemFailures: jsii.Bool(true),
		RetryAttempts:           jsii.Number(3),
		MaxRecordAge:            awscdk.Duration_Hours(jsii.Number(1)),
		// A dropped batch's shard and sequence numbers go to the queue.
		OnFailure: awslambdaeventsources.NewSqsDlq(streamDLQ),
		Filters: &[]*map[string]any{
			awslambda.FilterCriteria_Filter(&map[string]any{
				"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
				"dynamodb": map[string]any{
					"Keys": map[string]any{
						"PK": map[string]any{"S": awslambda.FilterRule_BeginsWith(jsii.String(outboxPKPrefix))},
					},
				},
			}),
		},
	}))
	awsevents.NewRule(stack, jsii.String("SenderRetrySchedule"), &awsevents.RuleProps{
		Description: jsii.String("Retries pending outbox messages"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Targets: &[]awsevents.IRuleTarget{
			awseventstargets.NewLambdaFunction(sender, &awseventstargets.LambdaFunctionProps{
				// A tick that cannot be delivered within a minute is
				// superseded by the next one.
				MaxEventAge:     awscdk.Duration_Minutes(jsii.Number(1)),
				RetryAttempts:   jsii.Number(2),
				DeadLetterQueue: scheduleDLQ,
			}),
		},
	})

	sweep := newGoFunction(stack, "SweepFunction", goFunctionProps{
		AssetDir:    props.SweepAssetDir,
		Description: "Guestbridge sweep: deactivates expired guests, sends expiry reminders",
		Timeout:     awscdk.Duration_Minutes(jsii.Number(2)),
		// The sweep boots the same application as the other functions, which
		// needs the root secret (reminders go out through the outbox, sealed)
		// and the public URL (links in reminders).
		Environment: map[string]string{
			"GB_TABLE":         *props.Table.TableName(),
			"GB_PUBLIC_URL":    props.PublicURL,
			"GB_SECRET_ARN":    *props.RootSecret.SecretArn(),
			"GB_REMINDER_DAYS": strconv.Itoa(reminderDays),
		},
	})
	props.Table.GrantReadWriteData(sweep)
	props.RootSecret.GrantRead(sweep, nil)
	awsevents.NewRule(stack, jsii.String("SweepSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Runs the guest expiry sweep"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(5))),
		Targets: &[]awsevents.IRuleTarget{
			awseventstargets.NewLambdaFunction(sweep, &awseventstargets.LambdaFunctionProps{
				MaxEventAge:     awscdk.Duration_Minutes(jsii.Number(5)),
				RetryAttempts:   jsii.Number(2),
				DeadLetterQueue: scheduleDLQ,
			}),
		},
	})

	// The delivery function reads only the table: no secret, no sending.
	deliveryFn := newGoFunction(stack, "DeliveryFunction", goFunctionProps{
		AssetDir:    props.DeliveryAssetDir,
		Description: "Guestbridge delivery: records SES and SNS delivery, bounce and complaint reports",
		Timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
		Environment: map[string]string{"GB_TABLE": *props.Table.TableName()},
	})
	props.Table.GrantReadWriteData(deliveryFn)
	sesEvents.AddSubscription(awssnssubscriptions.NewLambdaSubscription(deliveryFn, nil))

	// SMS delivery status: SNS writes one record per SMS into these log
	// groups once the account's DeliveryStatusIAMRole is set to this role
	// (an account-wide setting, so set by hand: docs/deploy.md). The stack
	// owns the groups to give them a retention; a subscription filter hands
	// every record to the delivery function.
	smsRole := awsiam.NewRole(stack, jsii.String("SmsStatusLogRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("sns.amazonaws.com"), nil),
		Description: jsii.String("SNS writes SMS delivery status logs with this role"),
	})
	for i, name := range smsStatusLogGroups {
		group := awslogs.NewLogGroup(stack, jsii.String("SmsStatusLogs"+strconv.Itoa(i)), &awslogs.LogGroupProps{
			LogGroupName: jsii.String("sns/" + *stack.Region() + "/" + *stack.Account() + "/" + name),
			Retention:    logRetention,
		})
		smsRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
			Resources: jsii.Strings(*group.LogGroupArn(), *group.LogGroupArn()+":log-stream:*"),
		}))
		group.AddSubscriptionFilter(jsii.String("ToDeliveryHandler"), &awslogs.SubscriptionFilterOptions{
			Destination:   awslogsdestinations.NewLambdaDestination(deliveryFn, nil),
			FilterPattern: awslogs.FilterPattern_AllEvents(),
		})
	}

	awscdk.NewCfnOutput(stack, jsii.String("SmsDeliveryStatusRoleArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Set as the SNS account's DeliveryStatusIAMRole (docs/deploy.md)"),
		Value:       smsRole.RoleArn(),
	})

	return &MessagingStack{Stack: stack, Sender: sender, Sweep: sweep, Delivery: deliveryFn,
		StreamDLQ: streamDLQ, ScheduleDLQ: scheduleDLQ, ConfigurationSet: configSet, SMSStatusRole: smsRole}
}

// sesIdentityArn returns the ARN of the SES identity name (an email address or
// a domain) in the stack's account and region.
func sesIdentityArn(stack awscdk.Stack, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ses"),
		Resource:     jsii.String("identity"),
		ResourceName: jsii.String(name),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}
