// Package blobstore keeps the files of cases in an S3 bucket: presigned
// uploads and downloads for browsers, and the reads, writes and deletes the
// API does itself. URLs are signed at the injected clock's time, so their
// expiry follows the same clock as every other rule.
package blobstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/guestbridge/guestbridge/shared/attachment"
	"github.com/guestbridge/guestbridge/shared/clock"
)

// Bucket is one S3 bucket.
type Bucket struct {
	client  *s3.Client
	presign *s3.PresignClient
	name    string
	clock   clock.Clock
}

var _ attachment.Blobs = (*Bucket)(nil)

// New returns the bucket name reached through client; URLs are signed at
// c's time.
func New(client *s3.Client, name string, c clock.Clock) *Bucket {
	pc := s3.NewPresignClient(client, func(o *s3.PresignOptions) {
		o.Presigner = clockSigner{signer: v4.NewSigner(), clock: c}
	})
	return &Bucket{client: client, presign: pc, name: name, clock: c}
}

// clockSigner signs at the clock's time rather than the machine's.
type clockSigner struct {
	signer *v4.Signer
	clock  clock.Clock
}

func (c clockSigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
	_ time.Time, opts ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return c.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, c.clock.Now(), opts...)
}

// PresignPut signs a PUT of exactly size bytes of contentType: both are
// signed headers, which S3 enforces.
func (b *Bucket) PresignPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (attachment.Presigned, error) {
	at := b.clock.Now()
	req, err := b.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: &b.name, Key: &key, ContentType: &contentType, ContentLength: &size,
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return attachment.Presigned{}, fmt.Errorf("presign put: %w", err)
	}
	headers := map[string]string{"Content-Type": contentType}
	return attachment.Presigned{URL: req.URL, Headers: headers, ExpiresAt: at.Add(ttl)}, nil
}

// PresignGet signs a GET that is served as contentType and saved under
// filename, whatever the object's stored metadata says.
func (b *Bucket) PresignGet(ctx context.Context, key, contentType, filename string, ttl time.Duration) (attachment.Presigned, error) {
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": filename})
	at := b.clock.Now()
	req, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &b.name, Key: &key, ResponseContentType: &contentType, ResponseContentDisposition: &disp,
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return attachment.Presigned{}, fmt.Errorf("presign get: %w", err)
	}
	return attachment.Presigned{URL: req.URL, ExpiresAt: at.Add(ttl)}, nil
}

// Head returns the stored size of key, or attachment.ErrBlobMissing.
func (b *Bucket) Head(ctx context.Context, key string) (int64, error) {
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.name, Key: &key})
	if missing(err) {
		return 0, attachment.ErrBlobMissing
	}
	if err != nil {
		return 0, fmt.Errorf("head %s: %w", key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// ReadRange reads n bytes of key from off (fewer at the end of the object).
func (b *Bucket) ReadRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	rng := fmt.Sprintf("bytes=%d-%d", off, off+n-1)
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: &key, Range: &rng})
	if missing(err) {
		return nil, attachment.ErrBlobMissing
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, n))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return body, nil
}

// Put writes body to key.
func (b *Bucket) Put(ctx context.Context, key, contentType string, body []byte) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &b.name, Key: &key, ContentType: &contentType,
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Delete removes key; a key that holds nothing is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.name, Key: &key})
	if err != nil && !missing(err) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

func missing(err error) bool {
	var nf *s3types.NotFound
	var nk *s3types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nk) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey")
}
