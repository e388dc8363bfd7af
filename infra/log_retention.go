package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// retainProviderLogs gives the Lambda functions CDK adds on its own (custom
// resource providers, such as the VPC's default-security-group one) a log
// group with the app's retention: left alone they log to a group Lambda
// creates without one, kept forever.
func retainProviderLogs(stack awscdk.Stack) {
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if !*awscdk.CfnResource_IsCfnResource(c) {
			continue
		}
		res, ok := c.(awscdk.CfnResource)
		if !ok || *res.CfnResourceType() != "AWS::Lambda::Function" {
			continue
		}
		if fn, ok := c.(interface{ LoggingConfig() any }); ok && fn.LoggingConfig() != nil {
			continue
		}
		logs := awslogs.NewLogGroup(stack, jsii.String("ProviderLogs"+(*c.Node().Addr())[:12]), &awslogs.LogGroupProps{
			Retention:     logRetention,
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		res.AddPropertyOverride(jsii.String("LoggingConfig.LogGroup"), logs.LogGroupName())
	}
}
