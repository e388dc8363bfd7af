package relay

import (
	"net/netip"
	"strings"
)

// CandidateAllowed reports whether the relay may try a remote ICE candidate
// at addr. Link-local addresses (169.254/16, fe80::/10) and loopback ones
// name the client's own machine or link, never a path from this relay; a
// relay that tried them would send STUN checks to its own host or its
// subnet's neighbours on a client's say-so. Loopback is allowed only to a
// relay that is itself on loopback (tests, make dev), where it is the only
// path there is.
func CandidateAllowed(addr netip.Addr, relayOnLoopback bool) bool {
	addr = addr.Unmap()
	switch {
	case addr.IsLinkLocalUnicast(), addr.IsMulticast():
		// Multicast is never a peer's address; link-local and interface-local
		// multicast would reach every neighbour on the relay's link.
		return false
	case addr.IsLoopback(), addr.IsUnspecified():
		// 0.0.0.0 and :: are delivered to the relay's own host, like loopback.
		return relayOnLoopback
	}
	return true
}

// candidateAddr returns the connection address of an ICE candidate line
// ("candidate:<foundation> <component> <transport> <priority> <address>
// <port> typ ..."), with or without the "a=" of SDP. ok is false when the
// address is not an IP address (an mDNS name, or garbage the peer will
// refuse itself).
func candidateAddr(line string) (netip.Addr, bool) {
	line = strings.TrimPrefix(strings.TrimSpace(line), "a=")
	rest, found := strings.CutPrefix(line, "candidate:")
	if !found {
		return netip.Addr{}, false
	}
	f := strings.Fields(rest)
	if len(f) < 6 {
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(f[4])
	if err != nil {
		return netip.Addr{}, false
	}
	return addr, true
}

// candidateAllowed applies CandidateAllowed to a candidate line; lines
// without an IP address pass, as the rule has nothing to judge.
func candidateAllowed(line string, relayOnLoopback bool) bool {
	addr, ok := candidateAddr(line)
	return !ok || CandidateAllowed(addr, relayOnLoopback)
}

// filterSDPCandidates drops the candidate lines of an SDP the rule refuses,
// so candidates sent inside an answer are judged like trickled ones. It
// returns the SDP and how many lines it dropped.
func filterSDPCandidates(sdp string, relayOnLoopback bool) (string, int) {
	if !strings.Contains(sdp, "a=candidate:") {
		return sdp, 0
	}
	lines := strings.SplitAfter(sdp, "\n")
	out := lines[:0]
	dropped := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "a=candidate:") && !candidateAllowed(l, relayOnLoopback) {
			dropped++
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, ""), dropped
}
