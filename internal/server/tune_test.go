//go:build linux

package server

import (
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
)

// TestTuneSocketBuffers: socket.send.buffer.bytes and
// socket.receive.buffer.bytes set SO_SNDBUF and SO_RCVBUF of accepted
// connections; -1 leaves the kernel's defaults.
func TestTuneSocketBuffers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accept := func() *net.TCPConn {
		t.Helper()
		cl, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		nc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		return nc.(*net.TCPConn)
	}
	bufs := func(tc *net.TCPConn) (snd, rcv int) {
		t.Helper()
		rc, err := tc.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var serr, rerr error
		if err := rc.Control(func(fd uintptr) {
			snd, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
			rcv, rerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		}); err != nil || serr != nil || rerr != nil {
			t.Fatal(err, serr, rerr)
		}
		return snd, rcv
	}
	server := func(snd, rcv int32) *Server {
		return New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Settings: Settings{SendBufferBytes: snd, ReceiveBufferBytes: rcv}})
	}

	plain := accept()
	defSnd, defRcv := bufs(plain)
	untouched := accept()
	server(-1, -1).tune(untouched)
	if snd, rcv := bufs(untouched); snd != defSnd || rcv != defRcv {
		t.Errorf("-1: SO_SNDBUF %d, SO_RCVBUF %d; want the defaults %d, %d", snd, rcv, defSnd, defRcv)
	}
	// Linux doubles the value set, for its bookkeeping overhead.
	set := accept()
	server(48<<10, 56<<10).tune(set)
	if snd, rcv := bufs(set); snd != 2*48<<10 || rcv != 2*56<<10 {
		t.Errorf("48 KiB / 56 KiB: SO_SNDBUF %d, SO_RCVBUF %d; want %d, %d", snd, rcv, 2*48<<10, 2*56<<10)
	}
	var nodelay int
	rc, _ := set.SyscallConn()
	_ = rc.Control(func(fd uintptr) {
		nodelay, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
	})
	if nodelay == 0 {
		t.Error("TCP_NODELAY is off")
	}
}
