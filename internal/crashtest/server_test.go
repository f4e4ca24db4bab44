package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/demo"
)

// binDir holds the binary built for this test run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tongban-crashtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/tongban once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goCmd); err != nil {
			goCmd = "go"
		}
		binPath = filepath.Join(binDir, "tongban")
		cmd := exec.Command(goCmd, "build", "-o", binPath, "github.com/tongban/tongban/cmd/tongban")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// lockedBuffer collects a process's output from two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one running `tongban serve` process.
type server struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	url  string
	out  *lockedBuffer
	done chan struct{}
}

// node describes where a server keeps its state: the database and the data
// directory (uploaded files).
type node struct {
	dsn, dataDir string
}

// freePort asks the kernel for a port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs `tongban serve -demo` for n and waits until it is ready.
func start(t *testing.T, name string, n node, extra ...string) *server {
	t.Helper()
	bin := binary(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append([]string{"serve", "-demo", "-listen", addr, "-db", n.dsn, "-data", n.dataDir}, extra...)
	cmd := exec.Command(bin, args...)
	// Only this test's settings: none of the environment's TONGBAN_*.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TONGBAN_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	s := &server{t: t, name: name, cmd: cmd, url: "http://" + addr, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			out := s.out.String()
			if len(out) > 4000 {
				out = "…" + out[len(out)-4000:]
			}
			t.Logf("%s output:\n%s", s.name, out)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.done:
			t.Fatalf("%s exited before it was ready:\n%s", name, s.out.String())
		default:
		}
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 60s:\n%s", name, s.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL, as a power cut or the kernel's OOM
// killer would: no deferred function, no shutdown, no flush.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop asks the process to shut down (SIGTERM) and waits for it.
func (s *server) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Errorf("%s did not stop within 30s of SIGTERM", s.name)
		s.kill()
	}
}

// pid is the server's process ID, which lease owners name.
func (s *server) pid() int { return s.cmd.Process.Pid }

// client is a signed-in user of a server's JSON API.
type client struct {
	base string
	hc   *http.Client
	user string
}

// login signs in as a demo account.
func login(ctx context.Context, base, username string) (*client, error) {
	jar, _ := cookiejar.New(nil)
	c := &client{base: base, user: username, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	body, _ := json.Marshal(map[string]string{"username": username, "password": demo.Password})
	code, resp, err := c.do(ctx, "POST", "/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("sign in as %s: %d %s", username, code, resp)
	}
	return c, nil
}

// do sends a request and returns the status and body; err is a transport
// failure (the server is gone), never an HTTP status.
func (c *client) do(ctx context.Context, method, path, contentType string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// postJSON sends v as JSON.
func (c *client) postJSON(ctx context.Context, path string, v any) (int, []byte, error) {
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	ct := ""
	if body != nil {
		ct = "application/json"
	}
	return c.do(ctx, "POST", path, ct, body)
}
