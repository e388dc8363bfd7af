// Command fakecam writes a Y4M video (YUV4MPEG2, C420) for Chromium's
// --use-file-for-fake-video-capture: a white frame with a QR code, a Code 128
// barcode and a line of large dark text, so the browser tests can check that
// the QR, Barcode and Live text tools read what a customer's camera shows.
//
//	go run ./tools/fakecam -o /tmp/cam.y4m -qr 'https://example.test/pump/4711' \
//	    -barcode 'SN-4711-AB' -text 'PUMP SERIAL 4711'
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"os"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

func main() {
	out := flag.String("o", "fakecam.y4m", "output file")
	qrText := flag.String("qr", "https://example.test/pump/4711", "text of the QR code")
	barText := flag.String("barcode", "SN-4711-AB", "text of the Code 128 barcode")
	line := flag.String("text", "PUMP SERIAL 4711", "the line of text")
	width := flag.Int("w", 1280, "frame width (even)")
	height := flag.Int("h", 720, "frame height (even)")
	frames := flag.Int("frames", 3, "number of frames")
	pngOut := flag.String("png", "", "also write the frame as PNG here (to look at it)")
	flag.Parse()

	img, err := render(*width, *height, *qrText, *barText, *line)
	if err != nil {
		log.Fatalf("fakecam: %v", err)
	}
	if err := writeY4M(*out, img, *frames); err != nil {
		log.Fatalf("fakecam: %v", err)
	}
	if *pngOut != "" {
		f, err := os.Create(*pngOut)
		if err == nil {
			err = png.Encode(f, img)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			log.Fatalf("fakecam: %v", err)
		}
	}
}

// render lays out the frame: QR code on the left, barcode top right, the
// line of text across the bottom. Each keeps a wide quiet zone, because the
// technician decodes from a compressed video and not from this file.
func render(w, h int, qrText, barText, line string) (*image.Gray, error) {
	if w%2 != 0 || h%2 != 0 || w < 640 || h < 360 {
		return nil, fmt.Errorf("frame %dx%d: want even sides of at least 640x360", w, h)
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	q, err := qr.Encode(qrText, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	side := h * 55 / 100
	q, err = barcode.Scale(q, side, side)
	if err != nil {
		return nil, fmt.Errorf("qr scale: %w", err)
	}
	m := h / 12
	draw.Draw(img, image.Rect(m, m, m+side, m+side), q, image.Point{}, draw.Src)

	enc, err := code128.Encode(barText)
	if err != nil {
		return nil, fmt.Errorf("barcode: %w", err)
	}
	x0 := m + side + 2*m
	bw, bh := w-x0-2*m, h*30/100
	b, err := barcode.Scale(enc, bw-bw%enc.Bounds().Dx(), bh)
	if err != nil {
		return nil, fmt.Errorf("barcode scale: %w", err)
	}
	draw.Draw(img, image.Rect(x0, h/10, x0+b.Bounds().Dx(), h/10+bh), b, image.Point{}, draw.Src)

	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	size := float64(h) / 10
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("font face: %w", err)
	}
	defer face.Close()
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.Gray{Y: 20}), Face: face}
	adv := d.MeasureString(line)
	if adv.Ceil() > w-h/10 {
		return nil, fmt.Errorf("text %q is %d px wide, more than the frame holds", line, adv.Ceil())
	}
	d.Dot = fixed.P((w-adv.Ceil())/2, h-h/12)
	d.DrawString(line)
	return img, nil
}

// writeY4M writes frames copies of img as 4:2:0 planes; a grey image has
// neutral chroma (128). Full-range luma would read as washed out in a
// limited-range decoder, so Y is mapped to 16..235.
func writeY4M(path string, img *image.Gray, frames int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	bw, bh := img.Bounds().Dx(), img.Bounds().Dy()
	fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n", bw, bh)
	y := make([]byte, bw*bh)
	for i, v := range img.Pix[:bw*bh] {
		y[i] = byte(16 + int(v)*219/255)
	}
	chroma := make([]byte, bw*bh/2)
	for i := range chroma {
		chroma[i] = 128
	}
	for range frames {
		w.WriteString("FRAME\n")
		w.Write(y)
		w.Write(chroma)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
