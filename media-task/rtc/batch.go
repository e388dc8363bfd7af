package rtc

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchSize is how many datagrams one sendmmsg call carries at most.
const batchSize = 64

// batchConn is the UDP socket under the ICE mux. Writes are queued and sent
// with sendmmsg: a forwarding loop holds the queue while it fans a packet
// out to every subscriber and flushes it once, so N subscribers cost about
// N/64 system calls instead of N. Writes made while no forwarding loop holds
// the queue (STUN, DTLS, RTCP, data channels) are flushed at once by the
// flusher goroutine. A write returns when its datagram is queued; like UDP
// itself it reports no delivery error.
type batchConn struct {
	conn  *net.UDPConn
	batch func([]ipv4.Message, int) (int, error)

	mu    sync.Mutex
	slots []batchSlot
	msgs  []ipv4.Message
	n     int

	holds  atomic.Int32
	kick   chan struct{}
	closed chan struct{}
	done   chan struct{}
	once   sync.Once

	sent, calls atomic.Uint64
}

type batchSlot struct {
	buf  [maxPacketSize + 64]byte
	ip   [16]byte
	addr net.UDPAddr
}

var (
	_ net.PacketConn           = (*batchConn)(nil)
	_ ice.AddrPortReaderWriter = (*batchConn)(nil)
)

func newBatchConn(conn *net.UDPConn) *batchConn {
	b := &batchConn{
		conn:   conn,
		slots:  make([]batchSlot, batchSize),
		msgs:   make([]ipv4.Message, batchSize),
		kick:   make(chan struct{}, 1),
		closed: make(chan struct{}),
		done:   make(chan struct{}),
	}
	if a, ok := conn.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil && a.IP != nil && !a.IP.IsUnspecified() {
		b.batch = ipv6.NewPacketConn(conn).WriteBatch
	} else {
		b.batch = ipv4.NewPacketConn(conn).WriteBatch
	}
	for i := range b.msgs {
		b.msgs[i].Buffers = make([][]byte, 1)
		b.msgs[i].Addr = &b.slots[i].addr
	}
	go b.flusher()
	return b
}

// hold delays flushing until release; holds nest and overlap.
func (b *batchConn) hold() { b.holds.Add(1) }

// release ends a hold and sends what is queued.
func (b *batchConn) release() {
	b.holds.Add(-1)
	b.flush()
}

func (b *batchConn) flusher() {
	defer close(b.done)
	for {
		select {
		case <-b.kick:
			if b.holds.Load() == 0 {
				b.flush()
			}
		case <-b.closed:
			b.flush()
			return
		}
	}
}

func (b *batchConn) flush() {
	b.mu.Lock()
	b.flushLocked()
	b.mu.Unlock()
}

func (b *batchConn) flushLocked() {
	msgs := b.msgs[:b.n]
	for len(msgs) > 0 {
		k, err := b.batch(msgs, 0)
		b.calls.Add(1)
		if k > 0 {
			b.sent.Add(uint64(k))
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				break
			}
			// Skip the datagram the kernel refused and send the rest.
			k++
		}
		msgs = msgs[min(k, len(msgs)):]
	}
	b.n = 0
}

// WriteToAddrPort queues one datagram.
func (b *batchConn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	if len(p) > maxPacketSize+64 {
		return b.conn.WriteToUDPAddrPort(p, addr)
	}
	b.mu.Lock()
	if b.n == 0 && b.holds.Load() == 0 {
		// Nothing to batch with: send now rather than wake the flusher.
		n, err := b.conn.WriteToUDPAddrPort(p, addr)
		b.mu.Unlock()
		b.calls.Add(1)
		b.sent.Add(1)
		return n, err
	}
	s := &b.slots[b.n]
	n := copy(s.buf[:], p)
	ip := addr.Addr().Unmap()
	if ip.Is4() {
		a4 := ip.As4()
		copy(s.ip[:], a4[:])
		s.addr.IP = s.ip[:4]
	} else {
		s.ip = ip.As16()
		s.addr.IP = s.ip[:16]
	}
	s.addr.Port = int(addr.Port())
	b.msgs[b.n].Buffers[0] = s.buf[:n]
	b.n++
	if b.n == len(b.slots) {
		b.flushLocked()
	}
	idle := b.n > 0 && b.holds.Load() == 0
	b.mu.Unlock()
	if idle {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// WriteTo queues one datagram.
func (b *batchConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, errors.New("rtc: not a UDP address")
	}
	return b.WriteToAddrPort(p, ua.AddrPort())
}

// ReadFromAddrPort reads one datagram.
func (b *batchConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	return b.conn.ReadFromUDPAddrPort(p)
}

// ReadFrom reads one datagram.
func (b *batchConn) ReadFrom(p []byte) (int, net.Addr, error) { return b.conn.ReadFrom(p) }

// Close flushes, stops the flusher and closes the socket.
func (b *batchConn) Close() error {
	b.once.Do(func() { close(b.closed) })
	<-b.done
	return b.conn.Close()
}

// LocalAddr returns the socket's address.
func (b *batchConn) LocalAddr() net.Addr { return b.conn.LocalAddr() }

// SetDeadline sets the socket's deadlines.
func (b *batchConn) SetDeadline(t time.Time) error { return b.conn.SetDeadline(t) }

// SetReadDeadline sets the socket's read deadline.
func (b *batchConn) SetReadDeadline(t time.Time) error { return b.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the socket's write deadline.
func (b *batchConn) SetWriteDeadline(t time.Time) error { return b.conn.SetWriteDeadline(t) }
