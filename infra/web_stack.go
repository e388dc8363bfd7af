package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/guestbridge/guestbridge/shared/httpapi"
)

// Cache lifetimes of the web client: content-addressed files for a year,
// index.html not at all (every load asks S3 for the current one, which names
// the current asset hash).
const (
	webAssetCacheControl = "public, max-age=31536000, immutable"
	webIndexCacheControl = "no-cache"
	webAssetMaxAgeDays   = 365
)

// spaFallback is the viewer-request function of the default behaviour: a
// path without a file extension is a client route (/invite, /join,
// /verify-email, /cases/...) and gets index.html; the client reads the route
// from location. It is a function rather than CloudFront's custom error
// responses because those apply to every behaviour: the API's own 403 and
// 404 answers under /v1/* would turn into index.html with status 200.
const spaFallback = `function handler(event) {
  var req = event.request;
  var last = req.uri.substring(req.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    req.uri = '/index.html';
  }
  return req;
}`

// WebStackProps configures the web stack.
type WebStackProps struct {
	awscdk.StackProps
	// Bundle is the staged web client (stageWeb).
	Bundle webBundle
	// ApiEndpoint is the HTTP API's base URL (https://id.execute-api...),
	// the origin of /v1/*.
	ApiEndpoint *string
	// RelayOrigins are the ws(s):// origins of the relay, allowed in the
	// Content-Security-Policy's connect-src.
	RelayOrigins []string
	// Domain and CertificateArn give the distribution a custom name; the
	// certificate must be in us-east-1, as CloudFront requires. Empty means
	// the distribution's own *.cloudfront.net name.
	Domain         string
	CertificateArn string
}

// WebStack serves the web client and the API from one origin.
type WebStack struct {
	awscdk.Stack
	Bucket       awss3.Bucket
	Distribution awscloudfront.Distribution
}

// NewWebStack creates the private bucket, the distribution in front of it
// and of the API, and the deployment of the web client's files.
func NewWebStack(scope constructs.Construct, id string, props *WebStackProps) *WebStack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	// Private: only CloudFront reads it, through Origin Access Control. It
	// is retained on delete (emptying it would take a custom resource
	// function whose log group has no retention); its files are rebuilt
	// from the repository on every deploy.
	bucket := awss3.NewBucket(stack, jsii.String("WebBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})

	// The headers the API sends on every answer (shared/httpapi
	// SecurityHeaders), on every answer of the distribution as well: the
	// client's pages come from S3, which sends none.
	csp := httpapi.BrowserPolicy{RelayOrigins: props.RelayOrigins, HTTPS: true}.CSP()
	headers := awscloudfront.NewResponseHeadersPolicy(stack, jsii.String("SecurityHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Guestbridge: the API's security headers"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{ContentSecurityPolicy: jsii.String(csp), Override: jsii.Bool(true)},
			ContentTypeOptions:    &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			ReferrerPolicy:        &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_NO_REFERRER, Override: jsii.Bool(true)},
			// max-age=31536000 without includeSubDomains, as the API sends.
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Seconds(jsii.Number(31536000)),
				IncludeSubdomains:   jsii.Bool(false),
				Override:            jsii.Bool(true),
			},
		},
	})

	// index.html and client routes: the object's Cache-Control decides
	// (no-cache), nothing is kept by default.
	htmlCache := awscloudfront.NewCachePolicy(stack, jsii.String("HtmlCache"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("Guestbridge index.html: revalidate every time"),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		DefaultTtl:                 awscdk.Duration_Seconds(jsii.Number(0)),
		MaxTtl:                     awscdk.Duration_Days(jsii.Number(1)),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
	fallback := awscloudfront.NewFunction(stack, jsii.String("SpaFallback"), &awscloudfront.FunctionProps{
		Comment: jsii.String("Client routes get index.html"),
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(spaFallback)),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
	})

	s3Origin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil)
	apiHost := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), props.ApiEndpoint, nil))
	apiOrigin := awscloudfrontorigins.NewHttpOrigin(apiHost, &awscloudfrontorigins.HttpOriginProps{
		ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
	})

	distProps := &awscloudfront.DistributionProps{
		Comment:                jsii.String("Guestbridge web client and API"),
		DefaultRootObject:      jsii.String("index.html"),
		HttpVersion:            awscloudfront.HttpVersion_HTTP2_AND_3,
		MinimumProtocolVersion: awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021,
		PriceClass:             awscloudfront.PriceClass_PRICE_CLASS_100,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                s3Origin,
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           htmlCache,
			ResponseHeadersPolicy: headers,
			Compress:              jsii.Bool(true),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				Function: fallback, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
			}},
		},
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{
			webAssetsPrefix + "/*": {
				Origin:                s3Origin,
				ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
				CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
				ResponseHeadersPolicy: headers,
				Compress:              jsii.Bool(true),
			},
			// The API: never cached, every method, every viewer header but
			// Host (API Gateway routes on its own host name); with caching
			// disabled this origin request policy forwards Authorization.
			"/v1/*": {
				Origin:                apiOrigin,
				ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
				AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_ALL(),
				CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
				OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
				ResponseHeadersPolicy: headers,
				Compress:              jsii.Bool(true),
			},
		},
	}
	if props.Domain != "" {
		distProps.DomainNames = jsii.Strings(props.Domain)
		distProps.Certificate = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("WebCertificate"), jsii.String(props.CertificateArn))
	}
	dist := awscloudfront.NewDistribution(stack, jsii.String("Distribution"), distProps)

	// The deployment's own function logs here, kept as long as the
	// functions' logs.
	deployLogs := awslogs.NewLogGroup(stack, jsii.String("WebDeploymentLogs"), &awslogs.LogGroupProps{
		Retention:     logRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// Assets first, index.html second: a browser that gets the new
	// index.html finds its files already there. Neither prunes, so pages
	// open during a deploy keep loading the previous hash's modules.
	assets := awss3deployment.NewBucketDeployment(stack, jsii.String("WebAssets"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(props.Bundle.Dir), nil)},
		Exclude:           jsii.Strings("index.html"),
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(webAssetCacheControl))},
		Prune:             jsii.Bool(false),
		LogGroup:          deployLogs,
	})
	index := awss3deployment.NewBucketDeployment(stack, jsii.String("WebIndex"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(props.Bundle.Dir), nil)},
		Exclude:           jsii.Strings("*"),
		Include:           jsii.Strings("index.html"),
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String(webIndexCacheControl))},
		Prune:             jsii.Bool(false),
		LogGroup:          deployLogs,
		// The edge may hold index.html for up to a second on revalidation;
		// the invalidation makes a deploy visible at once.
		Distribution:      dist,
		DistributionPaths: jsii.Strings("/index.html", "/"),
	})
	index.Node().AddDependency(assets)

	awscdk.NewCfnOutput(stack, jsii.String("WebUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("URL of the web client (set publicUrl to it, or use webDomain)"),
		Value:       jsii.String("https://" + *dist.DistributionDomainName()),
	})
	return &WebStack{Stack: stack, Bucket: bucket, Distribution: dist}
}
