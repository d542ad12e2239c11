#!/usr/bin/env python3
"""Writes tiny well-formed files of every upload format into DIR (`just fuzz` seeds each corpus
with them beside the shared corpus): libFuzzer mutates headers far better from 100-byte files
than from megabyte scans. Standard library only. Usage: tiny_seeds.py DIR"""
import struct
import sys
import zlib
from pathlib import Path

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, phys=False):
    raw = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    body = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    if phys:
        body += png_chunk(b"pHYs", struct.pack(">IIB", 11811, 11811, 1))
    body += png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def bmp(width, height):
    row = (width * 3 + 3) // 4 * 4
    pixels = b"\xff" * row * height
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 11811, 11811, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(header) + len(pixels), 0, 0, 54) + header + pixels


def gif(frames):
    out = b"GIF89a" + struct.pack("<HHBBB", 2, 2, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    out += b"!\xff\x0bNETSCAPE2.0\x03\x01\0\0\0"
    for _ in range(frames):
        out += b"!\xf9\x04\0\x0a\0\0\0" + b"," + struct.pack("<HHHHB", 0, 0, 2, 2, 0)
        out += b"\x02\x02\x84\x51\0"  # LZW data for 4 pixels
    return out + b";"


def tiff(pages, big=False, endian="<"):
    """Uncompressed 8-bit grey pages, one IFD each, chained."""
    e = endian
    data = bytearray((b"II" if e == "<" else b"MM") + struct.pack(e + "H", 43 if big else 42))
    if big:
        data += struct.pack(e + "HHQ", 8, 0, 0)
    else:
        data += struct.pack(e + "I", 0)
    first_ptr = len(data) - (8 if big else 4)
    prev_next = first_ptr
    for index in range(pages):
        width, height = 3 + index, 2
        strip = len(data)
        data += b"\x80" * (width * height)
        if len(data) % 2:
            data += b"\0"
        ifd = len(data)
        struct.pack_into(e + ("Q" if big else "I"), data, prev_next, ifd)
        entries = [(256, 3, width), (257, 3, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
                   (273, 4, strip), (277, 3, 1), (278, 3, height), (279, 4, width * height),
                   (282, 5, 0), (296, 3, 2)]
        resolution_at = ifd + (8 if big else 2) + len(entries) * (20 if big else 12) + (8 if big else 4)
        data += struct.pack(e + ("Q" if big else "H"), len(entries))
        for tag, typ, value in entries:
            if tag == 282:
                value = resolution_at
            if big:
                data += struct.pack(e + "HHQ", tag, typ, 1)
                data += struct.pack(e + ("H6x" if typ == 3 else "I4x" if typ == 4 else "Q"), value)
            else:
                data += struct.pack(e + "HHI", tag, typ, 1)
                data += struct.pack(e + ("H2x" if typ == 3 else "I"), value)
        prev_next = len(data)
        data += struct.pack(e + ("Q" if big else "I"), 0)
        data += struct.pack(e + "II", 300, 1)
    return bytes(data)


def pdf(pages):
    """A minimal PDF with a correct cross-reference table; page i is 200+i x 100 points."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    objects += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {200 + i} 100] /Rotate {90 * i} >>".encode()
                for i in range(pages)]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


# A 1x1 baseline JPEG and a 1x1 lossless WEBP, as commonly used in test suites.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101012c012c0000ffdb004300080606070605080707070909080a0c140d0c0b0b0c"
    "1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b"
    "080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5"
    "100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c115"
    "52d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a6364"
    "65666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7"
    "b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda000801"
    "0100003f00fbd3ffd9")
WEBP = bytes.fromhex("524946461a000000574542505650384c0d0000002f0000001007101111888808fe0700")

seeds = {
    "tiny.png": png(3, 2),
    "tiny_phys.png": png(2, 2, phys=True),
    "tiny.jpg": JPEG,
    "tiny.webp": WEBP,
    "tiny.gif": gif(1),
    "tiny_3_frames.gif": gif(3),
    "tiny.bmp": bmp(2, 2),
    "tiny.tif": tiff(1),
    "tiny_3_pages.tif": tiff(3),
    "tiny_2_pages_be.tif": tiff(2, endian=">"),
    "tiny_big.tif": tiff(2, big=True),
    "tiny.pdf": pdf(1),
    "tiny_3_pages.pdf": pdf(3),
}
for name, data in seeds.items():
    (out / name).write_bytes(data)
