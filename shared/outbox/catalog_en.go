package outbox

import "github.com/guestbridge/guestbridge/shared/locale"

// The English catalog. Keys are "<kind>.subject", "<kind>.text" (the email
// body) and "<kind>.sms"; a kind without an SMS text is texted as its subject
// and body on one line.
func init() {
	catalogs[locale.English] = catalog{
		weekdays: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		months:   [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		date:     "{{.Weekday}} {{.Day}} {{.Month}} {{.Year}}, {{.Clock}} {{.Zone}}",
		msgs: map[string]string{
			"fallback.inviter": "your contact",
			"role.admin":       "Admin",
			"role.technician":  "Technician",

			"guest_invite.subject": "{{.orgName}} invites you as a guest",
			"guest_invite.text": "Hello {{.guestName}},\n\n{{.inviterName}} of {{.orgName}} has invited you as a guest on: {{.caseTitles}}.\n" +
				"Your access lasts until {{date .validUntil}}. Open this link to accept and choose a password:\n\n{{.link}}\n\n" +
				"The link works until {{date .linkExpiresAt}} and can be used once. If you did not expect this, ignore this email.\n",
			"guest_invite.sms": "{{.inviterName}} of {{.orgName}} invites you as a guest until {{date .validUntil}}. Open within 24 hours: {{.link}}",

			"company_invite.subject": "{{.orgName}} invites you as a guest of the company",
			"company_invite.text": "Hello {{.guestName}},\n\n{{.inviterName}} of {{.orgName}} has invited you as a guest of the company {{.orgName}}.\n\n" +
				"Company: {{.orgName}}\nRole: {{role}}\n" +
				"Access to: {{if eq .scope \"groups\"}}the device groups {{.scopeNames}}{{else if eq .scope \"devices\"}}the devices {{.scopeNames}}{{else}}all devices of the company{{end}}\n" +
				"Period: until {{date .validUntil}}\n\n" +
				"Open this link to accept and choose a password, or sign in with an existing account:\n\n{{.link}}\n\n" +
				"The link works until {{date .linkExpiresAt}} and can be used once; once you sign in, the invitation also waits under \"Companies\". " +
				"If you did not expect this, ignore this email.\n",

			"session_invite.subject": "{{.inviterName}} invites you to a live support session",
			"session_invite.text": "Hello {{.guestName}},\n\n{{.inviterName}} invites you to join a live remote support session as a guest technician ({{.caseTitle}}).\n\n" +
				"Join from a web browser on a computer:\n\n{{.link}}\n\nThe link works once: after you leave or close the browser it expires.\n",

			"session_customer.subject": "Your live support session",
			"session_customer.text": "Hello {{.guestName}},\n\n{{.inviterName}} is ready to help you with {{.caseTitle}}. " +
				"Open this link to share your camera:\n\n{{.link}}\n",
			"session_customer.sms": "{{.inviterName}} is ready to help you ({{.caseTitle}}). Open to share your camera: {{.link}}",

			"signup_verification.subject": "Confirm your email address to create {{.orgName}} on Guestbridge",
			"signup_verification.text": "Hello {{.name}},\n\nsomeone asked to create the company {{.orgName}} on Guestbridge with this email address " +
				"as its first administrator.\n\nIf it was you, open this link and press Create on the page:\n\n{{.link}}\n\n" +
				"The link works until {{date .linkExpiresAt}}. If it was not you, ignore this message: nothing is created.\n",

			"member_invite.subject": "{{.inviterName}} invites you to join {{.orgName}} on Guestbridge",
			"member_invite.text": "Hello{{if .name}} {{.name}}{{end}},\n\n{{.inviterName}} invites you to join {{.orgName}} as {{.roleName}}.\n\n" +
				"Open this link to accept, with your Guestbridge account for this address or a new one:\n\n{{.link}}\n\n" +
				"The link works until {{date .linkExpiresAt}} and can be used once. If you do not expect this, ignore this message.\n",

			"email_verification.subject": "Confirm your email address for Guestbridge",
			"email_verification.text": "Hello {{.name}},\n\n" +
				"{{if .orgName}}an account for this email address was created on {{date .accountCreatedAt}} from a text message of {{.orgName}}, " +
				"and its holder asks to confirm that the address is theirs.{{else}}someone asks to confirm that this email address belongs " +
				"to their Guestbridge account.{{end}}\n\n" +
				"If this is your account, open this link and press Confirm on the page:\n\n{{.link}}\n\n" +
				"The link works until {{date .linkExpiresAt}} and can be used once. If you did not ask for this, ignore this message: " +
				"nothing changes until you press Confirm on the page. You can also press \"This was not me\" there to void the link.\n",

			"guest_welcome.subject": "Welcome to {{.orgName}}",
			"guest_welcome.text": "Hello {{.guestName}},\n\nyour guest access to {{.orgName}} is set up and lasts until {{date .validUntil}}.\n" +
				"Sign in with this email address and your password.\n",

			"guest_reminder.subject": "Your guest access to {{.orgName}} ends on {{date .validUntil}}",
			"guest_reminder.text": "Hello {{.guestName}},\n\nyour guest access to {{.orgName}} ends on {{date .validUntil}}. " +
				"If you need longer, ask {{.inviterName}} to extend it.\n",

			"inviter_reminder.subject": "Guest access of {{.guestName}} ends on {{date .validUntil}}",
			"inviter_reminder.text": "Hello {{.inviterName}},\n\nthe guest access of {{.guestName}} ({{.guestEmail}}) to {{.orgName}} ends on {{date .validUntil}}. " +
				"You can extend it in the guest list.\n",
		},
	}
}
