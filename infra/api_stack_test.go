package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestApiStack(t *testing.T) {
	tmpl := fixtureTemplates(t).Api

	t.Run("function runtime and size", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
				"Description":   assertions.Match_StringLikeRegexp(jsii.String("^Guestbridge API")),
				"Runtime":       "provided.al2023",
				"Architectures": arr("arm64"),
				"Handler":       "bootstrap",
				"MemorySize":    256,
				"Timeout":       10,
				"LoggingConfig": like(obj{"LogFormat": "JSON"}),
			})
		})
	})

	t.Run("function environment", func(t *testing.T) {
		env := functionEnv(t, tmpl, "Guestbridge API")
		requireKeys(t, env, "GB_TABLE", "GB_PUBLIC_URL", "GB_SECRET_ARN", "GB_MAX_GUEST_DAYS", "RELAY_EVENTS_SECRET_ARN")
		if env["GB_PUBLIC_URL"] != "https://app.example.com/console" {
			t.Errorf("GB_PUBLIC_URL = %v", env["GB_PUBLIC_URL"])
		}
		if env["GB_MAX_GUEST_DAYS"] != "365" {
			t.Errorf("GB_MAX_GUEST_DAYS = %v", env["GB_MAX_GUEST_DAYS"])
		}
		if env["GB_SMS_PER_ORG_PER_DAY"] != "40" || env["GB_SMS_COUNTRIES"] != "EU,CH" {
			t.Errorf("SMS budget and countries not passed: %v %v", env["GB_SMS_PER_ORG_PER_DAY"], env["GB_SMS_COUNTRIES"])
		}
	})

	t.Run("http api with cors for the web client", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), obj{
				"ProtocolType": "HTTP",
				"CorsConfiguration": like(obj{
					"AllowOrigins": arr("https://app.example.com"),
					"AllowHeaders": arrayWith("Authorization", "Content-Type", "X-Client-Platform"),
				}),
			})
		})
	})

	t.Run("default route to lambda integration v2", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), obj{
				"RouteKey": "$default",
				"Target":   assertions.Match_AnyValue(),
			})
		})
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), obj{
				"IntegrationType":      "AWS_PROXY",
				"PayloadFormatVersion": "2.0",
			})
		})
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), obj{
				"Action":    "lambda:InvokeFunction",
				"Principal": "apigateway.amazonaws.com",
			})
		})
	})

	t.Run("default stage is throttled", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), obj{
				"StageName":  "$default",
				"AutoDeploy": true,
				"DefaultRouteSettings": like(obj{
					"ThrottlingBurstLimit": defaultAPIBurstLimit,
					"ThrottlingRateLimit":  defaultAPIRateLimit,
				}),
			})
		})
	})

	t.Run("api url output", func(t *testing.T) {
		check(t, func() { tmpl.HasOutput(jsii.String("ApiUrl"), obj{}) })
	})

	t.Run("iam", func(t *testing.T) {
		assertLeastPrivilege(t, tmpl)
		actions := actionsOf(tmpl)
		for _, a := range []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:ConditionCheckItem", "secretsmanager:GetSecretValue"} {
			if !actions[a] {
				t.Errorf("missing %s (have %v)", a, actions)
			}
		}
		for _, a := range []string{"ses:SendEmail", "sns:Publish", "dynamodb:DeleteTable"} {
			if actions[a] {
				t.Errorf("api must not have %s", a)
			}
		}
	})
}
