// tools/local holds only npm tooling (package.json: DynamoDB Local, the SES emulator, the CDK
// CLI). This file makes it a module of its own so that the main module's ./... patterns (go
// vet, go test, go list) do not walk into node_modules, where aws-cdk ships Go template files
// that do not compile.
module github.com/guestbridge/guestbridge/tools/local

go 1.26.0
