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
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
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
	// SenderAssetDir and SweepAssetDir hold the functions' bootstrap binaries.
	SenderAssetDir string
	SweepAssetDir  string
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

// MessagingStack holds the outbox sender and the expiry sweep.
type MessagingStack struct {
	awscdk.Stack
	Sender awslambda.Function
	Sweep  awslambda.Function
}

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

	sender := newGoFunction(stack, "SenderFunction", goFunctionProps{
		AssetDir:    props.SenderAssetDir,
		Description: "Guestbridge sender: delivers outbox messages by SES (email) and SNS (SMS)",
		Timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
		Environment: map[string]string{
			"GB_TABLE":         *props.Table.TableName(),
			"GB_PUBLIC_URL":    props.PublicURL,
			"GB_MAIL_FROM":     props.MailFrom,
			"GB_SECRET_ARN":    *props.RootSecret.SecretArn(),
			"GB_SMS_SENDER_ID": smsSenderID,
		},
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
		Resources: &[]*string{
			sesIdentityArn(stack, props.MailDomain),
			sesIdentityArn(stack, props.MailFrom),
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
				MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(1)),
				RetryAttempts: jsii.Number(2),
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
				MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(5)),
				RetryAttempts: jsii.Number(2),
			}),
		},
	})

	return &MessagingStack{Stack: stack, Sender: sender, Sweep: sweep}
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
