// Package chtest gives tests a real ClickHouse: the one named by
// ACDSTAT_TEST_CLICKHOUSE (host:port), or a private server it starts with
// scripts/clickhouse.sh when clickhouse-server is installed. Each test gets
// its own database. It is a test helper, imported only by _test.go files.
//
// Without a server a test is skipped on a developer's machine and fails under
// CI=true (DESIGN.md, Tests).
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// EnvAddr names the variable that points tests at a running server.
const EnvAddr = "ACDSTAT_TEST_CLICKHOUSE"

var (
	mu       sync.Mutex
	started  bool   // a start was tried in this process
	addr     string // host:port of the server, when there is one
	why      string // why there is none
	fatal    bool   // that reason fails the test rather than skipping it
	ownedDir string // the private server's directory, stopped by Main
	script   string // path of scripts/clickhouse.sh
)

// Main runs the package's tests and then stops the private server, if one was
// started. Call it from TestMain: func TestMain(m *testing.M) { chtest.Main(m) }.
// Without it a started server outlives the test process.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the private server this process started, if any.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if ownedDir == "" {
		return
	}
	cmd := exec.Command("bash", script, "stop", ownedDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "chtest: cannot stop clickhouse: %v\n%s", err, out)
	}
	os.RemoveAll(ownedDir)
	ownedDir = ""
}

// Addr returns host:port of a ClickHouse server for tests, starting one
// server per test process the first time it is needed. When there is none it
// skips t, or fails it under CI=true.
func Addr(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		addr, why, fatal = find()
	}
	if addr != "" {
		return addr
	}
	if fatal || os.Getenv("CI") == "true" {
		t.Fatalf("no clickhouse for tests: %s", why)
	}
	t.Skipf("no clickhouse for tests: %s", why)
	return ""
}

// find names the server to use, or why there is none and whether that is fatal.
func find() (addr, why string, fatal bool) {
	if a := os.Getenv(EnvAddr); a != "" {
		return a, "", false
	}
	server, err := exec.LookPath("clickhouse-server")
	if err != nil {
		for _, p := range []string{"/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"} {
			if _, err := os.Stat(p); err == nil {
				server = p
			}
		}
	}
	if server == "" {
		return "", fmt.Sprintf("%s is unset and clickhouse-server is not installed (apt-get install -y clickhouse-server clickhouse-client)", EnvAddr), false
	}
	root, err := repoRoot()
	if err != nil {
		return "", err.Error(), true
	}
	script = filepath.Join(root, "scripts", "clickhouse.sh")
	var lastErr error
	for try := 0; try < 3; try++ { // free ports can be taken between probe and bind
		dir, err := os.MkdirTemp("", "acdstat-clickhouse-")
		if err != nil {
			return "", err.Error(), true
		}
		tcp, http, err := freePorts()
		if err != nil {
			return "", err.Error(), true
		}
		cmd := exec.Command("bash", script, "start", dir, strconv.Itoa(tcp), strconv.Itoa(http))
		out, err := cmd.CombinedOutput()
		if err == nil {
			ownedDir = dir
			return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp)), "", false
		}
		lastErr = fmt.Errorf("scripts/clickhouse.sh start: %v: %s", err, strings.TrimSpace(string(out)))
		os.RemoveAll(dir)
	}
	return "", lastErr.Error(), true
}

// repoRoot walks up from the working directory to the directory of go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find go.mod above the working directory")
		}
		dir = parent
	}
}

// freePorts returns a free TCP port and a free HTTP port p whose p+1 (the
// interserver port) is free too.
func freePorts() (tcp, http int, err error) {
	free := func(p int) bool {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		l.Close()
		return true
	}
	pick := func() (int, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	if tcp, err = pick(); err != nil {
		return 0, 0, err
	}
	for i := 0; i < 20; i++ {
		if http, err = pick(); err != nil {
			return 0, 0, err
		}
		if http != tcp && http+1 != tcp && free(http+1) {
			return tcp, http, nil
		}
	}
	return 0, 0, errors.New("cannot find free ports for clickhouse")
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates an empty database test_<package>_<random> on the test
// server and drops it when the test ends. It returns the server's address and
// the database's name.
func NewDatabase(t testing.TB) (addr, db string) {
	t.Helper()
	addr = Addr(t)
	wd, _ := os.Getwd()
	pkg := nonIdent.ReplaceAllString(strings.ToLower(filepath.Base(wd)), "_")
	var b [6]byte
	rand.Read(b[:])
	db = "test_" + pkg + "_" + hex.EncodeToString(b[:])

	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol:    clickhouse.Native,
		Addr:        []string{addr},
		DialTimeout: 10 * time.Second,
		ReadTimeout: time.Minute,
	})
	if err != nil {
		t.Fatalf("cannot connect to clickhouse %s: %v", addr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := conn.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		conn.Close()
		t.Fatalf("cannot create database %s on %s: %v", db, addr, err)
	}
	t.Cleanup(func() {
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Errorf("cannot drop database %s: %v", db, err)
		}
	})
	return addr, db
}
