package recording

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// partsS3 keeps the parts it is sent, and may hold each upload until
// released.
type partsS3 struct {
	nullS3
	mu        sync.Mutex
	parts     [][]byte
	completed int
	hold      chan struct{}
}

func (p *partsS3) UploadPart(_ context.Context, in *s3.UploadPartInput, _ ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	if p.hold != nil {
		<-p.hold
	}
	b, _ := io.ReadAll(in.Body)
	p.mu.Lock()
	p.parts = append(p.parts, b)
	p.mu.Unlock()
	return &s3.UploadPartOutput{ETag: aws.String("e")}, nil
}

func (p *partsS3) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	p.mu.Lock()
	p.completed = len(in.MultipartUpload.Parts)
	p.mu.Unlock()
	return &s3.CompleteMultipartUploadOutput{}, nil
}

func (p *partsS3) count() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.parts) }

// The file goes up in parts of PartSize while it is written, not at the
// end: a relay that dies loses at most the part being filled. A writer
// that outruns S3 waits, so no more than two parts are in memory.
func TestMultipartStreamsAsItGoes(t *testing.T) {
	api := &partsS3{}
	w := newMultipartWriter(api, "b", "k")
	data := bytes.Repeat([]byte("0123456789abcdef"), (2*PartSize+PartSize/2)/16)
	for off := 0; off < len(data); off += 1000 {
		if _, err := w.Write(data[off:min(off+1000, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for api.count() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d parts uploaded before the end of the file, want 2", api.count())
		}
		time.Sleep(time.Millisecond)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(api.parts) != 3 || len(api.parts[0]) != PartSize || len(api.parts[1]) != PartSize || api.completed != 3 {
		t.Fatalf("parts of %d, %d (+%d more), completed with %d", len(api.parts[0]), len(api.parts[1]), len(api.parts)-2, api.completed)
	}
	if !bytes.Equal(bytes.Join(api.parts, nil), data) || w.Written() != int64(len(data)) {
		t.Fatal("the parts are not the file")
	}

	// S3 is stuck: the writer takes one part for the uploader and one to
	// fill, then waits instead of buffering more.
	slow := &partsS3{hold: make(chan struct{})}
	w = newMultipartWriter(slow, "b", "k")
	wrote := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		n := 0
		for n < 4*PartSize {
			if _, err := w.Write(make([]byte, 64<<10)); err != nil {
				break
			}
			n += 64 << 10
			select {
			case wrote <- n:
			default:
				<-wrote
				wrote <- n
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // the writer runs until it blocks
	if n := <-wrote; n > 2*PartSize {
		t.Fatalf("%d bytes taken while S3 was stuck, want at most two parts", n)
	}
	close(slow.hold)
	<-done
	if err := w.Close(); err != nil || len(slow.parts) != 4 {
		t.Fatalf("after S3 came back: %v, %d parts", err, len(slow.parts))
	}
}
