package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

var statusOf = map[apperr.Kind]int{
	apperr.Internal:     http.StatusInternalServerError,
	apperr.Invalid:      http.StatusBadRequest,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Conflict:     http.StatusConflict,
	apperr.Gone:         http.StatusGone,
	apperr.TooMany:      http.StatusTooManyRequests,
	apperr.Unavailable:  http.StatusServiceUnavailable,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeError is the one place that turns an error into a response. Domain
// errors keep their code and message; anything else is logged and answered
// with a plain 500 that says nothing of the cause.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.From(err)
	if e == nil || e.Kind == apperr.Internal {
		logger(r).ErrorContext(r.Context(), "request failed", "err", err)
		e = apperr.New(apperr.Internal, "internal", "Something went wrong on our side; try again.")
	} else if e.Kind == apperr.Unavailable {
		logger(r).WarnContext(r.Context(), "dependency unavailable", "err", err)
	}
	if e.Kind == apperr.TooMany && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, statusOf[e.Kind], errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Field: e.Field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// maxBody bounds request bodies; nothing in the API needs more.
const maxBody = 64 << 10

// decode reads a JSON body strictly: one object, no unknown fields, bounded.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			// No body is an empty object: the fields' own checks name what
			// is missing.
			return nil
		}
		var mbe *http.MaxBytesError
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var tpe *time.ParseError
		switch {
		case errors.As(err, &mbe):
			return apperr.InvalidField("body", "the request body is larger than 64 KiB")
		case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
			return apperr.InvalidField("body", "the request body is not valid JSON")
		case errors.As(err, &typ):
			return apperr.InvalidField(typeMessage(dst, typ.Field, typ.Type))
		case errors.As(err, &tpe), strings.HasPrefix(err.Error(), "Time.UnmarshalJSON"):
			// time.Time reports its own errors without the field's name.
			return apperr.InvalidField("body", "dates and times must be text such as 2026-12-01T10:00:00Z")
		default:
			if f, ok := unknownField(err); ok {
				return apperr.InvalidField(f, "unknown field "+strconv.Quote(f))
			}
			return apperr.InvalidField("body", "the request body is not valid JSON")
		}
	}
	if dec.More() {
		return apperr.InvalidField("body", "the request body must hold exactly one JSON object")
	}
	return nil
}

func unknownField(err error) (string, bool) {
	const p = `json: unknown field "`
	s := err.Error()
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p) : len(s)-1], true
	}
	return "", false
}

type ctxKey int

const (
	loggerKey ctxKey = iota
	principalKey
	claimsKey
)

func logger(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
