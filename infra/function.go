package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// goFunctionProps are the parts of a Go Lambda function that differ between
// the functions; the rest is the same for all of them.
type goFunctionProps struct {
	// AssetDir is the directory holding the function's bootstrap binary.
	AssetDir    string
	Description string
	Environment map[string]string
	Timeout     awscdk.Duration
	// ReservedConcurrency caps the function's concurrent runs and reserves
	// them; 0 leaves the function on the account's shared pool.
	ReservedConcurrency int
}

// functionMemoryMiB is the memory size of every function.
const functionMemoryMiB = 256

// logRetention is how long every log group of the app keeps its records:
// long enough to look into an incident reported weeks later, short enough
// that logs holding addresses do not pile up.
const logRetention = awslogs.RetentionDays_ONE_MONTH

// newGoFunction creates a Go Lambda function for provided.al2023 on arm64 from
// a prebuilt bootstrap binary, with its own log group (one month retention)
// and JSON logging, so the application's slog JSON records keep their fields.
func newGoFunction(scope constructs.Construct, id string, p goFunctionProps) awslambda.Function {
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: logRetention,
	})
	env := make(map[string]*string, len(p.Environment))
	for k, v := range p.Environment {
		env[k] = jsii.String(v)
	}
	fp := &awslambda.FunctionProps{
		Description:   jsii.String(p.Description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(p.AssetDir), nil),
		MemorySize:    jsii.Number(functionMemoryMiB),
		Timeout:       p.Timeout,
		Environment:   &env,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
	}
	if p.ReservedConcurrency > 0 {
		fp.ReservedConcurrentExecutions = jsii.Number(float64(p.ReservedConcurrency))
	}
	return awslambda.NewFunction(scope, jsii.String(id), fp)
}
