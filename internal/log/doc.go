// Package log stores one Kafka partition's log on disk, and manages the
// partition directories of a data directory. Callers import it as vlog.
// It knows nothing of the network: the server hands it already validated
// v2 record batches and sends what Read returns as it is.
//
// # Directory layout
//
// A data directory holds a lock file, "vltava.lock", and one directory per
// partition named "<topic>-<partition>" (split at the last '-': topic names
// may contain '-'). A partition directory holds:
//
//	00000000000000000000.log        segment: record batches back to back
//	00000000000000000000.index      sparse offset index of that segment
//	00000000000000000000.timeindex  sparse time index of that segment
//	00000000000000004242.snapshot   producer state as of offset 4242
//	leader-epoch-checkpoint         leader epoch -> start offset
//	partition.checkpoint            log start offset, recovery point, HW
//	clean-shutdown                  marker: Close finished (see Opening)
//	cleaner-checkpoint              compacted logs: where cleaning got to
//	cleaner-swap                    compacted logs: a swap in progress
//	partition.metadata              the topic's id (partition_metadata.go)
//
// A new partition's directory holds only partition.metadata until its
// first append, which creates the first segment file: creating a topic
// makes one directory and one small file per partition, and nothing in it
// needs to be durable (a crash leaves an empty directory, or none, and
// Open starts a new log either way; the metadata log says which partitions
// exist, and partition.metadata is written again). Its first flush
// syncs the directory and also the log dir that holds its entry, so that
// flushed records cannot be lost with the directory.
//
// File names carry a 20-digit, zero-padded decimal offset: a segment's base
// offset (its first offset), or a snapshot's offset (the log end offset
// when it was taken). Files ending in ".deleted" or ".tmp" are leftovers of
// an interrupted delete or atomic write and are removed on open, as are
// files ending in ".cleaned" unless a cleaner-swap names them (see
// Cleaning).
//
// # Segment (.log)
//
// Kafka's v2 record batches byte for byte as produced, after the broker
// rewrote baseOffset, partitionLeaderEpoch and, for LogAppendTime, the
// attributes, maxTimestamp and CRC (see internal/record). Offsets increase
// strictly from batch to batch. The last segment is the active one: appends
// go there. A segment is rolled (closed, and a new one started at the next
// offset) when the next batch would take it past segment.bytes, when its
// index is full (segment.index.bytes), when a relative offset would not fit
// in an int32, or when segment.ms has passed since its first batch was
// appended, by the broker's clock: Vltava rolls on the broker's append time
// rather than on the first batch's client timestamp, so that producers with
// skewed clocks cannot force or stall rolls. segment.jitter.ms takes a
// random amount below it off segment.ms, drawn per segment, as Kafka does,
// so that partitions created together do not all roll at once. After a
// restart the active segment's age counts from the restart.
//
// Compacted logs: the cleaner rewrites closed segments, so offsets then
// have gaps (still strictly increasing), a segment may be empty (only the
// log's first, which keeps the log start), a batch may hold no records
// (the emptied last batch of a producer: header only, uncompressed,
// firstTimestamp -1, its original offsets and sequences), and a batch
// holding tombstones carries attribute bit 6 with its delete horizon in
// firstTimestamp (KIP-534; record timestamp deltas are rebased on it).
//
// # Offset index (.index)
//
// Entries of 8 bytes, big-endian:
//
//	0  4  relative offset: the batch's baseOffset minus the segment's base
//	4  4  position of the batch in the .log file
//
// An entry is added for a batch when more than index.interval.bytes were
// appended since the last entry (the first batch of a segment, at position
// 0, needs none). Offsets and positions increase strictly. Lookup: the last
// entry with relative offset <= target gives a position from which to walk
// batch headers forward.
//
// # Time index (.timeindex)
//
// Entries of 12 bytes, big-endian:
//
//	0  8  the largest maxTimestamp of the segment's batches so far
//	8  4  relative base offset of the batch that first reached it
//
// Entries are added with the offset index entries, when the timestamp grew,
// and a last entry holding the segment's largest timestamp is added when
// the segment is rolled or the log is closed, so that the last entry of a
// closed segment's time index is its largest timestamp. Timestamps
// increase strictly.
//
// The active segment's indexes live in memory as growing slices and are
// written (and fsynced) when it is rolled and on a clean Close. A closed
// segment's indexes are read from the files on first use; a missing or
// inconsistent index file (wrong size, entries not increasing, a position
// past the end, or a position where no batch with that offset starts) is
// rebuilt by walking the batch headers of the segment, and written back.
//
// # Producer snapshot (.snapshot)
//
//	0   4  magic "VPS2"
//	4   4  CRC-32C (Castagnoli) of everything after this field
//	8   4  number of producers, then for each, by increasing id:
//	       8 producer id, 2 epoch, 8 first offset of the ongoing
//	       transaction (-1: none), 8 last timestamp, 1 number of
//	       batches (<= 5), then for each of the last batches, oldest
//	       first:
//	       4 first sequence, 4 last sequence, 8 first offset,
//	       8 last offset, 8 timestamp (the batch's maxTimestamp)
//
// The last timestamp is the maxTimestamp of the producer's last batch or
// transaction marker, which a marker or an epoch bump may have left with
// no batch: a producer with no ongoing transaction whose last timestamp is
// producer.id.expiration.ms or more in the past is expired, dropped from
// the state by the Manager's pass every
// producer.id.expiration.check.interval.ms (as in Kafka). Its next batch
// is then an unknown producer's, accepted at any sequence. Loading a
// snapshot leaves out its producers expired by then (as Kafka); producers
// replayed from the batches after the snapshot wait for the next pass.
//
// "VPS1", written before producers expired, is the same without the last
// timestamp; it is still read, and its producers get as last timestamp
// the later of the time the file is read and their newest batch's
// timestamp. The newest batch alone could predate a later marker, and
// expire the producer too early; so an upgrade keeps its producers at most
// one expiration longer instead. Snapshots are always written as VPS2.
//
// A snapshot is written when a segment is rolled and on Close; those above
// the log end offset are deleted on open, and old ones with the segments
// they described. On open, producer state is the latest snapshot at or
// below the log end offset plus a replay of the batch headers after it.
//
// # leader-epoch-checkpoint
//
// Kafka's text format: a line "0" (version), a line with the number of
// entries, then one line "<epoch> <startOffset>" per entry, start offsets
// and epochs increasing. Written atomically (temporary file, fsync, rename,
// directory fsync) whenever an entry is added or entries are truncated, and
// by Close only when the file does not hold the cache already.
//
// # partition.checkpoint
//
//	0   4  magic "VPC1"
//	4   4  CRC-32C of everything after this field
//	8   8  log start offset
//	16  8  recovery point: every offset below it was fsynced
//	24  8  high watermark
//	32  8  log end offset     \ meaningful only when written by a clean
//	40  8  active segment base | Close, i.e. when clean-shutdown exists
//	48  8  active segment size /
//
// Written atomically after DeleteRecordsBefore, by Checkpoint (the manager
// calls it every few seconds when something changed), and on Close.
//
// # Opening and recovery
//
// A directory with no segment and no partition.checkpoint is a new log:
// Open reads nothing but the listing, and Close writes nothing until the
// first append.
//
// After a clean Close (marker present, checkpoint consistent with the
// active segment's size) Open only lists the segments: no segment is read,
// closed segments' indexes are loaded lazily, and producer state comes
// from the snapshot at the log end offset. The marker stays until the
// first change to the directory (append, roll, retention, DeleteRecords,
// truncation), which removes it and syncs the directory first, so closing
// a partition that was never written to costs no I/O beyond a checkpoint.
//
// Otherwise (kill -9, power loss) Open scans from the segment holding the
// recovery point to the end: each batch must have a sane length, magic 2, a
// valid CRC-32C and offsets above the previous batch's; the segment is
// truncated after the last valid batch and any later segments are deleted.
// Scanned segments get fresh indexes; leader epochs are taken from the
// scanned batches and epoch entries at or above the recovered end are
// dropped; producer state is rebuilt from the latest snapshot plus replay.
// Everything below the recovery point is trusted as it is. A rolled
// segment is flushed soon after the roll, off the appending goroutine (the
// Manager runs those flushes, a few at a time), so the recovery point
// trails the log end by little more than the active segment, whatever the
// flush settings: recovery after a crash, and the flush in Close, deal with
// the active segment's unflushed tail.
//
// # Cleaning
//
// The cleaner (cleaner.go) rewrites a group of consecutive closed
// segments into one cleaned segment with the base offset of the group's
// first, and swaps it in so that a crash leaves the group either old or
// cleaned, never a mix:
//
//  1. <base>.log.cleaned, .index.cleaned and .timeindex.cleaned are
//     written and fsynced. A crash here leaves them without a manifest:
//     Open removes them.
//  2. cleaner-swap is written atomically (temporary file, fsync, rename,
//     directory fsync). This is the commit point.
//  3. The group's segments are renamed to .deleted; directory fsync.
//  4. The .cleaned files are renamed into place, indexes first and the
//     .log last; cleaner-swap is removed; directory fsync.
//
// Open finishes a swap it finds committed: if <base>.log.cleaned exists it
// removes the files of every old segment the manifest names and renames
// the .cleaned files into place; otherwise step 4 had happened and only
// the manifest goes. A clean is a sequence of such swaps, one per group.
//
// cleaner-swap:
//
//	0   4  magic "VCS1"
//	4   4  CRC-32C of everything after this field
//	8   8  base of the cleaned segment, -1 when the group cleaned to
//	       nothing and is removed without replacement
//	16  4  number n of replaced segments
//	20  8n their base offsets
//
// cleaner-checkpoint, written atomically after each clean; when missing
// or corrupt the whole log counts as dirty, which costs a full clean and
// nothing else:
//
//	0   4  magic "VCC1"
//	4   4  CRC-32C of everything after this field
//	8   8  first dirty offset: offsets below were cleaned
//	16  8  broker time of the last clean (ms), 0: never
//	24  8  latest delete horizon given to a kept tombstone (ms), 0: none
//
// # Concurrency
//
// Lock order: Log.cleanMu (one clean at a time) -> Log.fmu (fsync) ->
// Log.mu (writers: append, roll, retention, truncate, close, a cleaner's
// swap) -> Log.rw (what readers see: segment list, sizes, log
// start, end, high watermark) -> segment.mu (a segment's file handle and
// indexes). Appends write the file under mu only and then publish the new
// end under rw briefly; readers hold rw only to pick segments and
// positions, and read with ReadAt outside any lock. Segments are reference
// counted: a deleted segment's files are renamed to ".deleted" at once and
// removed when the last reader releases it. The cleaner reads closed
// segments without Log.mu, holding references with their files open, and
// takes Log.mu only to swap, after checking that the group is unchanged
// (retention or truncation since make it start over). Log.cst.mu, the
// cleaner's bookkeeping, is a leaf.
package log
