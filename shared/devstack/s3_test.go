package devstack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The S3 emulator must behave as S3 does where the product relies on it: it
// refuses unknown keys and expired presigned URLs, and it answers
// cross-origin preflights for the web client.
func TestS3EmulatorChecksPresignedUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the S3 emulator")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stack, err := Start(ctx, Options{SESPort: -1, S3: true, S3Buckets: []string{"files"}})
	if errors.Is(err, ErrToolsMissing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	if stack.S3Endpoint == "" {
		t.Fatal("no S3 endpoint")
	}
	client := func(key string) *s3.Client {
		return s3.New(s3.Options{
			Region: "eu-central-1", BaseEndpoint: aws.String(stack.S3Endpoint), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(key, key, ""),
		})
	}
	good := client(S3AccessKey)
	if _, err := good.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String("a.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatalf("put with the emulator's key: %v", err)
	}
	if _, err := client("someone-else").PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String("b.txt"), Body: strings.NewReader("x")}); err == nil {
		t.Fatal("put signed with an unknown key was accepted")
	}

	// s3rver checks a presigned URL's key and expiry, not its signature: a
	// signed header (the content type) that differs is not refused here as it
	// is by S3, so the API checks each uploaded object itself.
	presign := func(signedAt time.Time) string {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut,
			stack.S3Endpoint+"/files/up.jpg?X-Amz-Expires=60", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "image/jpeg")
		creds, _ := good.Options().Credentials.Retrieve(ctx)
		url, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "eu-central-1", signedAt)
		if err != nil {
			t.Fatal(err)
		}
		return url
	}
	put := func(url string) int {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader([]byte{0xff, 0xd8, 0xff}))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "image/jpeg")
		resp, err := (&http.Client{Transport: noKeepAlive}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := put(presign(time.Now().Add(-2 * time.Minute))); got != http.StatusForbidden {
		t.Errorf("PUT on a presigned URL that expired a minute ago: status %d, want 403", got)
	}
	if got := put(presign(time.Now())); got != http.StatusOK {
		t.Errorf("PUT on a fresh presigned URL: status %d, want 200", got)
	}

	pre, err := http.NewRequestWithContext(ctx, http.MethodOptions, stack.S3Endpoint+"/files/up.jpg", nil)
	if err != nil {
		t.Fatal(err)
	}
	pre.Header.Set("Origin", "http://localhost:8080")
	pre.Header.Set("Access-Control-Request-Method", "PUT")
	pre.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := (&http.Client{Transport: noKeepAlive}).Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("CORS preflight: status %d, allow-origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}
