// Package openapi holds Guestbridge's OpenAPI 3.1 document, the contract of
// every /v1 route. openapi.json is the source: edit it by hand when a route
// or a body changes; the tests of this package fail until the document and
// the router agree, and the flow tests fail when an answer does not fit it.
package openapi

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
)

// JSON is the document as served at GET /v1/openapi.json.
//
//go:embed openapi.json
var JSON []byte

// ETag is a strong tag of JSON: the document changes only with a deploy.
var ETag = func() string {
	sum := sha256.Sum256(JSON)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}()
