package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DataStackProps configures the data stack.
type DataStackProps struct {
	awscdk.StackProps
	// CorsOrigin is the web client's origin: the customer's page uploads
	// snapshots to the attachments bucket from it, the case page reads
	// thumbnails and recordings.
	CorsOrigin string
}

// DataStack holds the state that outlives every deployment: the single
// DynamoDB table and the secrets. Everything in it is retained when the stack
// is deleted.
type DataStack struct {
	awscdk.Stack
	// Table is the single table (docs/architecture.md, "DynamoDB table").
	Table awsdynamodb.Table
	// RootSecret holds GB_SECRET, the base64 root secret of the API and the
	// sender.
	RootSecret awssecretsmanager.Secret
	// RelayEventsSecret holds RELAY_EVENTS_SECRET, the HMAC key of the relay's
	// event posts to the API.
	RelayEventsSecret awssecretsmanager.Secret
	// Attachments holds the cases' files: snapshots and thumbnails under
	// attachments/ (the API writes), recordings under recordings/ (the relay
	// writes).
	Attachments awss3.Bucket
}

// NewDataStack creates the table, the secrets and the attachments bucket.
func NewDataStack(scope constructs.Construct, id string, props *DataStackProps) *DataStack {
	var sprops awscdk.StackProps
	if props != nil {
		sprops = props.StackProps
	}
	stack := awscdk.NewStack(scope, &id, &sprops)

	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String("PK"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String("SK"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String("ttl"),
		// The sender reacts to new outbox items; it needs the item, not the
		// previous version.
		Stream: awsdynamodb.StreamViewType_NEW_IMAGE,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
	for _, gsi := range []string{"GSI1", "GSI2"} {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(gsi),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(gsi + "PK"), Type: awsdynamodb.AttributeType_STRING},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(gsi + "SK"), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}

	// GB_SECRET is read as base64 of at least 32 bytes. 64 characters drawn
	// from [A-Za-z0-9] are valid base64 (no padding needed) and decode to 48
	// bytes. The secret is retained with the table: tokens sealed in outbox
	// items can only be opened with it.
	rootSecret := awssecretsmanager.NewSecret(stack, jsii.String("RootSecret"), &awssecretsmanager.SecretProps{
		Description:          jsii.String("Guestbridge GB_SECRET: base64 root secret for session tokens and outbox sealing"),
		GenerateSecretString: alphanumericSecret(64),
		RemovalPolicy:        awscdk.RemovalPolicy_RETAIN,
	})

	// RELAY_EVENTS_SECRET is shared by the relay (signs) and the API
	// (verifies); it is separate from the root secret so the relay never
	// holds GB_SECRET.
	relayEventsSecret := awssecretsmanager.NewSecret(stack, jsii.String("RelayEventsSecret"), &awssecretsmanager.SecretProps{
		Description:          jsii.String("Guestbridge RELAY_EVENTS_SECRET: HMAC key of relay events posted to the API"),
		GenerateSecretString: alphanumericSecret(64),
		RemovalPolicy:        awscdk.RemovalPolicy_RETAIN,
	})

	return &DataStack{Stack: stack, Table: table, RootSecret: rootSecret, RelayEventsSecret: relayEventsSecret,
		Attachments: attachmentsBucket(stack, props)}
}

// attachmentsBucket is private and encrypted; browsers reach it only by
// presigned URLs the API issues, from the web client's origin.
func attachmentsBucket(stack awscdk.Stack, props *DataStackProps) awss3.Bucket {
	origin := "*"
	if props != nil && props.CorsOrigin != "" {
		origin = props.CorsOrigin
	}
	return awss3.NewBucket(stack, jsii.String("Attachments"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		// Case files are records of the company's support work, kept with
		// the table.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		Cors: &[]*awss3.CorsRule{{
			AllowedOrigins: &[]*string{jsii.String(origin)},
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_PUT, awss3.HttpMethods_GET, awss3.HttpMethods_HEAD},
			AllowedHeaders: &[]*string{jsii.String("content-type")},
			MaxAge:         jsii.Number(3600),
		}},
		LifecycleRules: &[]*awss3.LifecycleRule{
			// A recording the relay could not finish leaves parts that cost
			// storage and are never an attachment.
			{Id: jsii.String("abort-incomplete-uploads"), AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1))},
			// Old recordings are rarely played again.
			{Id: jsii.String("recordings-infrequent-access"), Prefix: jsii.String("recordings/"), Transitions: &[]*awss3.Transition{{
				StorageClass: awss3.StorageClass_INFREQUENT_ACCESS(), TransitionAfter: awscdk.Duration_Days(jsii.Number(90)),
			}}},
		},
	})
}

// alphanumericSecret generates a plain (non-JSON) secret string of n
// characters from [A-Za-z0-9].
func alphanumericSecret(n float64) *awssecretsmanager.SecretStringGenerator {
	return &awssecretsmanager.SecretStringGenerator{
		PasswordLength:     jsii.Number(n),
		ExcludePunctuation: jsii.Bool(true),
		IncludeSpace:       jsii.Bool(false),
	}
}
