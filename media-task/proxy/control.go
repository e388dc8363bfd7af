package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// Control forwards the API's control calls (/control/sessions/{sid}/...)
// for sessions another task hosts to that task, so a revocation sent
// through the load balancer takes effect at once wherever it lands. The
// call is forwarded as it came: the hosting task checks and uses up its
// token. Calls for sessions hosted here, not placed, or whose host cannot
// be found go to next (the hosting task's periodic revocation check is the
// fallback for those).
func Control(next http.Handler, self string, loc Locator, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/control/sessions/")
		sid, _, _ := strings.Cut(rest, "/")
		if !ok || sid == "" || r.Header.Get("Authorization") == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		tgt, err := loc.Host(ctx, sid)
		cancel()
		if err != nil || tgt.TaskID == self || tgt.Addr == "" {
			next.ServeHTTP(w, r)
			return
		}
		log.Debug("control call forwarded", "session", sid, "host", tgt.TaskID)
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(&url.URL{Scheme: "http", Host: tgt.Addr})
			},
			ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
				log.Warn("hosting relay unreachable for a control call", "session", sid, "host", tgt.TaskID, "err", err)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadGateway)
				_, _ = w.Write([]byte(`{"error":{"code":"relay_unavailable","message":"the relay hosting this session cannot be reached"}}` + "\n"))
			},
		}
		rp.ServeHTTP(w, r)
	})
}
