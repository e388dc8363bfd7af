package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestDataStack(t *testing.T) {
	tmpl := fixtureTemplates(t).Data

	t.Run("table keys and billing", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), obj{
				"KeySchema": assertions.Match_ArrayEquals(arr(
					obj{"AttributeName": "PK", "KeyType": "HASH"},
					obj{"AttributeName": "SK", "KeyType": "RANGE"},
				)),
				"AttributeDefinitions": arrayWith(
					obj{"AttributeName": "PK", "AttributeType": "S"},
					obj{"AttributeName": "SK", "AttributeType": "S"},
				),
				"BillingMode": "PAY_PER_REQUEST",
			})
		})
	})

	t.Run("ttl stream pitr", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), obj{
				"TimeToLiveSpecification":          obj{"AttributeName": "ttl", "Enabled": true},
				"StreamSpecification":              obj{"StreamViewType": "NEW_IMAGE"},
				"PointInTimeRecoverySpecification": obj{"PointInTimeRecoveryEnabled": true},
			})
		})
	})

	t.Run("gsis project all", func(t *testing.T) {
		p := props(onlyResource(t, tmpl, "AWS::DynamoDB::Table"))
		gsis, _ := p["GlobalSecondaryIndexes"].([]any)
		if len(gsis) != 3 {
			t.Fatalf("want 3 GSIs, got %d", len(gsis))
		}
		for _, name := range []string{"GSI1", "GSI2", "GSI3"} {
			check(t, func() {
				tmpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), obj{
					"GlobalSecondaryIndexes": arrayWith(obj{
						"IndexName": name,
						"KeySchema": assertions.Match_ArrayEquals(arr(
							obj{"AttributeName": name + "PK", "KeyType": "HASH"},
							obj{"AttributeName": name + "SK", "KeyType": "RANGE"},
						)),
						"Projection": obj{"ProjectionType": "ALL"},
					}),
					"AttributeDefinitions": arrayWith(
						obj{"AttributeName": name + "PK", "AttributeType": "S"},
						obj{"AttributeName": name + "SK", "AttributeType": "S"},
					),
				})
			})
		}
	})

	t.Run("table and secrets retained", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), obj{
				"DeletionPolicy":      "Retain",
				"UpdateReplacePolicy": "Retain",
			})
		})
		secrets := resources(tmpl, "AWS::SecretsManager::Secret")
		if len(secrets) != 2 {
			t.Fatalf("want 2 secrets, got %d", len(secrets))
		}
		for id, s := range secrets {
			if s["DeletionPolicy"] != "Retain" {
				t.Errorf("%s: DeletionPolicy %v, want Retain", id, s["DeletionPolicy"])
			}
		}
	})

	t.Run("generated secrets are long alphanumeric strings", func(t *testing.T) {
		for id, s := range resources(tmpl, "AWS::SecretsManager::Secret") {
			gen, _ := props(s)["GenerateSecretString"].(map[string]any)
			if n, _ := gen["PasswordLength"].(float64); n < 44 {
				t.Errorf("%s: PasswordLength %v: want base64 of at least 32 bytes", id, gen["PasswordLength"])
			}
			if gen["ExcludePunctuation"] != true {
				t.Errorf("%s: punctuation is not base64", id)
			}
			if _, ok := gen["SecretStringTemplate"]; ok {
				t.Errorf("%s: want a plain string, not JSON", id)
			}
		}
	})
}
