package client

import (
	"net"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// APIOptions shape an API for the network tests and the bench.
type APIOptions struct {
	// TWCC numbers published video with the transport-cc extension when
	// the relay negotiates it, as a browser does.
	TWCC bool
	// GCC adapts the synthetic camera's bitrate to pion's send-side
	// estimate from the relay's transport-cc feedback, as a browser's
	// encoder follows its estimate; it implies TWCC. Without it the
	// camera sends at Options.VideoBitrate whatever the network does.
	GCC bool
	// Net is a virtual network (pion's vnet) to run on; nil means
	// loopback.
	Net transport.Net
}

// NewAPIWith returns an API like NewAPI's with opts applied.
func NewAPIWith(opts APIOptions) (*API, error) {
	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	a := &API{}
	if opts.TWCC || opts.GCC {
		m.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, webrtc.RTPCodecTypeVideo)
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
		if opts.GCC {
			f, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
				return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(300_000), gcc.SendSideBWEMinBitrate(50_000), gcc.SendSideBWEMaxBitrate(2_000_000))
			})
			if err != nil {
				return nil, err
			}
			a.est = &estimators{}
			f.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { a.est.put(e) })
			ir.Add(f)
		}
		hx, err := twcc.NewHeaderExtensionInterceptor()
		if err != nil {
			return nil, err
		}
		ir.Add(hx)
	}
	for _, mk := range []func() (interceptor.Factory, error){
		func() (interceptor.Factory, error) { return nack.NewGeneratorInterceptor() },
		func() (interceptor.Factory, error) { return nack.NewResponderInterceptor() },
		func() (interceptor.Factory, error) { return report.NewReceiverInterceptor() },
		func() (interceptor.Factory, error) { return report.NewSenderInterceptor() },
	} {
		f, err := mk()
		if err != nil {
			return nil, err
		}
		ir.Add(f)
	}
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled
	s := webrtc.SettingEngine{LoggerFactory: quiet}
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if opts.Net != nil {
		s.SetNet(opts.Net)
	} else {
		s.SetIncludeLoopbackCandidate(true)
		s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	a.api = webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s))
	return a, nil
}

// estimators hands the bandwidth estimator of a new peer connection to the
// client that created it (NewPeerConnection runs the callback before it
// returns, one client at a time).
type estimators struct {
	dial sync.Mutex // held by Dial around NewPeerConnection
	mu   sync.Mutex
	last cc.BandwidthEstimator
}

func (e *estimators) put(x cc.BandwidthEstimator) { e.mu.Lock(); e.last = x; e.mu.Unlock() }

func (e *estimators) take() cc.BandwidthEstimator {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.last
	e.last = nil
	return x
}
