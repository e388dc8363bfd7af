package rtc

import "sync"

// maxPacketSize is the largest RTP packet kept or forwarded.
const maxPacketSize = 1500

type cacheEntry struct {
	seq   uint16
	n     uint16
	valid bool
	buf   [maxPacketSize]byte
}

// packetCache keeps the last packets of one published track, indexed by
// sequence number. One cache per track serves the NACKs of all its
// subscribers, instead of one retransmission buffer per subscriber.
type packetCache struct {
	mu      sync.Mutex
	entries []cacheEntry
}

func newPacketCache(size int) *packetCache {
	return &packetCache{entries: make([]cacheEntry, size)}
}

// store keeps a copy of pkt.
func (c *packetCache) store(seq uint16, pkt []byte) {
	if len(pkt) > maxPacketSize {
		return
	}
	c.mu.Lock()
	e := &c.entries[int(seq)%len(c.entries)]
	e.seq = seq
	e.n = uint16(copy(e.buf[:], pkt))
	e.valid = true
	c.mu.Unlock()
}

// get copies the packet with sequence number seq into dst and returns its
// length, or 0 when it is no longer kept.
func (c *packetCache) get(seq uint16, dst []byte) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &c.entries[int(seq)%len(c.entries)]
	if !e.valid || e.seq != seq {
		return 0
	}
	return copy(dst, e.buf[:e.n])
}
