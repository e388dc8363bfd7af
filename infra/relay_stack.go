package main

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Ports of the relay (docs/architecture.md, relay contract).
const (
	// relayUDPPort is the ICE UDP mux port: all media of all sessions of a
	// task, straight to the task's public IP.
	relayUDPPort = 3478
	// relayHTTPPort is signaling (WebSocket), control calls and /healthz,
	// reached only through the load balancer.
	relayHTTPPort = 7880
	// relayTCPPort is the ICE-TCP port (RELAY_TCP_PORT) for clients whose
	// network blocks UDP, straight to the task's public IP like UDP; 443
	// because that is the port such networks leave open.
	relayTCPPort = 443
	// relayDrainSeconds is how long a stopping task keeps its connections:
	// the ECS stop timeout (SIGTERM to SIGKILL; 120 s is Fargate's maximum)
	// and the target group's deregistration delay.
	relayDrainSeconds = 120
	relayHealthPath   = "/healthz"
	// relaySignalPath is the WebSocket path under the signaling URL.
	relaySignalPath = "/signal"
	// relayAppDrain is the relay's own drain bound (RELAY_DRAIN_TIMEOUT):
	// shorter than the stop timeout, so it finishes before SIGKILL.
	relayAppDrain = "110s"
	// relayStunServer answers the relay's binding request for its public IP.
	relayStunServer = "stun.l.google.com:19302"
	// Task size and scaling target follow docs/cost.md ("Relay capacity"):
	// ~50 sessions of 1 customer + 3 technicians per vCPU at 70 % CPU and
	// ~3.5 MB per session, so CPU is the limit and 2 GB (Fargate's minimum
	// for 1 vCPU) is ample; scaling out at 60 % leaves the way to 70 % as
	// margin while a new task starts.
	relayCPUTarget  = 60
	relayTaskCPU    = 1024 // 1 vCPU
	relayTaskMemory = 2048 // MiB
	// recordingsPrefix is where the relay writes recordings in the bucket.
	recordingsPrefix = "recordings/"
)

// RelayStackProps configures the relay stack.
type RelayStackProps struct {
	awscdk.StackProps
	// ImageDir is the Docker build context of the relay image, ImageFile the
	// Dockerfile inside it and ImageExclude the context's ignore patterns
	// (Docker syntax).
	ImageDir     string
	ImageFile    string
	ImageExclude []string
	// Table is the single table; tasks register themselves and heartbeat in
	// it.
	Table awsdynamodb.ITable
	// RelayEventsSecret holds RELAY_EVENTS_SECRET, injected into the
	// container by ECS.
	RelayEventsSecret awssecretsmanager.ISecret
	// EventsURL is RELAY_EVENTS_URL, where the relay posts joined/left events.
	EventsURL *string
	// TicketPublicKey is RELAY_TICKET_PUBLIC_KEY (base64 raw Ed25519).
	TicketPublicKey string
	// CertificateArn selects a TLS listener on 443 (wss://); empty gives a
	// plain TCP listener on 80 (ws://), for trials only.
	CertificateArn string
	// Domain is the name clients connect to (it must match the certificate);
	// empty means the load balancer's DNS name.
	Domain string
	// MaxTasks is the upper bound of CPU auto scaling (at least 1).
	MaxTasks int
	// RecordingsBucket is the case files' bucket, where the relay streams
	// recordings under recordings/ (GB_ATTACHMENTS_BUCKET); nil leaves the
	// relay without recording.
	RecordingsBucket awss3.IBucket
}

// RelayStack runs the media relay on ECS Fargate.
//
// Design: tasks run in public subnets with a public IP (no NAT gateways).
// Media goes straight to a task's public IP on UDP 3478, open to the world as
// WebRTC requires. Signaling and the API's control calls go to TCP 7880, which
// only the Network Load Balancer may reach; the NLB terminates TLS (wss://)
// with the configured certificate. The NLB spreads WebSocket connections over
// the tasks, so the participants of one session may reach different tasks;
// until the relay handles that, the service runs one task (relayMaxTasks=1,
// the default). See docs/deploy.md.
type RelayStack struct {
	awscdk.Stack
	Cluster      awsecs.Cluster
	Targets      awselasticloadbalancingv2.NetworkTargetGroup
	Service      awsecs.FargateService
	LoadBalancer awselasticloadbalancingv2.NetworkLoadBalancer
	// SignalURL is the relay's public signaling URL (ws:// or wss://), which
	// every task writes to its registry item.
	SignalURL *string
}

// NewRelayStack creates the VPC, the cluster, the relay service with its load
// balancer and its CPU auto scaling.
func NewRelayStack(scope constructs.Construct, id string, props *RelayStackProps) *RelayStack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	// Two AZs, public subnets only: tasks get public IPs, so no NAT gateway
	// (the main fixed cost of a small VPC) is needed.
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       jsii.String("public"),
			SubnetType: awsec2.SubnetType_PUBLIC,
			CidrMask:   jsii.Number(24),
		}},
	})
	publicSubnets := &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}

	// Container Insights publishes the running and desired task counts the
	// monitoring stack's alarm compares.
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{
		Vpc:                 vpc,
		ContainerInsightsV2: awsecs.ContainerInsights_ENABLED,
	})

	taskDef := awsecs.NewFargateTaskDefinition(stack, jsii.String("RelayTask"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(relayTaskCPU),
		MemoryLimitMiB: jsii.Number(relayTaskMemory),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       awsecs.CpuArchitecture_ARM64(),
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
	})
	// Tasks register themselves (PK "RELAY") and heartbeat in the table,
	// and read their sessions' state (PK "SESSION#<id>"); the leading-keys
	// condition keeps them off every other partition: accounts, password
	// hashes, guests, the outbox.
	grantRelayTableAccess(taskDef.TaskRole(), props.Table)
	if props.RecordingsBucket != nil {
		// A recording is one multipart upload (s3:PutObject covers its
		// create, parts and completion); the relay aborts a failed one.
		// Nothing else of the bucket: no reads, no other prefixes.
		taskDef.TaskRole().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"),
			Resources: jsii.Strings(*props.RecordingsBucket.ArnForObjects(jsii.String(recordingsPrefix + "*"))),
		}))
	}

	listenerPort, scheme := 80.0, "ws://"
	if props.CertificateArn != "" {
		listenerPort, scheme = 443, "wss://"
	}

	nlbSG := awsec2.NewSecurityGroup(stack, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Relay NLB: signaling from anywhere, to the relay tasks only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	nlbSG.AddIngressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(listenerPort)), jsii.String("relay signaling"), nil)
	nlb := awselasticloadbalancingv2.NewNetworkLoadBalancer(stack, jsii.String("LoadBalancer"), &awselasticloadbalancingv2.NetworkLoadBalancerProps{
		Vpc:            vpc,
		InternetFacing: jsii.Bool(true),
		VpcSubnets:     publicSubnets,
		SecurityGroups: &[]awsec2.ISecurityGroup{nlbSG},
		// With one task, the NLB node in the other AZ still has a target.
		CrossZoneEnabled: jsii.Bool(true),
	})

	host := nlb.LoadBalancerDnsName()
	if props.Domain != "" {
		host = jsii.String(props.Domain)
	}
	signalURL := jsii.String(scheme + *host + relaySignalPath)

	env := map[string]*string{
		"RELAY_TICKET_PUBLIC_KEY": jsii.String(props.TicketPublicKey),
		"RELAY_UDP_PORT":          jsii.String(strconv.Itoa(relayUDPPort)),
		"RELAY_HTTP_ADDR":         jsii.String(":" + strconv.Itoa(relayHTTPPort)),
		"RELAY_EVENTS_URL":        props.EventsURL,
		"RELAY_SIGNAL_URL":        signalURL,
		"RELAY_DRAIN_TIMEOUT":     jsii.String(relayAppDrain),
		// Fargate does not tell a task its public IP: the relay asks a STUN
		// server at start and announces that address in its ICE candidates.
		"RELAY_PUBLIC_IPS": jsii.String("stun:" + relayStunServer),
		// A control call the NLB routes to another task is caught by the
		// relay's periodic read of its sessions' state.
		"RELAY_REVOCATION_INTERVAL": jsii.String("5s"),
		"GB_TABLE":                  props.Table.TableName(),
		// Any task accepts a join and forwards it to the task hosting the
		// session, at the address this task writes to the registry.
		"RELAY_PRIVATE_ADDR": jsii.String("auto"),
		"RELAY_TCP_PORT":     jsii.String(strconv.Itoa(relayTCPPort)),
	}
	if props.RecordingsBucket != nil {
		env["GB_ATTACHMENTS_BUCKET"] = props.RecordingsBucket.BucketName()
	}
	exclude := make([]*string, 0, len(props.ImageExclude))
	for _, p := range props.ImageExclude {
		exclude = append(exclude, jsii.String(p))
	}
	logGroup := awslogs.NewLogGroup(stack, jsii.String("RelayLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
	})
	container := taskDef.AddContainer(jsii.String("relay"), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromAsset(jsii.String(props.ImageDir), &awsecs.AssetImageProps{
			File:       jsii.String(props.ImageFile),
			Exclude:    &exclude,
			IgnoreMode: awscdk.IgnoreMode_DOCKER,
			Platform:   awsecrassets.Platform_LINUX_ARM64(),
		}),
		Essential:   jsii.Bool(true),
		Environment: &env,
		Secrets: &map[string]awsecs.Secret{
			"RELAY_EVENTS_SECRET": awsecs.Secret_FromSecretsManager(props.RelayEventsSecret, nil),
		},
		PortMappings: &[]*awsecs.PortMapping{
			{ContainerPort: jsii.Number(relayHTTPPort), Protocol: awsecs.Protocol_TCP},
			{ContainerPort: jsii.Number(relayUDPPort), Protocol: awsecs.Protocol_UDP},
			{ContainerPort: jsii.Number(relayTCPPort), Protocol: awsecs.Protocol_TCP},
		},
		// The image runs as nonroot: let it bind the ICE-TCP port 443
		// (a sysctl of the task's own network namespace).
		SystemControls: &[]*awsecs.SystemControl{{
			Namespace: jsii.String("net.ipv4.ip_unprivileged_port_start"),
			Value:     jsii.String(strconv.Itoa(relayTCPPort)),
		}},
		// SIGTERM starts the relay's drain; SIGKILL follows after this.
		StopTimeout: awscdk.Duration_Seconds(jsii.Number(relayDrainSeconds)),
		Logging: awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{
			StreamPrefix: jsii.String("relay"),
			LogGroup:     logGroup,
		}),
	})

	serviceSG := awsec2.NewSecurityGroup(stack, jsii.String("RelaySecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:         vpc,
		Description: jsii.String("Relay tasks: ICE UDP and TCP from anywhere, signaling from the NLB and the other relay tasks"),
		// Tasks send media to any client and call DynamoDB, the API and ECR
		// over the internet gateway.
		AllowAllOutbound: jsii.Bool(true),
	})
	serviceSG.AddIngressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Udp(jsii.Number(relayUDPPort)), jsii.String("ICE UDP mux"), nil)
	serviceSG.AddIngressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(relayTCPPort)), jsii.String("ICE-TCP for clients without UDP"), nil)
	// Joins forwarded from the task the NLB picked to the hosting task.
	serviceSG.Connections().AllowInternally(awsec2.Port_Tcp(jsii.Number(relayHTTPPort)), jsii.String("joins forwarded between relay tasks"))

	service := awsecs.NewFargateService(stack, jsii.String("RelayService"), &awsecs.FargateServiceProps{
		Cluster:           cluster,
		TaskDefinition:    taskDef,
		DesiredCount:      jsii.Number(1),
		AssignPublicIp:    jsii.Bool(true),
		VpcSubnets:        publicSubnets,
		SecurityGroups:    &[]awsec2.ISecurityGroup{serviceSG},
		MinHealthyPercent: jsii.Number(100),
		MaxHealthyPercent: jsii.Number(200),
		CircuitBreaker:    &awsecs.DeploymentCircuitBreaker{Rollback: jsii.Bool(true)},
		// Time for a new task to start listening before NLB health checks
		// count against it.
		HealthCheckGracePeriod: awscdk.Duration_Seconds(jsii.Number(60)),
	})
	// Signaling and health checks: NLB to tasks on 7880, nothing else.
	nlb.Connections().AllowTo(service, awsec2.Port_Tcp(jsii.Number(relayHTTPPort)), jsii.String("relay signaling from the NLB"))

	listenerProps := &awselasticloadbalancingv2.BaseNetworkListenerProps{
		Port:     jsii.Number(listenerPort),
		Protocol: awselasticloadbalancingv2.Protocol_TCP,
	}
	if props.CertificateArn != "" {
		listenerProps.Protocol = awselasticloadbalancingv2.Protocol_TLS
		listenerProps.Certificates = &[]awselasticloadbalancingv2.IListenerCertificate{
			awselasticloadbalancingv2.ListenerCertificate_FromArn(jsii.String(props.CertificateArn)),
		}
	} else {
		// No certificate: plain TCP, so signaling is ws:// and browsers
		// accept it only from pages served over http. For trials; set
		// relayCertificateArn for any real use.
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("guestbridge:relayNoTls"),
			jsii.String("relayCertificateArn is not set: the relay signals over plain ws:// on port 80 (trials only)"))
	}
	listener := nlb.AddListener(jsii.String("Signaling"), listenerProps)
	targets := listener.AddTargets(jsii.String("Relay"), &awselasticloadbalancingv2.AddNetworkTargetsProps{
		Port:     jsii.Number(relayHTTPPort),
		Protocol: awselasticloadbalancingv2.Protocol_TCP,
		Targets: &[]awselasticloadbalancingv2.INetworkLoadBalancerTarget{
			service.LoadBalancerTarget(&awsecs.LoadBalancerTargetOptions{
				ContainerName: container.ContainerName(),
				ContainerPort: jsii.Number(relayHTTPPort),
				Protocol:      awsecs.Protocol_TCP,
			}),
		},
		HealthCheck: &awselasticloadbalancingv2.HealthCheck{
			Protocol:                awselasticloadbalancingv2.Protocol_HTTP,
			Path:                    jsii.String(relayHealthPath),
			Interval:                awscdk.Duration_Seconds(jsii.Number(10)),
			HealthyThresholdCount:   jsii.Number(2),
			UnhealthyThresholdCount: jsii.Number(3),
		},
		// Existing WebSockets keep flowing this long after a task starts
		// draining, matching the container's stop timeout.
		DeregistrationDelay: awscdk.Duration_Seconds(jsii.Number(relayDrainSeconds)),
		// The relay caps unauthenticated connections per client address
		// (RELAY_MAX_PENDING_PER_ADDR); IP targets see the NLB's address
		// unless the client's is preserved, and then every client would
		// share one cap.
		PreserveClientIp: jsii.Bool(true),
	})

	scaling := service.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: jsii.Number(1),
		MaxCapacity: jsii.Number(float64(props.MaxTasks)),
	})
	scaling.ScaleOnCpuUtilization(jsii.String("CpuScaling"), &awsecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(relayCPUTarget),
		ScaleOutCooldown:         awscdk.Duration_Minutes(jsii.Number(1)),
		// Scaling in stops a task and ends its sessions after the drain;
		// wait longer before doing it.
		ScaleInCooldown: awscdk.Duration_Minutes(jsii.Number(10)),
	})

	if props.TicketPublicKey == "" {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("guestbridge:relayNoTicketKey"),
			jsii.String("relayTicketPublicKey is not set: the relay cannot verify join tickets"))
	}

	awscdk.NewCfnOutput(stack, jsii.String("RelayLoadBalancerDns"), &awscdk.CfnOutputProps{
		Description: jsii.String("DNS name of the relay's load balancer (point relayDomain here)"),
		Value:       nlb.LoadBalancerDnsName(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("RelaySignalUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Signaling URL of the relay"),
		Value:       signalURL,
	})

	return &RelayStack{Stack: stack, Cluster: cluster, Targets: targets, Service: service, LoadBalancer: nlb, SignalURL: signalURL}
}

// relayTablePartitions are the partition keys the relay may touch.
var relayTablePartitions = []string{"RELAY", "SESSION#*"}

// grantRelayTableAccess lets role read and write the relay's own partitions
// of table and nothing else: dynamodb:LeadingKeys is checked on every item
// and query key, and the statement names the table, not its indexes, whose
// partitions (by user, by email) the condition could not bound.
func grantRelayTableAccess(role awsiam.IRole, table awsdynamodb.ITable) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RelayPartitionsOnly"),
		Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
		Resources: &[]*string{table.TableArn()},
		Conditions: &map[string]any{
			"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": relayTablePartitions},
		},
	}))
}
