package main

import (
	"context"
	"fmt"
	"time"

	"github.com/guestbridge/guestbridge/media-task/netsim"
)

// runNet is the network mode (-net): one customer's camera through a bad
// network to one technician, on pion's virtual network, once with
// transport-cc (the camera follows the estimate) and once without (the
// camera sends its full rate whatever happens).
func runNet(measure time.Duration) error {
	bad := netsim.Network{LossPct: 5, RTT: 300 * time.Millisecond, UplinkBps: 500_000}
	fmt.Println("network: 5 % loss, 300 ms round trip, 500 kbit/s uplink, camera up to 1 Mbit/s; then the technician is cut off for 5 s")
	for _, twcc := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		r, err := netsim.Run(ctx, netsim.Options{Network: bad, TWCC: twcc, Warmup: 6 * time.Second, Measure: measure, Blackout: 5 * time.Second})
		cancel()
		name := map[bool]string{true: "with TWCC   ", false: "without TWCC"}[twcc]
		if err != nil {
			fmt.Printf("%s  %s (%v)\n", name, r, err)
			continue
		}
		fmt.Printf("%s  %s\n", name, r)
	}
	return nil
}
