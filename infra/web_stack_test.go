package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/httpapi"
)

func TestWebBucketPrivateThroughOAC(t *testing.T) {
	tm := fixtureTemplates(t).Web
	b := props(onlyResource(t, tm, "AWS::S3::Bucket"))
	pab, _ := json.Marshal(b["PublicAccessBlockConfiguration"])
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if !strings.Contains(string(pab), `"`+k+`":true`) {
			t.Errorf("bucket public access block lacks %s: %s", k, pab)
		}
	}
	oac := props(onlyResource(t, tm, "AWS::CloudFront::OriginAccessControl"))
	cfg, _ := json.Marshal(oac["OriginAccessControlConfig"])
	if !strings.Contains(string(cfg), `"OriginAccessControlOriginType":"s3"`) || !strings.Contains(string(cfg), `"SigningBehavior":"always"`) {
		t.Errorf("OAC config = %s", cfg)
	}
	// The bucket policy lets only CloudFront, for this distribution, read.
	pol, _ := json.Marshal(props(onlyResource(t, tm, "AWS::S3::BucketPolicy")))
	if !strings.Contains(string(pol), "cloudfront.amazonaws.com") || !strings.Contains(string(pol), "AWS:SourceArn") {
		t.Errorf("bucket policy does not limit reads to the distribution: %s", pol)
	}
	if strings.Contains(string(pol), `"Principal":"*","Action":"s3:GetObject"`) {
		t.Errorf("bucket readable by anyone: %s", pol)
	}
}

func TestWebDistributionBehaviours(t *testing.T) {
	tm := fixtureTemplates(t).Web
	d := props(onlyResource(t, tm, "AWS::CloudFront::Distribution"))["DistributionConfig"].(map[string]any)
	if got := d["Aliases"]; got == nil || got.([]any)[0] != "app.example.com" {
		t.Errorf("aliases = %v, want the webDomain", got)
	}
	cert, _ := json.Marshal(d["ViewerCertificate"])
	if !strings.Contains(string(cert), testWebCertArn) {
		t.Errorf("viewer certificate = %s", cert)
	}
	def := d["DefaultCacheBehavior"].(map[string]any)
	if def["ViewerProtocolPolicy"] != "redirect-to-https" {
		t.Errorf("default behaviour protocol = %v", def["ViewerProtocolPolicy"])
	}
	if fa, _ := json.Marshal(def["FunctionAssociations"]); !strings.Contains(string(fa), "viewer-request") {
		t.Errorf("default behaviour has no SPA fallback function: %s", fa)
	}
	if _, ok := def["CachePolicyId"].(map[string]any); !ok {
		t.Errorf("default behaviour should use the stack's HTML cache policy, got %v", def["CachePolicyId"])
	}
	// Custom error responses would turn the API's 403/404 into index.html.
	if _, ok := d["CustomErrorResponses"]; ok {
		t.Error("distribution has custom error responses")
	}

	byPath := map[string]map[string]any{}
	for _, b := range d["CacheBehaviors"].([]any) {
		m := b.(map[string]any)
		byPath[m["PathPattern"].(string)] = m
	}
	api := byPath["/v1/*"]
	if api == nil {
		t.Fatalf("no /v1/* behaviour: %v", sortedKeys(nestedKeys(byPath)))
	}
	const cachingDisabled, allViewerExceptHost, cachingOptimized = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
		"b689b0a8-53d0-40ab-baf2-68738e2966ac", "658327ea-f89d-4fab-a63d-7e88639e58f6"
	if api["CachePolicyId"] != cachingDisabled || api["OriginRequestPolicyId"] != allViewerExceptHost {
		t.Errorf("/v1/* policies = cache %v, origin request %v", api["CachePolicyId"], api["OriginRequestPolicyId"])
	}
	if m, _ := json.Marshal(api["AllowedMethods"]); len(api["AllowedMethods"].([]any)) != 7 {
		t.Errorf("/v1/* methods = %s, want all seven", m)
	}
	if assets := byPath[webAssetsPrefix+"/*"]; assets == nil || assets["CachePolicyId"] != cachingOptimized {
		t.Errorf("assets behaviour = %v, want the long-caching policy", assets)
	}
	for path, b := range byPath {
		if _, ok := b["ResponseHeadersPolicyId"]; !ok {
			t.Errorf("%s has no response headers policy", path)
		}
	}
	// The API origin is the HTTP API's host, reached over HTTPS only.
	origins, _ := json.Marshal(d["Origins"])
	if !strings.Contains(string(origins), `"OriginProtocolPolicy":"https-only"`) || !strings.Contains(string(origins), "Fn::Split") {
		t.Errorf("origins = %s", origins)
	}

	fn := props(onlyResource(t, tm, "AWS::CloudFront::Function"))
	if code, _ := fn["FunctionCode"].(string); !strings.Contains(code, "/index.html") {
		t.Errorf("function code = %q", code)
	}
}

func nestedKeys(m map[string]map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// The headers CloudFront adds are the ones the API sends
// (httpapi.SecurityHeaders), with the relay's origin allowed to connect.
func TestWebSecurityHeadersMatchTheAPI(t *testing.T) {
	tm := fixtureTemplates(t).Web
	cfg := props(onlyResource(t, tm, "AWS::CloudFront::ResponseHeadersPolicy"))["ResponseHeadersPolicyConfig"].(map[string]any)
	sec := cfg["SecurityHeadersConfig"].(map[string]any)
	want := httpapi.BrowserPolicy{RelayOrigins: []string{"wss://relay.example.com"}, HTTPS: true}.CSP()
	if got := sec["ContentSecurityPolicy"].(map[string]any)["ContentSecurityPolicy"]; got != want {
		t.Errorf("CSP\n got %v\nwant %v", got, want)
	}
	if got := sec["ReferrerPolicy"].(map[string]any)["ReferrerPolicy"]; got != "no-referrer" {
		t.Errorf("referrer policy = %v", got)
	}
	if _, ok := sec["ContentTypeOptions"]; !ok {
		t.Error("no X-Content-Type-Options: nosniff")
	}
	hsts := sec["StrictTransportSecurity"].(map[string]any)
	if hsts["AccessControlMaxAgeSec"] != 31536000.0 || hsts["IncludeSubdomains"] != false {
		t.Errorf("HSTS = %v, want max-age=31536000 without includeSubDomains", hsts)
	}
}

func TestWebDeploymentCacheControl(t *testing.T) {
	tm := fixtureTemplates(t).Web
	deps := resources(tm, "Custom::CDKBucketDeployment")
	if len(deps) != 2 {
		t.Fatalf("want 2 bucket deployments (assets, index.html), got %d", len(deps))
	}
	var sawAssets, sawIndex bool
	for id, r := range deps {
		p := props(r)
		cc := p["SystemMetadata"].(map[string]any)["cache-control"]
		if p["Prune"] != false {
			t.Errorf("%s prunes: open pages would lose their modules mid-deploy", id)
		}
		switch {
		case strings.HasPrefix(id, "WebAssets"):
			sawAssets = cc == webAssetCacheControl
		case strings.HasPrefix(id, "WebIndex"):
			sawIndex = cc == webIndexCacheControl && p["DistributionId"] != nil
		}
	}
	if !sawAssets || !sawIndex {
		t.Errorf("cache-control per deployment wrong: %v", deps)
	}
}

func TestWebStageRewritesIndexToHashedAssets(t *testing.T) {
	web := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(writeFile(filepath.Join(web, "index.html"), `<link rel="stylesheet" href="/styles.css"><script type="module" src="/js/app.js"></script><a href="#main">x</a>`))
	must(writeFile(filepath.Join(web, "styles.css"), "body{}"))
	must(writeFile(filepath.Join(web, "js", "app.js"), "import './api.js';"))
	must(writeFile(filepath.Join(web, "js", "api.js"), "export {};"))
	must(writeFile(filepath.Join(web, "e2e", "x.test.mjs"), "test"))

	b1, err := stageWeb(web, t.TempDir())
	must(err)
	index, err := os.ReadFile(filepath.Join(b1.Dir, "index.html"))
	must(err)
	want := `href="/assets/` + b1.Hash + `/styles.css"`
	if !strings.Contains(string(index), want) || !strings.Contains(string(index), `src="/assets/`+b1.Hash+`/js/app.js"`) {
		t.Errorf("index.html = %s, want references under /assets/%s/", index, b1.Hash)
	}
	if !strings.Contains(string(index), `href="#main"`) {
		t.Errorf("in-page link rewritten: %s", index)
	}
	for _, f := range []string{"styles.css", "js/app.js", "js/api.js", "index.html"} {
		if _, err := os.Stat(filepath.Join(b1.Dir, "assets", b1.Hash, f)); err != nil {
			t.Errorf("missing asset %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(b1.Dir, "assets", b1.Hash, "e2e")); err == nil {
		t.Error("browser tests were staged")
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(b1.Hash) {
		t.Errorf("hash = %q", b1.Hash)
	}

	// Any change to any served file gives a new hash: a cached module is
	// never stale.
	must(writeFile(filepath.Join(web, "js", "api.js"), "export const x = 1;"))
	b2, err := stageWeb(web, t.TempDir())
	must(err)
	if b2.Hash == b1.Hash {
		t.Error("hash did not change with a module's content")
	}

	must(writeFile(filepath.Join(web, "index.html"), `<script src="/js/missing.js"></script>`))
	if _, err := stageWeb(web, t.TempDir()); err == nil || !strings.Contains(err.Error(), "js/missing.js") {
		t.Errorf("a reference to a missing file: err = %v", err)
	}
}
