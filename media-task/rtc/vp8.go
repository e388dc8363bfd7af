package rtc

// vp8Keyframe reports whether an RTP payload starts a VP8 key frame: the
// payload descriptor marks the start of partition 0 and the payload header
// has the key frame bit clear and the key frame start code (RFC 7741).
func vp8Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	b0 := p[0]
	if b0&0x10 == 0 || b0&0x07 != 0 {
		return false
	}
	i := 1
	if b0&0x80 != 0 {
		if len(p) < 2 {
			return false
		}
		x := p[1]
		i = 2
		if x&0x80 != 0 {
			if len(p) <= i {
				return false
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 {
			i++
		}
		if x&0x30 != 0 {
			i++
		}
	}
	if len(p) < i+6 {
		return false
	}
	return p[i]&0x01 == 0 && p[i+3] == 0x9d && p[i+4] == 0x01 && p[i+5] == 0x2a
}
