package main

import (
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestRelayFleet checks what makes the relay tasks one fleet with a TCP
// path: ICE-TCP on 443 open to the world on the task (not through the NLB:
// media goes to the hosting task's own address), joins forwarded between
// tasks on the signaling port within the relay security group only, and
// the task's settings for both.
func TestRelayFleet(t *testing.T) {
	tmpl := fixtureTemplates(t).Relay

	t.Run("ice-tcp open on the tasks", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), obj{
				"SecurityGroupIngress": arrayWith(like(obj{
					"IpProtocol": "tcp", "FromPort": relayTCPPort, "ToPort": relayTCPPort, "CidrIp": "0.0.0.0/0",
				})),
			})
		})
	})

	t.Run("forwarding between tasks from the relay group only", func(t *testing.T) {
		var relaySG string
		for id, sg := range resources(tmpl, "AWS::EC2::SecurityGroup") {
			if in, _ := props(sg)["SecurityGroupIngress"].([]any); len(in) > 0 {
				for _, r := range in {
					if m, _ := r.(map[string]any); m["IpProtocol"] == "udp" {
						relaySG = id
					}
				}
			}
		}
		if relaySG == "" {
			t.Fatal("no relay security group")
		}
		found := false
		for _, r := range resources(tmpl, "AWS::EC2::SecurityGroupIngress") {
			p := props(r)
			from, _ := p["FromPort"].(float64)
			if p["IpProtocol"] != "tcp" || from != relayHTTPPort {
				continue
			}
			if refersTo(p["GroupId"], relaySG) && refersTo(p["SourceSecurityGroupId"], relaySG) {
				found = true
			}
		}
		if !found {
			t.Errorf("no rule lets relay tasks reach each other on %d", relayHTTPPort)
		}
	})

	t.Run("task settings", func(t *testing.T) {
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ECS::TaskDefinition"), obj{
				"ContainerDefinitions": arrayWith(like(obj{
					"Environment": arrayWith(
						like(obj{"Name": "RELAY_PRIVATE_ADDR", "Value": "auto"}),
						like(obj{"Name": "RELAY_TCP_PORT", "Value": "443"}),
					),
					"SystemControls": arrayWith(like(obj{"Namespace": "net.ipv4.ip_unprivileged_port_start", "Value": "443"})),
					"StopTimeout":    relayDrainSeconds,
				})),
			})
		})
		check(t, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), obj{
				"TargetGroupAttributes": arrayWith(like(obj{"Key": "deregistration_delay.timeout_seconds", "Value": "120"})),
			})
		})
	})
}

// refersTo reports whether v is {"Fn::GetAtt": [id, ...]} or {"Ref": id}.
func refersTo(v any, id string) bool {
	m, _ := v.(map[string]any)
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		return ga[0] == id
	}
	return m["Ref"] == id
}
