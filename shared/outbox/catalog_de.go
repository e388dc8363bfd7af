package outbox

import "github.com/guestbridge/guestbridge/shared/locale"

// The German catalog; keys as in the English one.
func init() {
	catalogs[locale.German] = catalog{
		weekdays: [7]string{"So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."},
		months:   [12]string{"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."},
		date:     "{{.Weekday}}, {{.Day}}. {{.Month}} {{.Year}}, {{.Clock}} Uhr {{.Zone}}",
		msgs: map[string]string{
			"fallback.inviter": "Ihre Kontaktperson",
			"role.admin":       "Administrator",
			"role.technician":  "Techniker",

			"guest_invite.subject": "{{.orgName}} lädt Sie als Gast ein",
			"guest_invite.text": "Hallo {{.guestName}},\n\n{{.inviterName}} von {{.orgName}} hat Sie als Gast eingeladen zu: {{.caseTitles}}.\n" +
				"Ihr Zugang gilt bis {{date .validUntil}}. Öffnen Sie diesen Link, um die Einladung anzunehmen und ein Passwort zu wählen:\n\n{{.link}}\n\n" +
				"Der Link funktioniert bis {{date .linkExpiresAt}} und kann einmal verwendet werden. Wenn Sie diese E-Mail nicht erwartet haben, ignorieren Sie sie.\n",
			"guest_invite.sms": "{{.inviterName}} von {{.orgName}} lädt Sie bis {{date .validUntil}} als Gast ein. Innerhalb von 24 Stunden öffnen: {{.link}}",

			"company_invite.subject": "{{.orgName}} lädt Sie als Gast des Unternehmens ein",
			"company_invite.text": "Hallo {{.guestName}},\n\n{{.inviterName}} von {{.orgName}} hat Sie als Gast des Unternehmens {{.orgName}} eingeladen.\n\n" +
				"Unternehmen: {{.orgName}}\nRolle: {{role}}\n" +
				"Zugriff auf: {{if eq .scope \"groups\"}}die Gerätegruppen {{.scopeNames}}{{else if eq .scope \"devices\"}}die Geräte {{.scopeNames}}{{else}}alle Geräte des Unternehmens{{end}}\n" +
				"Zeitraum: bis {{date .validUntil}}\n\n" +
				"Öffnen Sie diesen Link, um die Einladung anzunehmen und ein Passwort zu wählen, oder melden Sie sich mit einem bestehenden Konto an:\n\n{{.link}}\n\n" +
				"Der Link funktioniert bis {{date .linkExpiresAt}} und kann einmal verwendet werden; nach der Anmeldung finden Sie die Einladung auch unter „Unternehmen“. " +
				"Wenn Sie diese E-Mail nicht erwartet haben, ignorieren Sie sie.\n",

			"session_invite.subject": "{{.inviterName}} lädt Sie zu einer Live-Support-Sitzung ein",
			"session_invite.text": "Hallo {{.guestName}},\n\n{{.inviterName}} lädt Sie als Gast-Techniker zu einer Live-Fernsupport-Sitzung ein ({{.caseTitle}}).\n\n" +
				"Treten Sie über einen Webbrowser auf einem Computer bei:\n\n{{.link}}\n\n" +
				"Der Link funktioniert einmal: Wenn Sie die Sitzung verlassen oder den Browser schließen, verfällt er.\n",

			"session_customer.subject": "Ihre Live-Support-Sitzung",
			"session_customer.text": "Hallo {{.guestName}},\n\n{{.inviterName}} hilft Ihnen gern bei {{.caseTitle}}. " +
				"Öffnen Sie diesen Link, um Ihre Kamera zu teilen:\n\n{{.link}}\n",
			"session_customer.sms": "{{.inviterName}} hilft Ihnen gern ({{.caseTitle}}). Zum Teilen Ihrer Kamera öffnen: {{.link}}",

			"signup_verification.subject": "Bestätigen Sie Ihre E-Mail-Adresse, um {{.orgName}} bei Guestbridge anzulegen",
			"signup_verification.text": "Hallo {{.name}},\n\njemand möchte das Unternehmen {{.orgName}} bei Guestbridge mit dieser E-Mail-Adresse " +
				"als erste Administratorin oder ersten Administrator anlegen.\n\nWenn Sie das waren, öffnen Sie diesen Link und drücken Sie dort auf Anlegen:\n\n{{.link}}\n\n" +
				"Der Link gilt bis {{date .linkExpiresAt}}. Wenn Sie es nicht waren, ignorieren Sie diese Nachricht: Es wird nichts angelegt.\n",

			"member_invite.subject": "{{.inviterName}} lädt Sie zu {{.orgName}} bei Guestbridge ein",
			"member_invite.text": "Hallo{{if .name}} {{.name}}{{end}},\n\n{{.inviterName}} lädt Sie ein, {{.orgName}} als {{.roleName}} beizutreten.\n\n" +
				"Öffnen Sie diesen Link, um anzunehmen – mit Ihrem Guestbridge-Konto für diese Adresse oder einem neuen:\n\n{{.link}}\n\n" +
				"Der Link gilt bis {{date .linkExpiresAt}} und nur einmal. Wenn Sie damit nicht rechnen, ignorieren Sie diese Nachricht.\n",

			"email_verification.subject": "Bestätigen Sie Ihre E-Mail-Adresse für Guestbridge",
			"email_verification.text": "Hallo {{.name}},\n\n" +
				"{{if .orgName}}für diese E-Mail-Adresse wurde am {{date .accountCreatedAt}} über eine SMS von {{.orgName}} ein Konto angelegt, " +
				"und sein Inhaber möchte bestätigen, dass die Adresse ihm gehört.{{else}}Jemand möchte bestätigen, dass diese E-Mail-Adresse " +
				"zu seinem Guestbridge-Konto gehört.{{end}}\n\n" +
				"Wenn das Ihr Konto ist, öffnen Sie diesen Link und drücken Sie auf der Seite auf „Bestätigen“:\n\n{{.link}}\n\n" +
				"Der Link funktioniert bis {{date .linkExpiresAt}} und kann einmal verwendet werden. Wenn Sie das nicht angefordert haben, " +
				"ignorieren Sie diese Nachricht: Es ändert sich nichts, solange Sie auf der Seite nicht auf „Bestätigen“ drücken. " +
				"Dort können Sie auch „Das war ich nicht“ wählen, um den Link ungültig zu machen.\n",

			"guest_welcome.subject": "Willkommen bei {{.orgName}}",
			"guest_welcome.text": "Hallo {{.guestName}},\n\nIhr Gastzugang zu {{.orgName}} ist eingerichtet und gilt bis {{date .validUntil}}.\n" +
				"Melden Sie sich mit dieser E-Mail-Adresse und Ihrem Passwort an.\n",

			"guest_reminder.subject": "Ihr Gastzugang zu {{.orgName}} endet am {{date .validUntil}}",
			"guest_reminder.text": "Hallo {{.guestName}},\n\nIhr Gastzugang zu {{.orgName}} endet am {{date .validUntil}}. " +
				"Wenn Sie länger Zugang brauchen, bitten Sie {{.inviterName}}, ihn zu verlängern.\n",

			"inviter_reminder.subject": "Gastzugang von {{.guestName}} endet am {{date .validUntil}}",
			"inviter_reminder.text": "Hallo {{.inviterName}},\n\nder Gastzugang von {{.guestName}} ({{.guestEmail}}) zu {{.orgName}} endet am {{date .validUntil}}. " +
				"Sie können ihn in der Gästeliste verlängern.\n",
		},
	}
}
