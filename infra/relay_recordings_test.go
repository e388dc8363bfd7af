package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
)

// Given the case files' bucket, the relay's task role may write recordings
// under recordings/ and nothing else of the bucket: put (a multipart upload)
// and abort, no reads, no other prefix; the container is told the bucket.
func TestRelayRecordingsGrant(t *testing.T) {
	imageDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(imageDir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	deps := awscdk.NewStack(app, jsii.String("Deps"), nil)
	table := awsdynamodb.NewTable(deps, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("PK"), Type: awsdynamodb.AttributeType_STRING},
	})
	bucket := awss3.NewBucket(deps, jsii.String("Files"), nil)
	relay := NewRelayStack(app, "Relay", &RelayStackProps{
		ImageDir: imageDir, ImageFile: "Dockerfile", Table: table,
		RelayEventsSecret: awssecretsmanager.NewSecret(deps, jsii.String("Events"), nil),
		EventsURL:         jsii.String("https://api.example.com/v1/internal/relay/events"),
		TicketPublicKey:   testTicketKey, RecordingsBucket: bucket, MaxTasks: 1,
	})
	tmpl := assertions.Template_FromStack(relay.Stack, nil)

	var s3Statements []map[string]any
	for _, p := range resources(tmpl, "AWS::IAM::Policy") {
		doc, _ := props(p)["PolicyDocument"].(map[string]any)
		list, _ := doc["Statement"].([]any)
		for _, st := range list {
			m, _ := st.(map[string]any)
			b, _ := json.Marshal(m["Action"])
			if strings.Contains(string(b), "s3:") {
				s3Statements = append(s3Statements, m)
			}
		}
	}
	if len(s3Statements) != 1 {
		t.Fatalf("want one S3 statement for the task role, got %v", s3Statements)
	}
	st := s3Statements[0]
	var actions []string
	b, _ := json.Marshal(st["Action"])
	_ = json.Unmarshal(b, &actions)
	slices.Sort(actions)
	if !slices.Equal(actions, []string{"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"}) {
		t.Errorf("actions %v", actions)
	}
	res, _ := json.Marshal(st["Resource"])
	if !strings.Contains(string(res), "/recordings/*") || strings.Count(string(res), "Fn::Join") != 1 {
		t.Errorf("resource %s, want the bucket's recordings/* only", res)
	}

	td := props(onlyResource(t, tmpl, "AWS::ECS::TaskDefinition"))
	cds, _ := td["ContainerDefinitions"].([]any)
	env, _ := json.Marshal(cds[0].(map[string]any)["Environment"])
	if !strings.Contains(string(env), "GB_ATTACHMENTS_BUCKET") {
		t.Errorf("the relay is not told the bucket: %s", env)
	}
}

// The deployed relay records into the attachments bucket of the data stack.
func TestRelayRecordsIntoTheAttachmentsBucket(t *testing.T) {
	tmpl := fixtureTemplates(t).Relay
	td := props(onlyResource(t, tmpl, "AWS::ECS::TaskDefinition"))
	cds, _ := td["ContainerDefinitions"].([]any)
	env, _ := json.Marshal(cds[0].(map[string]any)["Environment"])
	if !strings.Contains(string(env), "GB_ATTACHMENTS_BUCKET") {
		t.Fatalf("the deployed relay is not told the bucket: %s", env)
	}
	pols, _ := json.Marshal(resources(tmpl, "AWS::IAM::Policy"))
	if !strings.Contains(string(pols), "/recordings/*") || !strings.Contains(string(pols), "s3:AbortMultipartUpload") {
		t.Fatalf("the deployed relay may not write recordings: %s", pols)
	}
}
