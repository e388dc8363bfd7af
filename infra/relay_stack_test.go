package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestRelayStack(t *testing.T) {
	tmpl := fixtureTemplates(t).Relay

	t.Run("vpc without nat", func(t *testing.T) {
		check(t, func() { tmpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(0)) })
		check(t, func() { tmpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(2)) })
		for id, s := range resources(tmpl, "AWS::EC2::Subnet") {
			if props(s)["MapPublicIpOnLaunch"] != true {
				t.Errorf("%s is not a public subnet", id)
			}
		}
	})

	t.Run("fargate service with public ip", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ECS::Service"), obj{
				"LaunchType":   "FARGATE",
				"DesiredCount": 1,
				"NetworkConfiguration": obj{
					"AwsvpcConfiguration": like(obj{"AssignPublicIp": "ENABLED"}),
				},
				"LoadBalancers": arrayWith(like(obj{"ContainerPort": relayHTTPPort})),
			})
		})
	})

	t.Run("task definition", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ECS::TaskDefinition"), obj{
				"RequiresCompatibilities": arr("FARGATE"),
				"RuntimePlatform":         like(obj{"CpuArchitecture": "ARM64"}),
				"ContainerDefinitions": arrayWith(like(obj{
					"StopTimeout": relayDrainSeconds,
					"PortMappings": assertions.Match_ArrayEquals(arr(
						like(obj{"ContainerPort": relayHTTPPort, "Protocol": "tcp"}),
						like(obj{"ContainerPort": relayUDPPort, "Protocol": "udp"}),
						like(obj{"ContainerPort": relayTCPPort, "Protocol": "tcp"}),
					)),
					"Secrets": arrayWith(like(obj{"Name": "RELAY_EVENTS_SECRET"})),
				})),
			})
		})
		td := props(onlyResource(t, tmpl, "AWS::ECS::TaskDefinition"))
		cds, _ := td["ContainerDefinitions"].([]any)
		if len(cds) != 1 {
			t.Fatalf("want one container, got %d", len(cds))
		}
		env := map[string]any{}
		list, _ := cds[0].(map[string]any)["Environment"].([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			env[m["Name"].(string)] = m["Value"]
		}
		requireKeys(t, env, "RELAY_TICKET_PUBLIC_KEY", "RELAY_UDP_PORT", "RELAY_HTTP_ADDR", "RELAY_EVENTS_URL", "RELAY_SIGNAL_URL", "GB_TABLE")
		for k, v := range map[string]string{
			"RELAY_TICKET_PUBLIC_KEY": testTicketKey,
			"RELAY_UDP_PORT":          "3478",
			"RELAY_HTTP_ADDR":         ":7880",
			"RELAY_SIGNAL_URL":        "wss://relay.example.com/signal",
			"RELAY_PUBLIC_IPS":        "stun:stun.l.google.com:19302",
		} {
			if env[k] != v {
				t.Errorf("%s = %v, want %s", k, env[k], v)
			}
		}
		events, _ := json.Marshal(env["RELAY_EVENTS_URL"])
		if !strings.Contains(string(events), "/v1/internal/relay/events") {
			t.Errorf("RELAY_EVENTS_URL = %s", events)
		}
	})

	t.Run("udp open to the world, signaling only from the nlb", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), obj{
				"SecurityGroupIngress": arrayWith(like(obj{
					"IpProtocol": "udp",
					"FromPort":   relayUDPPort,
					"ToPort":     relayUDPPort,
					"CidrIp":     "0.0.0.0/0",
				})),
			})
		})
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), obj{
				"IpProtocol":            "tcp",
				"FromPort":              relayHTTPPort,
				"ToPort":                relayHTTPPort,
				"SourceSecurityGroupId": assertions.Match_AnyValue(),
			})
		})
		// No rule may open 7880 to an address range.
		var rules []map[string]any
		for _, sg := range resources(tmpl, "AWS::EC2::SecurityGroup") {
			in, _ := props(sg)["SecurityGroupIngress"].([]any)
			for _, r := range in {
				m, _ := r.(map[string]any)
				rules = append(rules, m)
			}
		}
		for _, r := range resources(tmpl, "AWS::EC2::SecurityGroupIngress") {
			rules = append(rules, props(r))
		}
		for _, r := range rules {
			from, _ := r["FromPort"].(float64)
			to, _ := r["ToPort"].(float64)
			if r["IpProtocol"] == "tcp" && from <= relayHTTPPort && relayHTTPPort <= to {
				if _, cidr := r["CidrIp"]; cidr {
					t.Errorf("tcp %d open to %v", relayHTTPPort, r["CidrIp"])
				}
			}
			if r["IpProtocol"] == "-1" {
				t.Errorf("all-traffic ingress rule: %v", r)
			}
		}
	})

	t.Run("tls listener and health check", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::LoadBalancer"), obj{
				"Type":   "network",
				"Scheme": "internet-facing",
			})
		})
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), obj{
				"Protocol":     "TLS",
				"Port":         443,
				"Certificates": arr(obj{"CertificateArn": testCertArn}),
			})
		})
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), obj{
				"Port":                relayHTTPPort,
				"Protocol":            "TCP",
				"TargetType":          "ip",
				"HealthCheckProtocol": "HTTP",
				"HealthCheckPath":     relayHealthPath,
				"TargetGroupAttributes": arrayWith(obj{
					"Key":   "deregistration_delay.timeout_seconds",
					"Value": "120",
				}),
			})
		})
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), obj{
				"TargetGroupAttributes": arrayWith(obj{
					"Key":   "preserve_client_ip.enabled",
					"Value": "true",
				}),
			})
		})
	})

	t.Run("cpu auto scaling", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), obj{
				"MinCapacity":       1,
				"MaxCapacity":       4,
				"ScalableDimension": "ecs:service:DesiredCount",
			})
		})
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalingPolicy"), obj{
				"PolicyType": "TargetTrackingScaling",
				"TargetTrackingScalingPolicyConfiguration": like(obj{
					"TargetValue": relayCPUTarget,
					"PredefinedMetricSpecification": obj{
						"PredefinedMetricType": "ECSServiceAverageCPUUtilization",
					},
				}),
			})
		})
	})

	t.Run("iam", func(t *testing.T) {
		assertLeastPrivilege(t, tmpl)
		actions := actionsOf(tmpl)
		for _, a := range []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "secretsmanager:GetSecretValue"} {
			if !actions[a] {
				t.Errorf("missing %s", a)
			}
		}
	})
}
