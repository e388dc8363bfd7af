package outbox

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/guestbridge/guestbridge/shared/locale"
)

// Keys of a message's Data that choose how it is written rather than what it
// says: the recipient's language and the company's time zone (IANA), both
// fixed when the message is queued.
const (
	DataLang = "lang"
	DataZone = "tz"
)

// Localized returns data with the language and zone a message is written in.
func Localized(data map[string]string, lang locale.Lang, zone string) map[string]string {
	out := make(map[string]string, len(data)+2)
	for k, v := range data {
		out[k] = v
	}
	out[DataLang], out[DataZone] = string(lang.Or(locale.DefaultLang)), zone
	return out
}

// Rendered is a message ready to go: subject and bodies for email, Text for SMS.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// catalog is one language's texts: text/template sources over the message's
// data, and the words a date is written with.
type catalog struct {
	weekdays [7]string
	months   [12]string
	date     string
	msgs     map[string]string
}

var catalogs = map[locale.Lang]catalog{}

// Render writes the message of kind k with data; link is the invitation link
// for invitations, "" otherwise. It is written in data's language and shows
// times in data's zone; messages queued before either existed come in English
// and the default zone.
func Render(ch Channel, k Kind, data map[string]string, link string) (Rendered, error) {
	lang := locale.Lang(data[DataLang])
	cat, ok := catalogs[lang]
	if !ok {
		lang, cat = locale.English, catalogs[locale.English]
	}
	loc := locale.Zone(data[DataZone])
	key := string(k)
	switch k {
	case GuestInvite, SessionInvite, SessionCustomer, EmailVerification, MemberInvite, SignupVerification:
		if link == "" {
			return Rendered{}, fmt.Errorf("outbox: %s without a link", k)
		}
		if k == GuestInvite && data["kind"] == "company" {
			key = "company_invite"
		}
	case GuestWelcome, GuestReminder, InviterNotice:
	default:
		return Rendered{}, fmt.Errorf("outbox: unknown message kind %q", k)
	}
	vars := make(map[string]string, len(data)+1)
	for k, v := range data {
		vars[k] = v
	}
	vars["link"] = link
	if vars["inviterName"] == "" {
		// Someone with no name on their account still reads as a person.
		vars["inviterName"] = cat.msgs["fallback.inviter"]
	}
	exec := func(name string) (string, bool, error) {
		src, ok := cat.msgs[name]
		if !ok {
			return "", false, nil
		}
		s, err := cat.execute(name, src, vars, loc)
		return s, true, err
	}
	var r Rendered
	if ch == SMS {
		if s, ok, err := exec(key + ".sms"); ok || err != nil {
			r.Text = s
			return r, err
		}
	}
	subject, _, err := exec(key + ".subject")
	if err != nil {
		return Rendered{}, err
	}
	text, ok, err := exec(key + ".text")
	if err != nil {
		return Rendered{}, err
	}
	if !ok || subject == "" {
		return Rendered{}, fmt.Errorf("outbox: the %s catalog has no %s message", lang, key)
	}
	if ch == SMS {
		r.Text = subject + ". " + strings.ReplaceAll(text, "\n", " ")
		return r, nil
	}
	r.Subject, r.Text = subject, text
	r.HTML = "<pre style=\"font-family:sans-serif;white-space:pre-wrap\">" + linkify(html.EscapeString(r.Text), link) + "</pre>"
	return r, nil
}

func (c catalog) execute(name, src string, vars map[string]string, loc *time.Location) (string, error) {
	t, err := template.New(name).Option("missingkey=zero").Funcs(template.FuncMap{
		"date": func(rfc string) string { return c.formatTime(rfc, loc) },
		"role": func() string {
			if n, ok := c.msgs["role."+vars["roleId"]]; ok {
				return n
			}
			return vars["roleName"]
		},
	}).Parse(src)
	if err != nil {
		return "", fmt.Errorf("outbox: catalog message %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, vars); err != nil {
		return "", fmt.Errorf("outbox: catalog message %s: %w", name, err)
	}
	return b.String(), nil
}

// formatTime writes an RFC 3339 time in loc with the zone's abbreviation, or
// its offset from UTC where the zone has none, so no reader takes it for
// their own local time.
func (c catalog) formatTime(rfc string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return rfc
	}
	t = t.In(loc)
	zone, _ := t.Zone()
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		zone = "UTC" + t.Format("-07:00")
	}
	d, err := template.New("date").Parse(c.date)
	if err != nil {
		return t.Format(time.RFC3339)
	}
	var b bytes.Buffer
	err = d.Execute(&b, map[string]string{
		"Weekday": c.weekdays[t.Weekday()], "Day": strconv.Itoa(t.Day()), "Month": c.months[t.Month()-1],
		"Year": strconv.Itoa(t.Year()), "Clock": t.Format("15:04"), "Zone": zone,
	})
	if err != nil {
		return t.Format(time.RFC3339)
	}
	return b.String()
}

func linkify(escaped, link string) string {
	if link == "" {
		return escaped
	}
	e := html.EscapeString(link)
	return strings.Replace(escaped, e, `<a href="`+e+`">`+e+`</a>`, 1)
}
