package httpapi

import (
	"reflect"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// typeMessage says in plain words what a field of dst must hold, for a body
// whose JSON type did not fit. Clients read it; Go type names ("expected
// []toolmatrix.Tool") mean nothing to them and show how the server is built.
func typeMessage(dst any, field string, fallback reflect.Type) (string, string) {
	if field == "" {
		return "body", "the request body must be a JSON object"
	}
	t := fieldType(reflect.TypeOf(dst), field)
	if t == nil {
		t = fallback
	}
	return field, field + ": must be " + describe(t, false)
}

// fieldType finds the declared type of the dotted JSON path in t (map keys
// are path segments, list indexes are not), or nil.
func fieldType(t reflect.Type, path string) reflect.Type {
	for _, seg := range strings.Split(path, ".") {
		t = elemOfLists(t)
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			f, ok := jsonField(t, seg)
			if !ok {
				return nil
			}
			t = f
		default:
			return nil
		}
	}
	return t
}

// elemOfLists strips pointers, and lists when a path goes on into their
// elements.
func elemOfLists(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return t
}

func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" && f.Anonymous {
			if ft, ok := jsonField(elemOfLists(f.Type), name); ok {
				return ft, true
			}
			continue
		}
		if tag == name || (tag == "" && strings.EqualFold(f.Name, name)) {
			return f.Type, true
		}
	}
	return nil, false
}

// nouns name the API's enumerations, whose JSON is text but whose values
// come from a fixed list.
var nouns = map[reflect.Type][2]string{
	reflect.TypeFor[toolmatrix.Tool]():      {"a tool name", "tool names"},
	reflect.TypeFor[outbox.Channel]():       {`a channel name ("email" or "sms")`, `channel names ("email" or "sms")`},
	reflect.TypeFor[access.Privilege]():     {"a privilege name", "privilege names"},
	reflect.TypeFor[access.WorkspaceMode](): {`a workspace mode ("all", "groups" or "devices")`, "workspace modes"},
	reflect.TypeFor[time.Time]():            {"a date and time as text, such as 2026-12-01T10:00:00Z", "dates and times as text"},
}

// describe names the JSON that fits t: singular ("a whole number") or
// plural ("whole numbers") for the elements of a list.
func describe(t reflect.Type, plural bool) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pick := func(one, many string) string {
		if plural {
			return many
		}
		return one
	}
	if n, ok := nouns[t]; ok {
		return pick(n[0], n[1])
	}
	switch t.Kind() {
	case reflect.String:
		return pick("text", "texts")
	case reflect.Bool:
		return pick("true or false", "true or false values")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return pick("a whole number", "whole numbers")
	case reflect.Float32, reflect.Float64:
		return pick("a number", "numbers")
	case reflect.Slice, reflect.Array:
		return pick("a list of "+describe(t.Elem(), true), "lists of "+describe(t.Elem(), true))
	case reflect.Map:
		return pick("an object whose values are "+describe(t.Elem(), true), "objects")
	case reflect.Struct:
		return pick("an object", "objects")
	}
	return pick("a JSON value", "JSON values")
}
