package main

import (
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
)

// sendFloor measures this machine's kernel cost of sending one 1200-byte
// datagram to a loopback socket with sendmmsg in batches of 64, the way the
// relay sends: the CPU time of the sending thread per datagram, which on
// loopback includes the receiving side's kernel work. No relay code runs;
// it is the floor under the relay's µs per forwarded packet here.
func sendFloor(receivers, packets int) (time.Duration, error) {
	var conns []*net.UDPConn
	var wg sync.WaitGroup
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	}()
	for range receivers {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return 0, err
		}
		_ = c.SetReadBuffer(1 << 20)
		conns = append(conns, c)
		wg.Go(func() {
			b := make([]byte, 2048)
			for {
				if _, err := c.Read(b); err != nil {
					return
				}
			}
		})
	}
	s, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	pc := ipv4.NewPacketConn(s)
	msgs := make([]ipv4.Message, 64)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 1200)}
	}

	done := make(chan time.Duration, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var r0, r1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_THREAD, &r0)
		sent := 0
		for sent < packets {
			for i := range msgs {
				msgs[i].Addr = conns[(sent+i)%len(conns)].LocalAddr()
			}
			n, err := pc.WriteBatch(msgs, 0)
			if err != nil {
				break
			}
			sent += n
			// Pace like a relay does, one fan-out per incoming packet.
			if sent%(64*8) == 0 {
				time.Sleep(200 * time.Microsecond)
			}
		}
		_ = syscall.Getrusage(syscall.RUSAGE_THREAD, &r1)
		cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) * time.Nanosecond
		done <- cpu / time.Duration(max(sent, 1))
	}()
	return <-done, nil
}
