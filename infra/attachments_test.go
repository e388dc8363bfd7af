package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestAttachmentsBucket: the cases' files are in a private, encrypted bucket
// that browsers reach only from the web client's origin, whose unfinished
// uploads are cleaned up, and which outlives the stack.
func TestAttachmentsBucket(t *testing.T) {
	tmpl := fixtureTemplates(t).Data
	b := onlyResource(t, tmpl, "AWS::S3::Bucket")
	if b["DeletionPolicy"] != "Retain" {
		t.Errorf("bucket deletion policy %v, want Retain", b["DeletionPolicy"])
	}
	check(t, func() {
		tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), obj{
			"BucketEncryption": obj{"ServerSideEncryptionConfiguration": arr(obj{"ServerSideEncryptionByDefault": obj{"SSEAlgorithm": "AES256"}})},
			"PublicAccessBlockConfiguration": obj{"BlockPublicAcls": true, "BlockPublicPolicy": true,
				"IgnorePublicAcls": true, "RestrictPublicBuckets": true},
			"CorsConfiguration": obj{"CorsRules": arr(like(obj{
				"AllowedOrigins": arr("https://app.example.com"),
				"AllowedMethods": arr("PUT", "GET", "HEAD"),
			}))},
			"LifecycleConfiguration": obj{"Rules": arrayWith(like(obj{
				"AbortIncompleteMultipartUpload": obj{"DaysAfterInitiation": 1}, "Status": "Enabled",
			}))},
		})
	})
	// TLS only: the bucket policy denies plain HTTP.
	pol, _ := json.Marshal(onlyResource(t, tmpl, "AWS::S3::BucketPolicy"))
	if !strings.Contains(string(pol), `"aws:SecureTransport":"false"`) {
		t.Errorf("bucket policy does not deny plain HTTP: %s", pol)
	}
}

// TestApiAttachmentsAccess: the API function is told the bucket and may put,
// get and delete under attachments/ only, and read recordings/; nothing else
// of the bucket.
func TestApiAttachmentsAccess(t *testing.T) {
	tmpl := fixtureTemplates(t).Api
	env := functionEnv(t, tmpl, "Guestbridge API")
	requireKeys(t, env, "GB_ATTACHMENTS_BUCKET")
	var got []string
	for _, st := range policyStatements(tmpl) {
		var s3Actions []string
		for _, a := range st.Actions {
			if strings.HasPrefix(a, "s3:") {
				s3Actions = append(s3Actions, a)
			}
		}
		if len(s3Actions) == 0 {
			continue
		}
		res, _ := json.Marshal(st.Resources)
		prefix := "other"
		switch {
		case strings.Contains(string(res), `/attachments/*`):
			prefix = "attachments"
		case strings.Contains(string(res), `/recordings/*`):
			prefix = "recordings"
		}
		slices.Sort(s3Actions)
		got = append(got, prefix+": "+strings.Join(s3Actions, ","))
	}
	slices.Sort(got)
	want := []string{"attachments: s3:DeleteObject,s3:GetObject,s3:PutObject", "recordings: s3:GetObject"}
	if !slices.Equal(got, want) {
		t.Errorf("the API's S3 statements: %q, want %q", got, want)
	}
	assertLeastPrivilege(t, tmpl)
}
