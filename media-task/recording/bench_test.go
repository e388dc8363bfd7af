package recording

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/pion/rtp"

	"github.com/guestbridge/guestbridge/media-task/media"
)

// nullS3 accepts every part and keeps nothing.
type nullS3 struct{}

func (nullS3) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("u")}, nil
}

func (nullS3) UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	return &s3.UploadPartOutput{ETag: aws.String("e")}, nil
}

func (nullS3) CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return &s3.CompleteMultipartUploadOutput{}, nil
}

func (nullS3) AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return &s3.AbortMultipartUploadOutput{}, nil
}

// BenchmarkRecordPacket is the recorder's CPU per recorded RTP packet of a
// 1 Mbit/s VP8 stream (about 4 packets a frame) with its Opus audio, from
// the tap's copy to the bytes handed to S3: the cost a recording adds to
// the relay, per packet the customer sends (make bench-relay compares it
// with the cost of forwarding).
func BenchmarkRecordPacket(b *testing.B) {
	video := &fakeTrack{kind: media.Video}
	audio := &fakeTrack{kind: media.Audio}
	rec, err := NewManager(nullS3{}, "b", nil).Start("k", []Track{{video, "v"}, {audio, "a"}})
	if err != nil {
		b.Fatal(err)
	}
	const perFrame = 4
	var pkts [][]byte
	var tracks []*fakeTrack
	seq, aseq := uint16(0), uint16(0)
	for f := range 300 {
		frame := vp8Frame(f%90 == 0, perFrame*1100)
		for i := range perFrame {
			desc := byte(0)
			if i == 0 {
				desc = 0x10
			}
			p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(f * 3000), Marker: i == perFrame-1},
				Payload: append([]byte{desc}, frame[i*1100:(i+1)*1100]...)}
			seq++
			buf, _ := p.Marshal()
			pkts, tracks = append(pkts, buf), append(tracks, video)
		}
		if f%2 == 0 {
			for range 3 {
				p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: aseq, Timestamp: uint32(aseq) * 960}, Payload: make([]byte, 80)}
				p.Payload[0] = 0xf8
				aseq++
				buf, _ := p.Marshal()
				pkts, tracks = append(pkts, buf), append(tracks, audio)
			}
		}
	}
	now := time.Now()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		// Sequence numbers and timestamps keep rising across rounds.
		k := i % len(pkts)
		round := uint32(i / len(pkts))
		p := pkts[k]
		var h rtp.Header
		_, _ = h.Unmarshal(p)
		if tracks[k] == video {
			h.SequenceNumber += uint16(round) * seq
			h.Timestamp += round * 300 * 3000
		} else {
			h.SequenceNumber += uint16(round) * aseq
			h.Timestamp += round * uint32(aseq) * 960
		}
		hb, _ := h.Marshal()
		copy(p, hb)
		tracks[k].send(p, now.Add(time.Duration(i)*7*time.Millisecond))
		for len(rec.queue) > queueSize/2 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	if _, err := rec.Stop(); err != nil {
		b.Fatal(err)
	}
	// The process's CPU time, not the wall time: on a shared machine the
	// wall time mostly measures waiting for a core.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/pkt")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
