package openapi_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/guestbridge/guestbridge/shared/httpapi"
	"github.com/guestbridge/guestbridge/shared/openapi"
)

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.JSON)
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	return doc
}

// TestDocumentValidates: the document is a valid OpenAPI 3.1 document, its
// examples fit their schemas and every operation has an id.
func TestDocumentValidates(t *testing.T) {
	doc := load(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.json is not valid: %v", err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
			if op.Responses.Value("500") == nil {
				t.Errorf("%s %s does not document the 500 every route can answer", method, path)
			}
		}
	}
}

// TestEveryRouteDocumented proves the document true both ways: each route
// the router serves is in it, and each documented operation is served, with
// the same method, path and parameter names.
func TestEveryRouteDocumented(t *testing.T) {
	doc := load(t)
	documented := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = op
		}
	}
	served := map[string]httpapi.Route{}
	for _, rt := range httpapi.New(httpapi.Deps{}).Routes() {
		served[rt.Method+" "+rt.Pattern] = rt
	}
	if len(served) == 0 {
		t.Fatal("the router lists no routes")
	}
	for key, rt := range served {
		op, ok := documented[key]
		if !ok {
			t.Errorf("served but not documented: %s (add it to shared/openapi/openapi.json)", key)
			continue
		}
		// The document's security must say what the router enforces: a
		// bearer token on every route but the public ones.
		public := op.Security != nil && len(*op.Security) == 0 || op.Security != nil && !requires(*op.Security, "bearerAuth")
		if public != rt.Public {
			t.Errorf("%s: documented public=%v, router public=%v", key, public, rt.Public)
		}
	}
	for key := range documented {
		if _, ok := served[key]; !ok {
			t.Errorf("documented but not served: %s", key)
		}
	}
	if t.Failed() {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range served {
				if !yield(k) {
					return
				}
			}
		})
		t.Logf("the router serves:\n%s", strings.Join(keys, "\n"))
	}
}

func requires(sec openapi3.SecurityRequirements, scheme string) bool {
	for _, req := range sec {
		if _, ok := req[scheme]; ok {
			return true
		}
	}
	return false
}
