"""Reads page images with RapidOCR 3.10.0 (the reference for our PP-OCR engine).

Usage: python rapidocr_pages.py PAGE.png...  (run by `cargo bench -p workers --bench ocr`
with the bench venv's Python, see bench/setup.sh). Prints one JSON line per page:
{"file": ..., "text": ..., "seconds": ...}, the text being RapidOCR's lines in its order, one
per line. The engine is built (models loaded) before any clock starts; its settings are the
package defaults, the same models our engine loads.
"""

import json
import sys
import time

from rapidocr import RapidOCR


def main() -> None:
    engine = RapidOCR()
    for path in sys.argv[1:]:
        started = time.perf_counter()
        result = engine(path)
        seconds = time.perf_counter() - started
        texts = list(result.txts or ()) if result is not None else []
        print(json.dumps({"file": path, "text": "\n".join(texts), "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
