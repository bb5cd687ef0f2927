package server

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapBody maps n bytes (a multiple of 2 MiB) of anonymous memory aligned to
// 2 MiB and asks for huge pages there (MADV_HUGEPAGE, which transparent
// huge pages honour in their default "madvise" mode); nil if the mapping
// fails. Only unmapBody may release it.
func mapBody(n int) []byte {
	const huge = 1 << mappedBody
	m, err := unix.MmapPtr(-1, 0, nil, uintptr(n+huge), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil
	}
	// Keep the aligned n bytes and give back what lies around them.
	skip := (huge - int(uintptr(m)%huge)) % huge
	if skip > 0 {
		unix.MunmapPtr(m, uintptr(skip))
	}
	start := unsafe.Add(m, skip)
	unix.MunmapPtr(unsafe.Add(start, n), uintptr(huge-skip))
	b := unsafe.Slice((*byte)(start), n)
	unix.Madvise(b, unix.MADV_HUGEPAGE) // advice only: without huge pages b still works
	return b
}

// unmapBody releases a mapBody mapping.
func unmapBody(b []byte) { unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(b)), uintptr(cap(b))) }
