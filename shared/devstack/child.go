package devstack

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// child is one running program of the stack.
type child struct {
	name string
	cmd  *exec.Cmd
	pid  int
	out  *tailBuffer
	// done is closed once the program has exited and been reaped; err is its Wait result.
	done chan struct{}
	err  error
	// ready is set once the program answered; stopping once Close began. An exit of a ready
	// program that is not being stopped is reported as a progress line.
	ready    atomic.Bool
	stopping atomic.Bool
}

// startChild starts path with args in dir, in its own process group, with its output kept in a
// tail buffer. It returns once the program has started.
func startChild(name, path string, args []string, dir string, p *progress) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	out := &tailBuffer{max: 64 << 10}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	// Bound the wait for the output copiers should a grandchild keep the pipes open.
	cmd.WaitDelay = 2 * time.Second
	c := &child{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	started := make(chan error, 1)
	go c.run(started, p)
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// run starts the program, reports the start on started, then waits for the program to exit.
func (c *child) run(started chan<- error, p *progress) {
	// The kernel sends the parent-death signal when the thread that forked the child exits, so
	// that thread stays with this goroutine until the child has been reaped.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := c.cmd.Start(); err != nil {
		started <- err
		return
	}
	c.pid = c.cmd.Process.Pid
	started <- nil
	c.err = c.cmd.Wait()
	close(c.done)
	if c.ready.Load() && !c.stopping.Load() {
		p.printf("%s (pid %d) exited unexpectedly (%v)%s", c.name, c.pid, c.err, c.out.lastLines(outputLines))
	}
}

// exited reports whether the program has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// exitErr returns the program's Wait result; call it only after done is closed.
func (c *child) exitErr() error {
	if c.err == nil {
		return fmt.Errorf("exit status 0")
	}
	return c.err
}

// tailBuffer keeps the last max bytes written to it. It is safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

// Write appends p, dropping the oldest bytes beyond max.
func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// lastLines formats the last n lines of output for an error message, leaving out the frames
// of Java and Node.js stack traces so that the exception lines fit. It returns "" when there
// was no output.
func (b *tailBuffer) lastLines(n int) string {
	b.mu.Lock()
	text := string(b.buf)
	b.mu.Unlock()
	var lines []string
	omitted := 0
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			continue
		case strings.HasPrefix(trimmed, "at ") || (strings.HasPrefix(trimmed, "... ") && strings.HasSuffix(trimmed, " more")):
			omitted++
			continue
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return ""
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	note := ""
	if omitted > 0 {
		note = fmt.Sprintf(" (%d stack frame lines left out)", omitted)
	}
	return "; last output" + note + ":\n    " + strings.Join(lines, "\n    ")
}
