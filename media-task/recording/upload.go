package recording

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PartSize is the size of every part but the last: S3's minimum, so that a
// relay that dies loses at most this much of a recording.
const PartSize = 5 << 20

// S3API is what a recording needs of S3: a multipart upload.
type S3API interface {
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// s3Timeout bounds one S3 call of a recording.
const s3Timeout = 30 * time.Second

// multipartWriter streams what is written to one S3 object in parts of
// PartSize as they fill. One part uploads while the next fills; a writer
// that outruns the upload waits, so a recording holds at most two parts in
// memory.
type multipartWriter struct {
	api         S3API
	bucket, key string

	buf   []byte
	parts chan []byte
	done  chan struct{}

	mu sync.Mutex
	// uploadID is set by the uploader's goroutine before its first part;
	// Close reads it after that goroutine ended.
	uploadID  string
	completed []types.CompletedPart
	err       error
	written   int64
	closeOnce sync.Once
	closeErr  error
}

// newMultipartWriter returns a writer to bucket/key; the upload itself
// starts with the first part, on the uploader's goroutine, so that starting
// a recording makes no network call.
func newMultipartWriter(api S3API, bucket, key string) *multipartWriter {
	w := &multipartWriter{
		api: api, bucket: bucket, key: key,
		buf:   make([]byte, 0, PartSize),
		parts: make(chan []byte),
		done:  make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *multipartWriter) run() {
	defer close(w.done)
	n := int32(0)
	for part := range w.parts {
		n++
		if w.failed() != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), s3Timeout)
		if w.uploadID == "" {
			out, err := w.api.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
				Bucket: aws.String(w.bucket), Key: aws.String(w.key), ContentType: aws.String("video/webm"),
			})
			if err != nil {
				cancel()
				w.setErr(fmt.Errorf("recording: start upload: %w", err))
				continue
			}
			w.mu.Lock()
			w.uploadID = aws.ToString(out.UploadId)
			w.mu.Unlock()
		}
		out, err := w.api.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: aws.String(w.uploadID),
			PartNumber: aws.Int32(n), Body: bytes.NewReader(part), ContentLength: aws.Int64(int64(len(part))),
		})
		cancel()
		if err != nil {
			w.setErr(fmt.Errorf("recording: upload part %d: %w", n, err))
			continue
		}
		w.mu.Lock()
		w.completed = append(w.completed, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
		w.mu.Unlock()
	}
}

func (w *multipartWriter) setErr(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *multipartWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Write buffers p and hands every full part to the uploader. It never
// fails: after an upload failed it drops what it is given (an error would
// stop the WebM writer's goroutine mid-file), and Close reports the failure
// and aborts the upload.
func (w *multipartWriter) Write(p []byte) (int, error) {
	if w.failed() != nil {
		return len(p), nil
	}
	n := len(p)
	for len(p) > 0 {
		take := min(len(p), PartSize-len(w.buf))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == PartSize {
			w.parts <- w.buf
			w.buf = make([]byte, 0, PartSize)
		}
	}
	w.mu.Lock()
	w.written += int64(n)
	w.mu.Unlock()
	return n, nil
}

// Close uploads the last part and completes the object, or aborts the
// upload when a part failed.
func (w *multipartWriter) Close() error {
	w.closeOnce.Do(func() {
		if len(w.buf) > 0 || w.partCount() == 0 {
			w.parts <- w.buf
			w.buf = nil
		}
		close(w.parts)
		<-w.done
		ctx, cancel := context.WithTimeout(context.Background(), s3Timeout)
		defer cancel()
		if err := w.failed(); err != nil {
			if w.uploadID != "" {
				w.abort(ctx)
			}
			w.closeErr = err
			return
		}
		w.mu.Lock()
		parts := w.completed
		w.mu.Unlock()
		if _, err := w.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: aws.String(w.uploadID),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		}); err != nil {
			w.abort(ctx)
			w.closeErr = fmt.Errorf("recording: complete upload: %w", err)
		}
	})
	return w.closeErr
}

// partCount is how many parts have been handed to the uploader.
func (w *multipartWriter) partCount() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return (w.written - int64(len(w.buf))) / PartSize
}

func (w *multipartWriter) abort(ctx context.Context) {
	_, _ = w.api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: aws.String(w.uploadID),
	})
}

// Written is how many bytes the object holds once closed.
func (w *multipartWriter) Written() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}
