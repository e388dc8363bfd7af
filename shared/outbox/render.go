package outbox

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// Rendered is a message ready to go: subject and bodies for email, Text for SMS.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Render writes the message of kind k with data; link is the invitation link
// for invitations, "" otherwise.
func Render(ch Channel, k Kind, data map[string]string, link string) (Rendered, error) {
	d := func(key string) string { return data[key] }
	until := humanTime(d("validUntil"))
	var r Rendered
	switch k {
	case GuestInvite:
		if link == "" {
			return Rendered{}, fmt.Errorf("outbox: invitation without a link")
		}
		if ch == SMS {
			r.Text = fmt.Sprintf("%s of %s invites you as a guest until %s. Open within 24 hours: %s",
				d("inviterName"), d("orgName"), until, link)
			return r, nil
		}
		r.Subject = fmt.Sprintf("%s invites you as a guest", d("orgName"))
		r.Text = fmt.Sprintf("Hello %s,\n\n%s of %s has invited you as a guest on: %s.\n"+
			"Your access lasts until %s. Open this link to accept and choose a password:\n\n%s\n\n"+
			"The link works until %s and can be used once. If you did not expect this, ignore this email.\n",
			d("guestName"), d("inviterName"), d("orgName"), d("caseTitles"), until, link, humanTime(d("linkExpiresAt")))
	case SessionInvite:
		if link == "" {
			return Rendered{}, fmt.Errorf("outbox: session invitation without a link")
		}
		r.Subject = fmt.Sprintf("%s invites you to a live support session", d("inviterName"))
		r.Text = fmt.Sprintf("Hello %s,\n\n%s invites you to join a live remote support session as a guest technician (%s).\n\n"+
			"Join from a web browser on a computer:\n\n%s\n\nThe link works once: after you leave or close the browser it expires.\n",
			d("guestName"), d("inviterName"), d("caseTitle"), link)
	case SessionCustomer:
		if link == "" {
			return Rendered{}, fmt.Errorf("outbox: session link missing")
		}
		if ch == SMS {
			r.Text = fmt.Sprintf("%s is ready to help you (%s). Open to share your camera: %s", d("inviterName"), d("caseTitle"), link)
			return r, nil
		}
		r.Subject = "Your live support session"
		r.Text = fmt.Sprintf("Hello %s,\n\n%s is ready to help you with %s. Open this link to share your camera:\n\n%s\n",
			d("guestName"), d("inviterName"), d("caseTitle"), link)
	case EmailVerification:
		if link == "" {
			return Rendered{}, fmt.Errorf("outbox: verification without a link")
		}
		r.Subject = "Confirm your email address for Guestbridge"
		r.Text = fmt.Sprintf("Hello %s,\n\nopen this link to confirm that this email address is yours:\n\n%s\n\n"+
			"The link works until %s and can be used once. If you did not ask for it, ignore this email: "+
			"nothing changes unless the link is opened.\n", d("name"), link, humanTime(d("linkExpiresAt")))
	case GuestWelcome:
		r.Subject = fmt.Sprintf("Welcome to %s", d("orgName"))
		r.Text = fmt.Sprintf("Hello %s,\n\nyour guest access to %s is set up and lasts until %s.\n"+
			"Sign in with this email address and your password.\n", d("guestName"), d("orgName"), until)
	case GuestReminder:
		r.Subject = fmt.Sprintf("Your guest access to %s ends on %s", d("orgName"), until)
		r.Text = fmt.Sprintf("Hello %s,\n\nyour guest access to %s ends on %s. "+
			"If you need longer, ask %s to extend it.\n", d("guestName"), d("orgName"), until, d("inviterName"))
	case InviterNotice:
		r.Subject = fmt.Sprintf("Guest access of %s ends on %s", d("guestName"), until)
		r.Text = fmt.Sprintf("Hello %s,\n\nthe guest access of %s (%s) to %s ends on %s. "+
			"You can extend it in the guest list.\n", d("inviterName"), d("guestName"), d("guestEmail"), d("orgName"), until)
	default:
		return Rendered{}, fmt.Errorf("outbox: unknown message kind %q", k)
	}
	if ch == SMS {
		r.Text = r.Subject + ". " + strings.ReplaceAll(r.Text, "\n", " ")
		r.Subject = ""
		return r, nil
	}
	r.HTML = "<pre style=\"font-family:sans-serif;white-space:pre-wrap\">" + linkify(html.EscapeString(r.Text), link) + "</pre>"
	return r, nil
}

func linkify(escaped, link string) string {
	if link == "" {
		return escaped
	}
	e := html.EscapeString(link)
	return strings.Replace(escaped, e, `<a href="`+e+`">`+e+`</a>`, 1)
}

func humanTime(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return rfc
	}
	return t.UTC().Format("Mon 2 Jan 2006, 15:04 UTC")
}
