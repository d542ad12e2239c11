"""schemathesis hooks for the contract test (contract.rs): what a valid upload is.

The submit's `file` part is declared `format: binary` with the media types the service reads
(`encoding.file.contentType` in openapi/openapi.json). Any bytes fit `format: binary`, but only
a real image or PDF is a document, so schemathesis' random bytes would be "valid data" the
service must refuse (400, unreadable file). Here a PNG is what it is: a strategy that draws real
PNG files (grey or colour, 1 to 64 pixels a side, any shade), so the positive cases send
documents and the negative cases keep sending everything else.
"""

import struct
import zlib

import schemathesis
from hypothesis import strategies as st


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(width: int, height: int, colour: bool, shade: int) -> bytes:
    """A valid PNG of one flat shade."""
    channels = 3 if colour else 1
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if colour else 0, 0, 0, 0)
    row = b"\x00" + bytes([shade]) * (width * channels)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )


schemathesis.openapi.media_type(
    "image/png",
    st.builds(
        png,
        st.integers(min_value=1, max_value=64),
        st.integers(min_value=1, max_value=64),
        st.booleans(),
        st.integers(min_value=0, max_value=255),
    ),
)
