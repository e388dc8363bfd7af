package rtc

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// enableTWCC negotiates transport-wide congestion control for the video a
// customer publishes: the relay numbers nothing itself, it reports the
// arrival time of every packet the browser numbered (transport-cc feedback
// about every 100 ms), and the browser's send-side estimator sizes the
// camera to the uplink from those reports long before receiver reports
// would show loss.
//
// Only video carries the extension. Audio stays outside the estimate: the
// browser sends Opus at its own small rate whatever the estimate says, and
// the video encoder gets what the measured delay leaves, so a congested
// uplink degrades the picture, never the voice.
func enableTWCC(m *webrtc.MediaEngine, ir *interceptor.Registry) error {
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, webrtc.RTPCodecTypeVideo)
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, webrtc.RTPCodecTypeVideo); err != nil {
		return fmt.Errorf("rtc: transport-cc extension: %w", err)
	}
	gen, err := twcc.NewSenderInterceptor()
	if err != nil {
		return fmt.Errorf("rtc: twcc feedback: %w", err)
	}
	ir.Add(gen)
	return nil
}
