package devstack

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChildDiesWithParent kills a process that started a child and checks that the kernel
// kills the child too. The process is this test binary, run as TestHelperStartsSleeper.
func TestChildDiesWithParent(t *testing.T) {
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperStartsSleeper$", "-test.count=1")
	helper.Env = append(os.Environ(), "DEVSTACK_TEST_HELPER=1")
	helper.Stderr = t.Output()
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = helper.Process.Kill(); _ = helper.Wait() }()

	pid := 0
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if v, ok := strings.CutPrefix(scanner.Text(), "sleeper pid "); ok {
			if pid, err = strconv.Atoi(v); err != nil {
				t.Fatalf("helper said %q", scanner.Text())
			}
			break
		}
	}
	if pid == 0 {
		t.Fatalf("helper did not report its child (%v)", scanner.Err())
	}
	if processGone(pid) {
		t.Fatalf("sleeper %d not running before the helper dies", pid)
	}
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	waitGone(t, pid, 30*time.Second)
}

// TestHelperStartsSleeper is the helper process of TestChildDiesWithParent: it starts a long
// sleep the way Start starts a service, reports its pid and waits to be killed.
func TestHelperStartsSleeper(t *testing.T) {
	if os.Getenv("DEVSTACK_TEST_HELPER") != "1" {
		t.Skip("helper process of TestChildDiesWithParent")
	}
	c, err := startChild("sleeper", "sleep", []string{"300"}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("sleeper pid %d\n", c.pid)
	select {
	case <-c.done:
		t.Fatalf("sleeper exited: %v", c.err)
	case <-time.After(2 * time.Minute):
		t.Fatal("helper was not killed")
	}
}
