package invite

import (
	"errors"
	"testing"

	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

func TestRequiredProof(t *testing.T) {
	withPassword := &identity.User{ID: "u_1", PasswordHash: "hash"}
	withoutPassword := &identity.User{ID: "u_2"}
	cases := []struct {
		name    string
		ch      outbox.Channel
		acct    *identity.User
		want    Proof
		wantErr error
	}{
		{"sms, new account", outbox.SMS, nil, NoProof, nil},
		{"email, new account", outbox.Email, nil, NewPassword, nil},
		{"sms, account with password", outbox.SMS, withPassword, CurrentPassword, nil},
		{"email, account with password", outbox.Email, withPassword, CurrentPassword, nil},
		{"sms, account without password", outbox.SMS, withoutPassword, 0, ErrEmailLinkRequired},
		{"email, account without password", outbox.Email, withoutPassword, NewPassword, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := RequiredProof(c.ch, c.acct)
			if !errors.Is(err, c.wantErr) || (err == nil && got != c.want) {
				t.Fatalf("RequiredProof = %v, %v; want %v, %v", got, err, c.want, c.wantErr)
			}
		})
	}
}
