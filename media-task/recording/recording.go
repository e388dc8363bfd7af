// Package recording records a session's tracks without decoding them: RTP
// packets copied from the relay's forwarding loop are put together into
// frames by pion's sample builder, written into a WebM file by ebml-go, and
// the file is streamed to S3 as a multipart upload in parts of PartSize
// while it grows. A recording holds at most two parts in memory, and a relay
// that dies loses at most the part not yet uploaded; the bucket's lifecycle
// rule aborts the upload it leaves behind.
package recording

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guestbridge/guestbridge/media-task/media"
)

// queueSize bounds the packets waiting for a recording's goroutine: about
// two seconds of a 1 Mbit/s video stream with its audio. The forwarding loop
// never waits for a recording; packets beyond this are dropped and counted.
const queueSize = 512

// ErrNoTracks is returned by Start without a track to record.
var ErrNoTracks = errors.New("recording: no track to record")

// ErrNotTappable is returned by Start for a track that cannot be copied.
var ErrNotTappable = errors.New("recording: track cannot be recorded")

// Manager starts recordings into one bucket.
type Manager struct {
	api    S3API
	bucket string
	log    *slog.Logger
	now    func() time.Time
}

// NewManager returns a Manager writing to bucket through api.
func NewManager(api S3API, bucket string, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{api: api, bucket: bucket, log: log, now: time.Now}
}

// Track is one track to record and its name in the file.
type Track struct {
	Track media.Track
	Name  string
}

// Result is what a finished recording wrote.
type Result struct {
	Bytes    int64
	Duration time.Duration
	// Dropped counts packets the recording could not keep up with.
	Dropped uint64
}

// Recording is one recording in progress.
type Recording struct {
	key     string
	queue   chan packet
	stop    chan struct{}
	done    chan struct{}
	removes []func()
	dropped atomic.Uint64

	stopOnce sync.Once
	res      Result
	err      error
}

type packet struct {
	track int
	b     []byte
	at    time.Time
}

// tap copies one track's packets into its recording's queue.
type tap struct {
	r *Recording
	i int
}

func (t tap) RTP(pkt []byte, at time.Time) {
	select {
	case t.r.queue <- packet{track: t.i, b: append([]byte(nil), pkt...), at: at}:
	default:
		t.r.dropped.Add(1)
	}
}

// Start records tracks into the object key until Stop. The video track, if
// any, is asked for a key frame at once, since the file starts with one.
func (m *Manager) Start(key string, tracks []Track) (*Recording, error) {
	if len(tracks) == 0 {
		return nil, ErrNoTracks
	}
	specs := make([]TrackSpec, len(tracks))
	for i, t := range tracks {
		if _, ok := t.Track.(media.Tappable); !ok {
			return nil, ErrNotTappable
		}
		specs[i] = TrackSpec{Kind: t.Track.Kind(), Name: t.Name}
	}
	r := &Recording{
		key:   key,
		queue: make(chan packet, queueSize),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	out := newMultipartWriter(m.api, m.bucket, key)
	w := newWebmWriter(out, specs, func(i int) { tracks[i].Track.RequestKeyframe() })
	go r.run(w, out, m)
	for i, t := range tracks {
		r.removes = append(r.removes, t.Track.(media.Tappable).AddTap(tap{r: r, i: i}))
		t.Track.RequestKeyframe()
	}
	m.log.Info("recording started", "key", key, "tracks", len(tracks))
	return r, nil
}

func (r *Recording) run(w *webmWriter, out *multipartWriter, m *Manager) {
	defer close(r.done)
	for {
		select {
		case p := <-r.queue:
			w.push(p.track, p.b, p.at)
		case <-r.stop:
			// The taps are gone: what is queued is all there is.
			for {
				select {
				case p := <-r.queue:
					w.push(p.track, p.b, p.at)
					continue
				default:
				}
				break
			}
			r.err = w.close(m.now())
			r.res = Result{Bytes: out.Written(), Duration: time.Duration(w.durationMs) * time.Millisecond, Dropped: r.dropped.Load()}
			if r.err != nil {
				m.log.Warn("recording failed", "key", r.key, "err", r.err)
			} else {
				m.log.Info("recording finished", "key", r.key, "bytes", r.res.Bytes, "durationMs", w.durationMs, "frames", w.frames, "perTrack", w.perTrack(), "dropped", r.res.Dropped)
			}
			return
		}
	}
}

// Stop ends the recording, writes the rest of the file and completes the
// upload; it returns when the object is complete in S3 (or the upload was
// aborted, with the error). It may be called more than once.
func (r *Recording) Stop() (Result, error) {
	r.stopOnce.Do(func() {
		for _, rm := range r.removes {
			rm()
		}
		close(r.stop)
	})
	<-r.done
	return r.res, r.err
}

// Key returns the recording's object key.
func (r *Recording) Key() string { return r.key }
