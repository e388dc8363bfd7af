package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/guestbridge/guestbridge/shared/openapi"
)

// checkContract is the flow tests' opt-in check of the API against its
// OpenAPI document: with GB_OPENAPI_VALIDATE set (make test sets it), every
// request a flow test sends and every answer it gets is checked, and a
// mismatch fails the test that made the call.
func checkContract(t *testing.T, h http.Handler, always bool) http.Handler {
	if !always && os.Getenv("GB_OPENAPI_VALIDATE") == "" {
		return h
	}
	return contractChecked(h, func(err error) { t.Errorf("OpenAPI contract: %v", err) })
}

var (
	contractOnce   sync.Once
	contractRouter routers.Router
	contractErr    error
)

// loadContract loads the document for checking exchanges. kin-openapi's
// JSON Schema 2020-12 validator, which it uses for 3.1 documents, compiles
// the schema again on every call (about 5 ms an exchange, minutes over the
// flow suite); its schema walker checks the same answer in about 40 µs. The
// walker reads every keyword the document uses (type lists with null, enum,
// required, additionalProperties, oneOf, items, format; $ref siblings are
// merged when the 3.1 document is loaded), so the loaded document is marked
// 3.0 for the walker, and a document that starts using a keyword only the
// 2020-12 validator reads is refused here rather than checked loosely.
func loadContract() (routers.Router, error) {
	contractOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(openapi.JSON)
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err == nil {
			err = onlyWalkerKeywords(openapi.JSON)
		}
		if err != nil {
			contractErr = fmt.Errorf("openapi.json: %w", err)
			return
		}
		doc.OpenAPI = "3.0.3"
		contractRouter, contractErr = gorillamux.NewRouter(doc)
	})
	return contractRouter, contractErr
}

// only2020 are the schema keywords kin-openapi's 3.0 walker does not read.
var only2020 = []string{"const", "prefixItems", "contains", "patternProperties", "dependentSchemas", "propertyNames",
	"unevaluatedItems", "unevaluatedProperties", "if", "then", "else", "dependentRequired", "$defs", "contentSchema"}

// onlyWalkerKeywords refuses a document that uses one of only2020 anywhere
// but as a property's name.
func onlyWalkerKeywords(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	var walk func(v any, underProperties bool, at string) error
	walk = func(v any, underProperties bool, at string) error {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				if !underProperties && slices.Contains(only2020, k) {
					return fmt.Errorf("%s uses %q, which the contract check cannot read", at, k)
				}
				if err := walk(sub, !underProperties && k == "properties", at+"/"+k); err != nil {
					return err
				}
			}
		case []any:
			for _, sub := range x {
				if err := walk(sub, false, at); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(v, false, "")
}

// contractChecked serves h and reports each way the exchange departs from
// the document: a route or status it does not list, an answer whose body
// does not fit the schema (an error code the route does not list included),
// or a request the document refuses that the server accepted.
func contractChecked(h http.Handler, report func(error)) http.Handler {
	router, err := loadContract()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			report(err)
			h.ServeHTTP(w, r)
			return
		}
		reqBody, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if err := checkExchange(router, r, reqBody, rec.Result()); err != nil {
			report(fmt.Errorf("%s %s → %d: %w", r.Method, r.URL.Path, rec.Code, err))
		}
	})
}

func checkExchange(router routers.Router, r *http.Request, reqBody []byte, res *http.Response) error {
	body, _ := io.ReadAll(res.Body)
	// The router's own URL has no scheme or host; the document's server is "/".
	req := r.Clone(context.Background())
	req.URL.Scheme, req.URL.Host = "http", r.Host
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(req)
	if err != nil {
		if res.StatusCode == http.StatusNotFound && errorCode(body) == "route_not_found" {
			return nil // an unknown route, and the server said so
		}
		return fmt.Errorf("not in the document: %v", err)
	}
	opts := &openapi3filter.Options{
		// The authorization tests prove who may call what; here only the
		// shapes are checked, so a missing or bad credential is no mismatch.
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	// A refused request fits whatever the document says of it; one the
	// server took must be one the document accepts. (Each validation
	// compiles its schema, so the first case is not checked at all.)
	if res.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("the document refuses this request but the server answered %d: %v", res.StatusCode, err)
		}
	}
	if route.Operation.Responses.Status(res.StatusCode) == nil {
		return fmt.Errorf("status %d is not documented for this operation", res.StatusCode)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("the answer does not fit the document: %v\nbody: %s", err, clip(body))
	}
	return nil
}

func errorCode(body []byte) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "… (" + strconv.Itoa(len(b)) + " bytes)"
	}
	return string(b)
}
