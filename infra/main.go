// Command infra is the Guestbridge AWS CDK app: the data, API, messaging and
// relay stacks of docs/architecture.md. cdk.json at the repository root runs
// it as `go run ./infra`; docs/deploy.md says how to deploy it.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// stackPrefix names the stacks: Guestbridge-Data, Guestbridge-Api, ...
const stackPrefix = "Guestbridge-"

func main() {
	err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "guestbridge infra:", err)
	}
	jsii.Close()
	if err != nil {
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	cfg, err := parseConfig(func(key string) any {
		return app.Node().TryGetContext(jsii.String(key))
	})
	if err != nil {
		return err
	}
	// The staged web client is copied into the cloud assembly at synth;
	// the staging directory is not needed afterwards.
	stage, err := os.MkdirTemp("", "guestbridge-web-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	cfg.WebStageDir = stage
	if _, err := newGuestbridge(app, cfg, envFromCLI()); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// envFromCLI returns the account and region the CDK CLI resolved from the
// caller's credentials, or nil (an environment-agnostic app, synthesized
// offline) when there are none.
func envFromCLI() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}

// guestbridge is the set of stacks of one deployment.
type guestbridge struct {
	Data       *DataStack
	Api        *ApiStack
	Messaging  *MessagingStack
	Relay      *RelayStack
	Web        *WebStack
	Monitoring *MonitoringStack
}

// newGuestbridge checks the build inputs and adds all stacks to app.
func newGuestbridge(app awscdk.App, cfg config, env *awscdk.Environment) (*guestbridge, error) {
	assets, err := lambdaAssetDirs(cfg.AssetDir)
	if err != nil {
		return nil, err
	}
	imageDir, err := relayImageContext(cfg.RelayImageDir, cfg.RelayDockerfile)
	if err != nil {
		return nil, err
	}
	bundle, err := stageWeb(cfg.WebDir, cfg.WebStageDir)
	if err != nil {
		return nil, err
	}
	stackProps := func(description string) awscdk.StackProps {
		return awscdk.StackProps{Env: env, Description: jsii.String(description)}
	}

	data := NewDataStack(app, stackPrefix+"Data", &DataStackProps{
		StackProps: stackProps("Guestbridge data: table, secrets and attachments bucket (retained on delete)"),
		CorsOrigin: cfg.PublicOrigin(),
	})
	api := NewApiStack(app, stackPrefix+"Api", &ApiStackProps{
		StackProps:        stackProps("Guestbridge API: HTTP API and the api function"),
		AssetDir:          assets["api"],
		Table:             data.Table,
		RootSecret:        data.RootSecret,
		RelayEventsSecret: data.RelayEventsSecret,
		Attachments:       data.Attachments,
		PublicURL:         cfg.PublicURL,
		CorsOrigin:        cfg.PublicOrigin(),
		SMSPerOrgPerDay:   cfg.SMSPerOrgPerDay,
		SMSCountries:      cfg.SMSCountries,
	})
	messaging := NewMessagingStack(app, stackPrefix+"Messaging", &MessagingStackProps{
		StackProps:        stackProps("Guestbridge messaging: outbox sender and expiry sweep"),
		SenderAssetDir:    assets["sender"],
		SweepAssetDir:     assets["sweep"],
		DeliveryAssetDir:  assets["delivery"],
		SenderConcurrency: cfg.SenderConcurrency,
		Table:             data.Table,
		RootSecret:        data.RootSecret,
		PublicURL:         cfg.PublicURL,
		MailFrom:          cfg.MailFrom,
		MailDomain:        cfg.MailDomain(),
	})
	relay := NewRelayStack(app, stackPrefix+"Relay", &RelayStackProps{
		StackProps:        stackProps("Guestbridge relay: media relay on ECS Fargate"),
		ImageDir:          imageDir,
		ImageFile:         cfg.RelayDockerfile,
		ImageExclude:      cfg.RelayImageExclude,
		Table:             data.Table,
		RelayEventsSecret: data.RelayEventsSecret,
		EventsURL:         jsii.String(*api.Endpoint + "/v1/internal/relay/events"),
		TicketPublicKey:   cfg.RelayTicketPublicKey,
		CertificateArn:    cfg.RelayCertificateArn,
		Domain:            cfg.RelayDomain,
		MaxTasks:          cfg.RelayMaxTasks,
		RecordingsBucket:  data.Attachments,
	})

	// The browser reaches the relay at the signaling URL's origin, which the
	// web client's Content-Security-Policy must allow.
	relayScheme, relayHost := "ws://", relay.LoadBalancer.LoadBalancerDnsName()
	if cfg.RelayCertificateArn != "" {
		relayScheme = "wss://"
	}
	if cfg.RelayDomain != "" {
		relayHost = jsii.String(cfg.RelayDomain)
	}
	web := NewWebStack(app, stackPrefix+"Web", &WebStackProps{
		StackProps:     stackProps("Guestbridge web: the web client and the API behind one CloudFront distribution"),
		Bundle:         bundle,
		ApiEndpoint:    api.Endpoint,
		RelayOrigins:   []string{relayScheme + *relayHost},
		Domain:         cfg.WebDomain,
		CertificateArn: cfg.WebCertificateArn,
	})
	monitoring := NewMonitoringStack(app, stackPrefix+"Monitoring", &MonitoringStackProps{
		StackProps: stackProps("Guestbridge monitoring: alarms, their SNS topic and the dashboard"),
		AlarmEmail: cfg.AlarmEmail,
		HttpApi:    api.HttpApi,
		Functions: map[string]awslambda.IFunction{
			"api": api.Function, "sender": messaging.Sender, "sweep": messaging.Sweep, "delivery": messaging.Delivery,
		},
		Sender:             messaging.Sender,
		Table:              data.Table,
		DLQs:               map[string]awssqs.IQueue{"stream": messaging.StreamDLQ, "schedule": messaging.ScheduleDLQ},
		RelayCluster:       relay.Cluster,
		RelayService:       relay.Service,
		RelayTargets:       relay.Targets,
		SMSMonthlyLimitUSD: cfg.SMSMonthlyLimitUSD,
	})

	for _, st := range []awscdk.Stack{data.Stack, api.Stack, messaging.Stack, relay.Stack, web.Stack, monitoring.Stack} {
		retainProviderLogs(st)
	}

	if cfg.Defaulted[ctxPublicURL] {
		awscdk.Annotations_Of(api.Stack).AddWarningV2(jsii.String("guestbridge:defaultPublicUrl"),
			jsii.String("publicUrl and webDomain are not set: links and CORS use "+defaultPublicURL+"; set publicUrl to the WebUrl output (or set webDomain) and deploy again"))
	}
	if cfg.Defaulted[ctxMailFrom] {
		awscdk.Annotations_Of(messaging.Stack).AddWarningV2(jsii.String("guestbridge:defaultMailFrom"),
			jsii.String("mailFrom is not set: the sender uses "+defaultMailFrom+", which SES will refuse"))
	}
	return &guestbridge{Data: data, Api: api, Messaging: messaging, Relay: relay, Web: web, Monitoring: monitoring}, nil
}
