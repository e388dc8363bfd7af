// Command ticketkey prints the public key that verifies the API's relay join
// tickets (the relay's RELAY_TICKET_PUBLIC_KEY, the CDK context value
// relayTicketPublicKey). The API derives its signing key from the root secret
// unless GB_TICKET_KEY is set; give the secret as stored in Secrets Manager:
//
//	GB_SECRET_VALUE=$(aws secretsmanager get-secret-value --secret-id <arn> --query SecretString --output text) \
//	  go run ./tools/ticketkey
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"time"

	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/session"
)

func main() {
	seed, err := seedFromEnv()
	if err == nil {
		var m *session.Minter
		if m, err = session.NewMinter(seed, time.Now); err == nil {
			fmt.Println(base64.StdEncoding.EncodeToString(m.PublicKey()))
			return
		}
	}
	fmt.Fprintln(os.Stderr, "ticketkey:", err)
	os.Exit(1)
}

func seedFromEnv() ([]byte, error) {
	if v := os.Getenv("GB_TICKET_KEY"); v != "" {
		return base64.StdEncoding.DecodeString(v)
	}
	v := os.Getenv("GB_SECRET_VALUE")
	if v == "" {
		return nil, fmt.Errorf("set GB_SECRET_VALUE (the root secret as stored) or GB_TICKET_KEY")
	}
	keys, err := secret.Derive(config.ParseSecret(v))
	if err != nil {
		return nil, err
	}
	return keys.TicketSeed, nil
}
