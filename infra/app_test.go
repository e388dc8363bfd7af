package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The stack tests synthesize one app, with every stack, once per test binary
// (jsii starts a Node.js process; a synthesis takes seconds) and share the
// templates.

// testTicketKey is base64 of 32 bytes: a well-formed relay ticket public key.
const testTicketKey = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="

const (
	testMailFrom = "no-reply@mail.example.com"
	testCertArn  = "arn:aws:acm:eu-central-1:111122223333:certificate/00000000-0000-0000-0000-000000000000"
	// testWebCertArn is a CloudFront certificate: us-east-1.
	testWebCertArn = "arn:aws:acm:us-east-1:111122223333:certificate/11111111-1111-1111-1111-111111111111"
)

// fixtureDir holds the fixture assets and the cloud assembly of the tests.
var fixtureDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "guestbridge-infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// templates are the synthesized templates of the fixture app.
type templates struct {
	Data, Api, Messaging, Relay assertions.Template
	Web, Monitoring             assertions.Template
}

var (
	synthOnce sync.Once
	synthed   *templates
	synthErr  error
)

// fixtureTemplates synthesizes the fixture app on first use.
func fixtureTemplates(t *testing.T) *templates {
	t.Helper()
	synthOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				synthErr = fmt.Errorf("synth panicked: %v", r)
			}
		}()
		synthed, synthErr = synthFixture()
	})
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	return synthed
}

func synthFixture() (*templates, error) {
	assetDir := filepath.Join(fixtureDir, "lambda")
	for _, fn := range lambdaFunctions {
		if err := writeFile(filepath.Join(assetDir, fn, "bootstrap"), "#!/bin/sh\n# fixture "+fn+"\n"); err != nil {
			return nil, err
		}
	}
	imageDir := filepath.Join(fixtureDir, "image")
	if err := writeFile(filepath.Join(imageDir, "Dockerfile"), "FROM scratch\n"); err != nil {
		return nil, err
	}
	flags, err := cdkJSONContext()
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(filepath.Join(fixtureDir, "cdk.out")),
		Context: &flags,
	})
	cfg, err := parseConfig(func(key string) any {
		return map[string]any{
			ctxAssetDir:             assetDir,
			ctxMailFrom:             testMailFrom,
			ctxPublicURL:            "https://app.example.com/console",
			ctxRelayTicketPublicKey: testTicketKey,
			ctxRelayCertificateArn:  testCertArn,
			ctxRelayDomain:          "relay.example.com",
			ctxRelayMaxTasks:        "4",
			ctxSMSPerOrgPerDay:      "40",
			ctxSMSCountries:         "EU,CH",
			ctxWebDomain:            "app.example.com",
			ctxWebCertificateArn:    testWebCertArn,
			ctxAlarmEmail:           "ops@example.com",
			ctxSMSMonthlyLimitUSD:   "50",
		}[key]
	})
	if err != nil {
		return nil, err
	}
	cfg.RelayImageDir, cfg.RelayDockerfile = imageDir, "Dockerfile"
	cfg.WebDir, cfg.WebStageDir = filepath.Join("..", "web"), fixtureDir
	gb, err := newGuestbridge(app, cfg, nil)
	if err != nil {
		return nil, err
	}
	return &templates{
		Data:       assertions.Template_FromStack(gb.Data.Stack, nil),
		Api:        assertions.Template_FromStack(gb.Api.Stack, nil),
		Messaging:  assertions.Template_FromStack(gb.Messaging.Stack, nil),
		Relay:      assertions.Template_FromStack(gb.Relay.Stack, nil),
		Web:        assertions.Template_FromStack(gb.Web.Stack, nil),
		Monitoring: assertions.Template_FromStack(gb.Monitoring.Stack, nil),
	}, nil
}

// cdkJSONContext returns the feature flags of the repository's cdk.json, so
// the tests synthesize with the same flags as `cdk synth`.
func cdkJSONContext() (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return doc.Context, nil
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o755)
}

// check runs an assertion that reports failure by panicking (the jsii
// assertions do) and turns the panic into a test error.
func check(t *testing.T, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Error(r)
		}
	}()
	assertion()
}

// obj and arr shorten the matcher literals.
type obj = map[string]any

func arr(items ...any) *[]any { return &items }

func like(m obj) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

func arrayWith(items ...any) assertions.Matcher { return assertions.Match_ArrayWith(&items) }

// resources returns the resources of type typ in tmpl, by logical id.
func resources(tmpl assertions.Template, typ string) map[string]map[string]any {
	found := tmpl.FindResources(jsii.String(typ), nil)
	out := map[string]map[string]any{}
	for id, r := range *found {
		out[id] = *r
	}
	return out
}

// onlyResource returns the one resource of type typ in tmpl.
func onlyResource(t *testing.T, tmpl assertions.Template, typ string) map[string]any {
	t.Helper()
	rs := resources(tmpl, typ)
	if len(rs) != 1 {
		t.Fatalf("want one %s, got %d", typ, len(rs))
	}
	for _, r := range rs {
		return r
	}
	return nil
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// functionEnv returns the environment variables of the Lambda function whose
// Description starts with prefix.
func functionEnv(t *testing.T, tmpl assertions.Template, prefix string) map[string]any {
	t.Helper()
	for _, r := range resources(tmpl, "AWS::Lambda::Function") {
		p := props(r)
		if d, _ := p["Description"].(string); strings.HasPrefix(d, prefix) {
			env, _ := p["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			return vars
		}
	}
	t.Fatalf("no function described %q", prefix)
	return nil
}

// requireKeys fails unless m has every key.
func requireKeys(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %s (have %v)", k, sortedKeys(m))
		}
	}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// statement is one IAM policy statement found in a template.
type statement struct {
	Where     string // logical id of the policy or role
	Effect    string
	Actions   []string
	Resources []any
	Condition map[string]any
}

// policyStatements walks every identity policy of a template: the inline
// policies of AWS::IAM::Policy and of AWS::IAM::Role (not the trust policy).
func policyStatements(tmpl assertions.Template) []statement {
	var out []statement
	add := func(where string, doc any) {
		d, _ := doc.(map[string]any)
		sts, _ := d["Statement"].([]any)
		for _, s := range sts {
			m, _ := s.(map[string]any)
			st := statement{Where: where}
			st.Effect, _ = m["Effect"].(string)
			st.Actions = strings1(m["Action"])
			switch r := m["Resource"].(type) {
			case []any:
				st.Resources = r
			case nil:
			default:
				st.Resources = []any{r}
			}
			st.Condition, _ = m["Condition"].(map[string]any)
			out = append(out, st)
		}
	}
	for id, r := range resources(tmpl, "AWS::IAM::Policy") {
		add(id, props(r)["PolicyDocument"])
	}
	for id, r := range resources(tmpl, "AWS::IAM::Role") {
		pols, _ := props(r)["Policies"].([]any)
		for _, p := range pols {
			m, _ := p.(map[string]any)
			add(id, m["PolicyDocument"])
		}
	}
	return out
}

// strings1 reads a string-or-list-of-strings IAM field.
func strings1(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// actionsOf returns every allowed action in a template, as a set.
func actionsOf(tmpl assertions.Template) map[string]bool {
	out := map[string]bool{}
	for _, st := range policyStatements(tmpl) {
		if st.Effect == "Allow" {
			for _, a := range st.Actions {
				out[a] = true
			}
		}
	}
	return out
}

// resourceStarAllowed are the actions that may be allowed on Resource "*":
// those IAM cannot scope to a resource.
var resourceStarAllowed = map[string]string{
	"sns:Publish":               "SMS to a phone number has no ARN",
	"dynamodb:ListStreams":      "granted by Table.grantStreamRead for the event source mapping",
	"ecr:GetAuthorizationToken": "ECS task execution role: registry login has no resource",
}

// assertLeastPrivilege fails on wildcard actions ("*", "svc:*", "svc:Get*"),
// on Resource "*" for actions other than resourceStarAllowed, and on AWS
// managed policies that grant full or administrative access.
func assertLeastPrivilege(t *testing.T, tmpl assertions.Template) {
	t.Helper()
	sts := policyStatements(tmpl)
	if len(sts) == 0 {
		t.Fatal("no policy statements found")
	}
	for _, st := range sts {
		for _, a := range st.Actions {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %q", st.Where, a)
			}
		}
		for _, r := range st.Resources {
			if r != "*" || st.Effect != "Allow" {
				continue
			}
			for _, a := range st.Actions {
				if _, ok := resourceStarAllowed[a]; !ok {
					t.Errorf("%s: %s allowed on Resource \"*\"", st.Where, a)
				}
			}
		}
	}
	for id, r := range resources(tmpl, "AWS::IAM::Role") {
		b, _ := json.Marshal(props(r)["ManagedPolicyArns"])
		for _, bad := range []string{"FullAccess", "AdministratorAccess", "PowerUserAccess"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s: managed policy with %s: %s", id, bad, b)
			}
		}
	}
}
