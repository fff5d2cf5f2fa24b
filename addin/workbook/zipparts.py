"""Zip members for the lossless writer: raw copies, parts deflated while written, our zip writer.

Unchanged members of a user's book are copied as their compressed bytes (same
method, CRC and data); the parts arcollect writes are deflated once, in a
background thread, while they are generated; ``ZipWriter`` lays them out with
ZIP64 fields when sizes or offsets need them.
"""
from __future__ import annotations

import io
import queue
import struct
import threading
import zlib
from dataclasses import dataclass
from typing import BinaryIO

try:    # the same raw deflate as zlib level 1 at the same ratio, 3.4x as fast on a sheet
    from isal import isal_zlib as _bulk
except ImportError:  # xlwings Lite's Pyodide has no ISA-L (a dependency everywhere else): zlib writes the same
    _bulk = zlib

LEVEL_SMALL = 6               # zlib level for small parts
LEVEL_BIG = 1                 # and for big ones (sheets): zlib ~220 MB/s, ISA-L ~700 MB/s
BIG_PART = 4 << 20             # parts above this are compressed at level 1
_BLOCK = 4 << 20               # bytes handed to the compressing thread at a time
_ZIP64_LIMIT = (1 << 31) - 1   # sizes/offsets above this get ZIP64 fields (as zipfile does)
STORED, DEFLATED = 0, 8


def _gf2_times(mat: list[int], vec: int) -> int:
    s, i = 0, 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A+B from crc(A), crc(B) and len(B) (zlib's crc32_combine; zlib does not export it)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


@dataclass
class Seg:
    """Raw deflate data in an open spill file, ended by a sync flush (no final block): segments concatenate.

    The file is anonymous (``tempfile.TemporaryFile``: no name in any folder), so closing it, or the
    process dying by any means, frees it; nothing is ever left to sweep.
    """
    file: BinaryIO
    crc: int
    usize: int
    csize: int


class Deflater:
    """A write-only stream compressing into an anonymous spill file in a background thread.

    zlib releases the GIL, so the caller keeps producing XML on one core while the other compresses.
    ``close`` returns the ``Seg`` (which keeps the file open); ``abort`` stops the thread and drops the file.
    """

    def __init__(self, file: BinaryIO, level: int = LEVEL_BIG):
        self.f = file
        self.comp = _compressobj(level)
        self.crc = 0
        self.usize = 0
        self.buf: list[bytes] = []
        self.n = 0
        self.err: BaseException | None = None
        self.q: queue.Queue = queue.Queue(maxsize=4)
        self.t = threading.Thread(target=self._run, name="arcollect-deflate", daemon=True)
        self.t.start()

    def _run(self) -> None:
        crc, comp, w = 0, self.comp, self.f.write
        while True:
            item = self.q.get()
            if item is None:
                break
            if self.err is not None:
                continue
            try:
                crc = _bulk.crc32(item, crc)
                w(comp.compress(item))
            except BaseException as e:   # disk full...: reported to the writer
                self.err = e
        self.crc = crc

    def write(self, b: bytes) -> None:
        self.buf.append(b)
        self.n += len(b)
        if self.n >= _BLOCK:
            self._hand_over()

    def _hand_over(self) -> None:
        if self.err is not None:
            raise self.err
        if self.buf:
            data = self.buf[0] if len(self.buf) == 1 else b"".join(self.buf)
            self.buf = []
            self.n = 0
            self.usize += len(data)
            self.q.put(data)

    def flush(self) -> None:
        pass

    def close(self) -> Seg:
        try:
            self._hand_over()
        finally:
            self.q.put(None)
            self.t.join()
        try:
            if self.err is not None:
                raise self.err
            self.f.write(self.comp.flush(zlib.Z_SYNC_FLUSH))
            self.f.flush()
            return Seg(self.f, self.crc, self.usize, self.f.tell())
        except BaseException:
            self.f.close()
            raise

    def abort(self) -> None:
        self.buf = []
        self.q.put(None)
        self.t.join()
        self.f.close()


def _compressobj(level: int):
    """A raw-deflate compressor: level 1 from ISA-L, any other level from zlib."""
    if level == LEVEL_BIG:
        return _bulk.compressobj(level, _bulk.DEFLATED, -15)
    return zlib.compressobj(level, zlib.DEFLATED, -15)


def deflate_bytes(b: bytes, level: int) -> bytes:
    c = _compressobj(level)
    return c.compress(b) + c.flush(zlib.Z_SYNC_FLUSH)


class DeflatedPart:
    """A part held compressed: small byte strings and ``Seg`` files, concatenated.

    Each piece is an independently compressed, sync-flushed raw-deflate run; one final empty block
    closes the stream, so ``save`` copies the compressed bytes into the zip without recompressing.
    """
    _END = b"\x03\x00"          # an empty final fixed-Huffman block

    def __init__(self, pieces: list):
        self.pieces = []
        crc = usize = 0
        csize = len(self._END)
        for p in pieces:
            if isinstance(p, bytes):
                if not p:
                    continue
                lvl = LEVEL_SMALL if len(p) < BIG_PART else LEVEL_BIG
                p = (deflate_bytes(p, lvl), zlib.crc32(p), len(p))
                crc = crc32_combine(crc, p[1], p[2])
                usize += p[2]
                csize += len(p[0])
            else:
                crc = crc32_combine(crc, p.crc, p.usize)
                usize += p.usize
                csize += p.csize
            self.pieces.append(p)
        self.crc, self.usize, self.csize = crc, usize, csize

    def size(self) -> int:
        return self.usize

    def compressed_chunks(self):
        for p in self.pieces:
            if isinstance(p, tuple):
                yield p[0]
            else:                        # by offset: two readers of one part may interleave
                for at in range(0, p.csize, 1 << 20):
                    p.file.seek(at)
                    yield p.file.read(min(1 << 20, p.csize - at))
        yield self._END

    def write_compressed(self, f) -> None:
        for b in self.compressed_chunks():
            f.write(b)

    def open(self) -> "InflateReader":
        return InflateReader(self.compressed_chunks())

    def read(self) -> bytes:
        with self.open() as r:
            return r.read()


class InflateReader:
    """A minimal read-only file object over raw-deflate chunks."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.d = zlib.decompressobj(-15)
        self.buf = b""
        self.eof = False

    def read(self, n: int = -1) -> bytes:
        out = [self.buf]
        have = len(self.buf)
        while (n < 0 or have < n) and not self.eof:
            c = next(self.chunks, None)
            if c is None:
                self.eof = True
                b = self.d.flush()
            else:
                b = self.d.decompress(c)
            out.append(b)
            have += len(b)
        data = b"".join(out)
        if n < 0 or len(data) <= n:
            self.buf = b""
            return data
        self.buf = data[n:]
        return data[:n]

    def close(self) -> None:
        if hasattr(self.chunks, "close"):
            self.chunks.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Prefetch:
    """Reads a file object ahead in a background thread (zip inflation overlaps the caller's work)."""

    def __init__(self, f, block: int):
        self.f = f
        self.block = block
        self.q: queue.Queue = queue.Queue(maxsize=2)
        self.stop = False
        self.t = threading.Thread(target=self._run, name="arcollect-inflate", daemon=True)
        self.t.start()

    def _run(self) -> None:
        try:
            while not self.stop:
                b = self.f.read(self.block)
                self.q.put(b)
                if not b:
                    return
        except BaseException as e:
            self.q.put(e)

    def read(self, n: int = -1) -> bytes:
        b = self.q.get()
        if isinstance(b, BaseException):
            raise b
        if not b:
            self.q.put(b)
        return b

    def close(self) -> None:
        self.stop = True
        while self.t.is_alive():
            try:
                self.q.get(timeout=0.05)
            except queue.Empty:
                pass
        self.f.close()


def crc_of(pieces) -> int:
    """The CRC-32 of the pieces end to end (ISA-L's: 5x as fast as zlib's)."""
    crc = 0
    for p in pieces:
        crc = _bulk.crc32(p, crc)
    return crc


def stored_zip(members) -> bytes:
    """A zip in memory of stored members, each ``(name, pieces, crc)``: for a reader that takes bytes."""
    out = io.BytesIO()
    zout = ZipWriter(out)
    for name, pieces, crc in members:
        size = sum(map(len, pieces))

        def write(f, pieces=pieces):
            for p in pieces:
                f.write(p)
        zout.add(name, crc=crc, csize=size, usize=size, method=STORED, flags=0, date_time=(1980, 1, 1, 0, 0, 0),
                 external_attr=0o600 << 16, create_system=3, write=write)
    zout.close()
    return out.getvalue()


class ZipWriter:
    """Writes a zip from pre-compressed members (raw copies or our own deflate streams), ZIP64 as needed."""

    def __init__(self, f, comment: bytes = b""):
        self.f = f
        self.entries: list[tuple] = []
        self.comment = comment

    def add(self, name: str, *, crc: int, csize: int, usize: int, method: int, flags: int, date_time,
            external_attr: int, create_system: int, internal_attr: int = 0, comment: bytes = b"", write) -> None:
        f = self.f
        offset = f.tell()
        try:
            fname = name.encode("ascii")
        except UnicodeEncodeError:
            fname = name.encode("utf-8")
            flags |= 0x800
        flags &= ~0x08                      # sizes are in the header: no data descriptor
        y, mo, d, h, mi, sec = date_time
        if y < 1980:
            y, mo, d, h, mi, sec = 1980, 1, 1, 0, 0, 0
        dosdate = (y - 1980) << 9 | mo << 5 | d
        dostime = h << 11 | mi << 5 | (sec // 2)
        zip64 = usize > _ZIP64_LIMIT or csize > _ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, usize, csize) if zip64 else b""
        version = 45 if zip64 else 20
        f.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", version, flags, method, dostime, dosdate, crc,
                            0xFFFFFFFF if zip64 else csize, 0xFFFFFFFF if zip64 else usize, len(fname), len(extra)))
        f.write(fname)
        f.write(extra)
        start = f.tell()
        write(f)
        if f.tell() - start != csize:
            raise OSError(f"zip member {name}: wrote {f.tell() - start} bytes, expected {csize}")
        self.entries.append((fname, crc, csize, usize, method, flags, dostime, dosdate, external_attr,
                             create_system, internal_attr, comment, offset))

    def close(self) -> None:
        f = self.f
        cd_start = f.tell()
        for (fname, crc, csize, usize, method, flags, dostime, dosdate, ext_attr, csys, int_attr, comment,
             offset) in self.entries:
            z = []
            if usize > _ZIP64_LIMIT:
                z.append(usize)
            if csize > _ZIP64_LIMIT:
                z.append(csize)
            if offset > _ZIP64_LIMIT:
                z.append(offset)
            extra = struct.pack("<HH" + "Q" * len(z), 1, 8 * len(z), *z) if z else b""
            version = 45 if z else 20
            f.write(struct.pack("<4sBBBBHHHHIIIHHHHHII", b"PK\x01\x02", version, csys, version, 0, flags, method,
                                dostime, dosdate, crc,
                                0xFFFFFFFF if csize > _ZIP64_LIMIT else csize,
                                0xFFFFFFFF if usize > _ZIP64_LIMIT else usize,
                                len(fname), len(extra), len(comment), 0, int_attr, ext_attr & 0xFFFFFFFF,
                                0xFFFFFFFF if offset > _ZIP64_LIMIT else offset))
            f.write(fname)
            f.write(extra)
            f.write(comment)
        cd_end = f.tell()
        n, cd_size = len(self.entries), cd_end - cd_start
        if n >= 0xFFFF or cd_start > _ZIP64_LIMIT or cd_size > _ZIP64_LIMIT:
            f.write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, cd_size, cd_start))
            f.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, cd_end, 1))
        f.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                            min(cd_size, 0xFFFFFFFF), min(cd_start, 0xFFFFFFFF), len(self.comment[:0xFFFF])))
        f.write(self.comment[:0xFFFF])


