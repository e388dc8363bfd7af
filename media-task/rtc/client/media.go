package client

import (
	"time"

	"github.com/pion/rtp"
)

// Synthetic media parameters.
const (
	frameRate      = 30
	maxRTPPayload  = 1100
	opusFrameBytes = 80
	opusInterval   = 20 * time.Millisecond
)

// generate publishes synthetic VP8 (key frames valid up to the header: tag,
// start code, size) and Opus until the client closes. A PLI or FIR from the
// relay makes the next frame a key frame.
func (c *Client) generate() {
	defer c.wg.Done()
	frameTick := time.NewTicker(time.Second / frameRate)
	defer frameTick.Stop()
	audioTick := time.NewTicker(opusInterval)
	defer audioTick.Stop()

	var vseq, aseq uint16
	var vts, ats uint32
	frameBytes := c.opts.VideoBitrate / 8 / frameRate
	payload := make([]byte, maxRTPPayload+1)
	for i := range payload {
		payload[i] = byte(i*7 + 3)
	}
	// An Opus packet an independent reader accepts: a TOC byte (CELT
	// full band, 20 ms, one frame), then filler that decodes to noise.
	opus := make([]byte, opusFrameBytes)
	copy(opus, payload)
	opus[0] = 0xf8
	var lastKey time.Time
	var vpkt, apkt rtp.Packet
	vpkt.Version, apkt.Version = 2, 2
	if c.video == nil {
		frameTick.Stop()
	}
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-frameTick.C:
			key := lastKey.IsZero() || c.keyframeReq.Swap(false) || now.Sub(lastKey) >= c.opts.KeyframeInterval
			if c.est != nil {
				// The encoder follows the estimate, as a browser's does.
				frameBytes = min(c.opts.VideoBitrate, c.est.GetTargetBitrate()) / 8 / frameRate
			}
			size := frameBytes
			if key {
				lastKey = now
				size = frameBytes * 4
			}
			for off := 0; off < size; off += maxRTPPayload {
				n := min(maxRTPPayload, size-off)
				p := payload[:n+1]
				p[0] = 0x00
				if off == 0 {
					p[0] = 0x10 // S: start of partition 0, PID 0
					hdr := p[1:]
					if key {
						copy(hdr, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01})
					} else {
						copy(hdr, []byte{0x11, 0x02, 0x00})
					}
				}
				vpkt.SequenceNumber = vseq
				vpkt.Timestamp = vts
				vpkt.Marker = off+n >= size
				vpkt.Payload = p
				vseq++
				if err := c.video.WriteRTP(&vpkt); err != nil {
					return
				}
				// Restore the bytes a header overwrote for the next frame.
				if off == 0 {
					for i := 1; i < 11 && i < len(payload); i++ {
						payload[i] = byte(i*7 + 3)
					}
				}
			}
			vts += 90000 / frameRate
		case <-audioTick.C:
			apkt.SequenceNumber = aseq
			apkt.Timestamp = ats
			apkt.Payload = opus
			aseq++
			ats += 960
			if err := c.audio.WriteRTP(&apkt); err != nil {
				return
			}
		}
	}
}
