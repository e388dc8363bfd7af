package rtc

import (
	"fmt"

	"github.com/pion/webrtc/v4"

	"github.com/guestbridge/guestbridge/media-task/media"
)

var _ media.Restarter = (*Peer)(nil)

// Reoffer sends a new offer now: with new ICE credentials when iceRestart,
// otherwise only when an offer is still unanswered. It replaces that
// unanswered offer: after a dropped signaling connection its answer never
// comes, and the new offer carries everything the earlier one did.
func (p *Peer) Reoffer(iceRestart bool) error {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if !p.started || p.isClosed() || (!iceRestart && !p.awaitingAnswer) {
		return nil
	}
	p.needNeg = false
	offer, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: iceRestart})
	if err != nil {
		return fmt.Errorf("rtc: offer again: %w", err)
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("rtc: offer again: local description: %w", err)
	}
	p.awaitingAnswer = true
	p.ev.Offer(offer.SDP)
	return nil
}

// RestartICE sends an ICE restart offer, after the answer to a pending
// offer when there is one: replacing that offer would leave its answer,
// still on its way over the live socket, to meet the restart offer.
func (p *Peer) RestartICE() error {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	p.restartNext = true
	return p.negotiateLocked()
}
