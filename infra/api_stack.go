package main

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Default throttling of the API's $default stage: a first line against abuse,
// well above what the web clients of one company need.
const (
	defaultAPIRateLimit  = 50  // requests per second, steady state
	defaultAPIBurstLimit = 100 // requests
	defaultMaxGuestDays  = 365
)

// ApiStackProps configures the API stack.
type ApiStackProps struct {
	awscdk.StackProps
	// AssetDir holds the api function's bootstrap binary.
	AssetDir string
	// Table is the single table; the function reads and writes it.
	Table awsdynamodb.ITable
	// RootSecret holds GB_SECRET; RelayEventsSecret holds the relay events
	// HMAC key. The function reads both.
	RootSecret        awssecretsmanager.ISecret
	RelayEventsSecret awssecretsmanager.ISecret
	// Attachments is the bucket of the cases' files (GB_ATTACHMENTS_BUCKET).
	Attachments awss3.IBucket
	// PublicURL is the web client's base URL (GB_PUBLIC_URL); CorsOrigin is
	// its origin, the only one allowed to call the API from a browser.
	PublicURL  string
	CorsOrigin string
	// MaxGuestDays is GB_MAX_GUEST_DAYS; 0 means 365.
	MaxGuestDays int
	// SMSPerOrgPerDay is GB_SMS_PER_ORG_PER_DAY and SMSCountries
	// GB_SMS_COUNTRIES; zero values leave the function's defaults.
	SMSPerOrgPerDay int
	SMSCountries    string
	// RateLimit and BurstLimit throttle the $default stage; 0 means the
	// defaults above.
	RateLimit  float64
	BurstLimit float64
}

// ApiStack is the public HTTP API in front of the api function.
type ApiStack struct {
	awscdk.Stack
	Function awslambda.Function
	HttpApi  awsapigatewayv2.HttpApi
	// Endpoint is the API's base URL without a trailing slash, e.g.
	// https://abc123.execute-api.eu-central-1.amazonaws.com.
	Endpoint *string
}

// NewApiStack creates the api function and an HTTP API (payload v2) whose
// $default route sends every request to it.
func NewApiStack(scope constructs.Construct, id string, props *ApiStackProps) *ApiStack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	maxDays := props.MaxGuestDays
	if maxDays == 0 {
		maxDays = defaultMaxGuestDays
	}
	fn := newGoFunction(stack, "ApiFunction", goFunctionProps{
		AssetDir:    props.AssetDir,
		Description: "Guestbridge API: every /v1 route behind the HTTP API",
		Timeout:     awscdk.Duration_Seconds(jsii.Number(10)),
		Environment: map[string]string{
			"GB_TABLE":                *props.Table.TableName(),
			"GB_PUBLIC_URL":           props.PublicURL,
			"GB_SECRET_ARN":           *props.RootSecret.SecretArn(),
			"GB_MAX_GUEST_DAYS":       strconv.Itoa(maxDays),
			"RELAY_EVENTS_SECRET_ARN": *props.RelayEventsSecret.SecretArn(),
		},
	})
	if props.SMSPerOrgPerDay > 0 {
		fn.AddEnvironment(jsii.String("GB_SMS_PER_ORG_PER_DAY"), jsii.String(strconv.Itoa(props.SMSPerOrgPerDay)), nil)
	}
	if props.SMSCountries != "" {
		fn.AddEnvironment(jsii.String("GB_SMS_COUNTRIES"), jsii.String(props.SMSCountries), nil)
	}
	props.Table.GrantReadWriteData(fn)
	props.RootSecret.GrantRead(fn, nil)
	props.RelayEventsSecret.GrantRead(fn, nil)
	if props.Attachments != nil {
		fn.AddEnvironment(jsii.String("GB_ATTACHMENTS_BUCKET"), props.Attachments.BucketName(), nil)
		// The API writes, checks and deletes snapshots and thumbnails; it
		// only reads (presigns) the relay's recordings. Written out rather
		// than Grant*, whose wildcard actions (s3:GetObject*, s3:List*) reach
		// beyond what the API does.
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("s3:PutObject", "s3:GetObject", "s3:DeleteObject"),
			Resources: jsii.Strings(*props.Attachments.ArnForObjects(jsii.String("attachments/*"))),
		}))
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: jsii.Strings(*props.Attachments.ArnForObjects(jsii.String("recordings/*"))),
		}))
	}

	httpAPI := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String(id),
		Description: jsii.String("Guestbridge API"),
		// HttpLambdaIntegration uses payload format 2.0 by default; it is set
		// here because the handler adapter depends on it.
		DefaultIntegration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiIntegration"), fn,
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
				PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
			}),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(props.CorsOrigin),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET,
				awsapigatewayv2.CorsHttpMethod_POST,
				awsapigatewayv2.CorsHttpMethod_PUT,
				awsapigatewayv2.CorsHttpMethod_PATCH,
				awsapigatewayv2.CorsHttpMethod_DELETE,
				awsapigatewayv2.CorsHttpMethod_OPTIONS,
			},
			AllowHeaders:  jsii.Strings("Authorization", "Content-Type", "X-Client-Platform", "If-None-Match"),
			ExposeHeaders: jsii.Strings("Retry-After", "ETag", "Content-Disposition", "X-Next-Cursor"),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		},
		// The default stage is created below, with throttling, which the
		// HttpApi props cannot set.
		CreateDefaultStage: jsii.Bool(false),
	})

	rate, burst := props.RateLimit, props.BurstLimit
	if rate == 0 {
		rate = defaultAPIRateLimit
	}
	if burst == 0 {
		burst = defaultAPIBurstLimit
	}
	stage := awsapigatewayv2.NewHttpStage(stack, jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    httpAPI,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(rate),
			BurstLimit: jsii.Number(burst),
		},
	})

	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the Guestbridge API"),
		Value:       stage.Url(),
	})

	return &ApiStack{Stack: stack, Function: fn, HttpApi: httpAPI, Endpoint: httpAPI.ApiEndpoint()}
}
