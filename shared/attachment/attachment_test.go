package attachment

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name string
		head []byte
		want string
	}{
		{"jpeg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10}, JPEG},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), PNG},
		{"gif", []byte("GIF89a"), ""},
		{"html", []byte("<html><script>"), ""},
		{"two bytes of jpeg", []byte{0xff, 0xd8}, ""},
		{"png cut short", []byte("\x89PNG\r\n"), ""},
		{"empty", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Sniff(c.head); got != c.want {
				t.Errorf("Sniff = %q, want %q", got, c.want)
			}
		})
	}
}

func TestCheckUpload(t *testing.T) {
	jpg := []byte{0xff, 0xd8, 0xff, 0xe0}
	for _, c := range []struct {
		name     string
		size     int64
		declared string
		head     []byte
		want     error
	}{
		{"a jpeg as declared", 1000, JPEG, jpg, nil},
		{"at the limit", MaxSnapshotBytes, JPEG, jpg, nil},
		{"one byte over", MaxSnapshotBytes + 1, JPEG, jpg, ErrTooLarge},
		{"empty", 0, JPEG, nil, ErrNotImage},
		{"a jpeg declared png", 1000, PNG, jpg, ErrNotImage},
		{"text declared jpeg", 1000, JPEG, []byte("hello"), ErrNotImage},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := CheckUpload(c.size, c.declared, c.head); !errors.Is(err, c.want) && !(err == nil && c.want == nil) {
				t.Errorf("CheckUpload = %v, want %v", err, c.want)
			}
		})
	}
}

func TestThumbnail(t *testing.T) {
	encode := func(w, h int, asPNG bool) []byte {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		var b bytes.Buffer
		if asPNG {
			_ = png.Encode(&b, img)
		} else {
			_ = jpeg.Encode(&b, img, nil)
		}
		return b.Bytes()
	}
	for _, c := range []struct {
		name       string
		body       []byte
		wantW, wth int
	}{
		{"landscape jpeg", encode(1920, 1080, false), 320, 180},
		{"portrait png", encode(600, 1200, true), 160, 320},
		{"small stays small", encode(100, 50, false), 100, 50},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := Thumbnail(c.body)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
			if err != nil || cfg.Width != c.wantW || cfg.Height != c.wth {
				t.Errorf("thumbnail %dx%d (%v), want %dx%d", cfg.Width, cfg.Height, err, c.wantW, c.wth)
			}
		})
	}
	if _, err := Thumbnail(append([]byte{0xff, 0xd8, 0xff}, make([]byte, 100)...)); !errors.Is(err, ErrNotImage) {
		t.Errorf("a broken jpeg: %v", err)
	}
}
