package httpapi

import (
	"net/http"
	"strings"
)

// BrowserPolicy is what every response tells the browser about protecting
// the page: the API's and the web client's alike, so a JSON answer opened
// as a page or framed gets the same rules as the client itself.
type BrowserPolicy struct {
	// RelayOrigins are the ws:// or wss:// origins of the relays the live
	// session page connects to; the API is same-origin ('self').
	RelayOrigins []string
	// HTTPS says browsers reach the service over HTTPS only (GB_PUBLIC_URL
	// is https), which is when Strict-Transport-Security is sent.
	HTTPS bool
	// StorageOrigins are the origins of the bucket that holds the cases'
	// files: the customer's page uploads snapshots there, the case page
	// shows thumbnails and plays recordings from there.
	StorageOrigins []string
}

// CSP is the Content-Security-Policy of p. Scripts and styles come only
// from the service's own files: no inline script, no inline style, no eval.
// Images may be blob: and data: (snapshots, QR codes) and media blob: (the
// live video). Nothing may frame the client (clickjacking), nothing
// may post a form elsewhere and <base> cannot move relative URLs.
func (p BrowserPolicy) CSP() string {
	connect := append(append([]string{"'self'"}, p.RelayOrigins...), p.StorageOrigins...)
	img := append([]string{"'self'", "blob:", "data:"}, p.StorageOrigins...)
	media := append([]string{"'self'", "blob:"}, p.StorageOrigins...)
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src " + strings.Join(img, " "),
		"media-src " + strings.Join(media, " "),
		"connect-src " + strings.Join(connect, " "),
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// hstsValue asks browsers to use HTTPS only for a year. It leaves out
// includeSubDomains and preload: the service may share its parent domain
// with sites it knows nothing about.
const hstsValue = "max-age=31536000"

// SecurityHeaders sets the browser-protection headers of p on every
// response of next, before next runs, so error answers and panics carry
// them too.
//
// HSTS follows the configuration, not the request: API Gateway HTTP APIs
// answer only HTTPS and CloudFront redirects HTTP to HTTPS, so an https
// GB_PUBLIC_URL means every browser got here over TLS. X-Forwarded-Proto
// says nothing trustworthy on its own: any client of the local server can
// send it.
func SecurityHeaders(p BrowserPolicy, next http.Handler) http.Handler {
	csp := p.CSP()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if p.HTTPS {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		next.ServeHTTP(w, r)
	})
}
