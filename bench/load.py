#!/usr/bin/env python3
"""Load test of the ocrchat service: concurrent clients on loopback for a bounded time (issue 14, item 8).

Starts the real service (`ocrchat serve`, through bench/service.py's `Service`: its own Postgres
database, Redis namespace, port and data directory), creates one paid account (a user) per
submitter and a token for each with the binary's CLI, recognises a few seed jobs (so chatters
have documents from the start), and then, for --seconds, runs on threads:

  submitters  POST /api/v1/ocr/ of small corpus inputs, back to back: 1-page PNG crops of the
              corpus letter (pdftoppm), and every --multi-every'th submit a 3-page PDF of crops
              (made here, byte by byte), with default form fields as a user would send them;
  pollers     GET /api/v1/ocr/<uuid>/ of accepted jobs (not yet done ones first), one every
              --poll-interval seconds each;
  chatters    POST /api/v1/chat/<uuid>/ with a question about a done job, one every
              --chat-interval seconds each.

Each client is one thread with its own keep-alive connection and uses the token of the account
that owns the job, so each account sees what one busy user does (well within any per-account
rate limit). When the time is up no new request starts; requests in flight finish; then every
accepted job is polled until it ends (--drain-timeout), and each job is checked: status `done`,
`page_count` the input's pages, `pages[].index` exactly 0..n-1 (0-based: each page once, none missing) and
one `page_recognized` event per page and attempt.

Reports throughput (requests/s per endpoint, pages/s), statuses per endpoint, p50/p99/max
latency, the server's peak RSS (VmRSS sampled every 100 ms, and the kernel's VmHWM), 429s
(counted apart: limits should be ones a normal client never meets), connection errors, lost or
failed jobs, 5xx count, and one PASS/FAIL line: nothing lost, no 5xx, no connection error.
Server log lines at WARN/ERROR (or a panic) are printed, with the ones near a 5xx.

Standard library only (and poppler's pdftoppm for the crops). Exit code: 0 PASS, 1 FAIL,
2 when the service could not be started or set up.

    python3 bench/load.py --binary ~/.cache/ocrchat/target/release/ocrchat
        [--seconds 60] [--submitters 50] [--pollers 200] [--chatters 20] [--accounts 50]
        [--field engine=tesseract] [--env OCRCHAT_X=Y] [--json out.json] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ in the clone
sys.path.insert(0, str(Path(__file__).resolve().parent))
from service import (  # noqa: E402  (bench/service.py: the service under test and helpers)
    RssSampler, Service, default_binary, default_corpus, log, multipart, parse_time, run,
    tool_version,
)

SUBMIT = "POST /api/v1/ocr/"
POLL = "GET /api/v1/ocr/{uuid}/"
CHAT = "POST /api/v1/chat/{uuid}/"
VERIFY = "GET /api/v1/ocr/{uuid}/ (drain+verify)"
EVENTS = "GET /api/v1/ocr/{uuid}/events/ (verify)"
ENDPOINTS = [SUBMIT, POLL, CHAT]
QUESTIONS = [
    "Who wrote this letter?",
    "What is the date of the letter?",
    "To whom is the letter addressed?",
    "What does the letter ask for?",
    "Which city is mentioned?",
    "Is there a total amount?",
]


# ---------------------------------------------------------------------------------------------
# Inputs: PNG crops and a hand-made PDF of them (also used by bench/memory.py)


def png_chunks(data: bytes):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def write_png(path: Path, width: int, height: int, rows, colour: str = "gray", level: int = 6) -> None:
    """Writes a PNG streaming `rows` (an iterable of `height` byte rows, 1 or 3 bytes per pixel,
    without the filter byte), so no full image is ever held in memory."""
    colour_type, channels = {"gray": (0, 1), "rgb": (2, 3)}[colour]
    comp = zlib.compressobj(level)
    count = 0
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)))
        pending = []
        size = 0
        for row in rows:
            if len(row) != width * channels:
                raise ValueError(f"row {count} has {len(row)} bytes, expected {width * channels}")
            out = comp.compress(b"\x00" + bytes(row))
            count += 1
            if out:
                pending.append(out)
                size += len(out)
            if size >= 1 << 20:
                f.write(png_chunk(b"IDAT", b"".join(pending)))
                pending, size = [], 0
        if count != height:
            raise ValueError(f"{count} rows, expected {height}")
        pending.append(comp.flush())
        f.write(png_chunk(b"IDAT", b"".join(pending)))
        f.write(png_chunk(b"IEND", b""))


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    """A binary (P5) 8-bit PGM, as `pdftoppm -gray` writes it: width, height, pixels."""
    data = path.read_bytes()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m or m.group(3) != b"255":
        raise ValueError(f"{path}: not an 8-bit binary PGM")
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():m.end() + w * h]


class PdfWriter:
    """The smallest PDF writer that pdfium and poppler accept: numbered objects, an xref table."""

    def __init__(self):
        self.objects: list[bytes | None] = []

    def reserve(self) -> int:
        self.objects.append(None)
        return len(self.objects)

    def set(self, num: int, body: bytes | str) -> int:
        self.objects[num - 1] = body.encode() if isinstance(body, str) else body
        return num

    def add(self, body: bytes | str) -> int:
        return self.set(self.reserve(), body)

    def stream(self, entries: str, data: bytes) -> int:
        return self.add(f"<< {entries} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")

    def png_image(self, png: bytes) -> tuple[int, int, int]:
        """An image XObject from a non-interlaced 8-bit gray or RGB PNG, its IDAT data as it is
        (FlateDecode with the PNG predictors): object number, width, height."""
        chunks = list(png_chunks(png))
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
        if depth != 8 or ctype not in (0, 2) or interlace:
            raise ValueError(f"PNG depth {depth}, colour type {ctype}, interlace {interlace}: unsupported")
        colors, space = (1, "/DeviceGray") if ctype == 0 else (3, "/DeviceRGB")
        idat = b"".join(body for kind, body in chunks if kind == b"IDAT")
        num = self.stream(
            f"/Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace {space} "
            f"/BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 "
            f"/Colors {colors} /BitsPerComponent 8 /Columns {w} >>", idat)
        return num, w, h

    def write(self, path: Path, page_nums: list[int], pages_num: int) -> None:
        self.set(pages_num, f"<< /Type /Pages /Kids [{' '.join(f'{n} 0 R' for n in page_nums)}] "
                            f"/Count {len(page_nums)} >>")
        catalog = self.add(f"<< /Type /Catalog /Pages {pages_num} 0 R >>")
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(self.objects, 1):
            if body is None:
                raise ValueError(f"object {i} reserved but never set")
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
        out += (f"trailer\n<< /Size {len(self.objects) + 1} /Root {catalog} 0 R >>\n"
                f"startxref\n{xref}\n%%EOF\n").encode()
        path.write_bytes(bytes(out))


def images_pdf(path: Path, pngs: list[Path], ppi: float = 72.0) -> None:
    """One page per PNG, the image filling the page at `ppi`."""
    pdf = PdfWriter()
    pages_num = pdf.reserve()
    page_nums = []
    for png in pngs:
        img, w, h = pdf.png_image(png.read_bytes())
        pw, ph = w * 72 / ppi, h * 72 / ppi
        content = pdf.stream("", f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /Im0 Do Q".encode())
        page_nums.append(pdf.add(
            f"<< /Type /Page /Parent {pages_num} 0 R /MediaBox [0 0 {pw:.2f} {ph:.2f}] "
            f"/Resources << /XObject << /Im0 {img} 0 R >> >> /Contents {content} 0 R >>"))
    pdf.write(path, page_nums, pages_num)


class Input:
    def __init__(self, path: Path, pages: int):
        self.path = path
        self.name = path.name
        self.pages = pages
        self.data = path.read_bytes()


def letter_crops(corpus: Path, out: Path, count: int = 8, height: int = 260) -> list[Path]:
    """Crops of the corpus's typewritten letter, rendered at its native 72 ppi (934 px wide):
    a few lines of text each, gray PNG."""
    letter = corpus / "en_typewritten_letter_2p.pdf"
    crops = []
    for i in range(count):
        page = 1 + i % 2
        y = 120 + (i // 2) * (height + 20)
        prefix = out / f"crop{i + 1}"
        run(["pdftoppm", "-gray", "-png", "-r", "72", "-f", str(page), "-l", str(page), "-x", "0",
             "-y", str(y), "-W", "934", "-H", str(height), "-singlefile", str(letter), str(prefix)])
        crops.append(prefix.with_suffix(".png"))
    return crops


# ---------------------------------------------------------------------------------------------
# Recording


class Stats:
    """Every request: endpoint, phase, start (epoch), seconds, status (int) or an error name."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records: list[tuple[str, str, float, float, object]] = []
        self.stale_retries = 0

    def add(self, endpoint, phase, start, seconds, status):
        with self.lock:
            self.records.append((endpoint, phase, start, seconds, status))


class JobRec:
    def __init__(self, uuid: str, token: str, inp: Input, accepted_at: float, job: dict):
        self.uuid = uuid
        self.token = token
        self.input = inp
        self.accepted_at = accepted_at
        self.status = job.get("status")
        self.final: dict | None = job if self.status in ("done", "failed") else None
        self.problems: list[str] = []


class Registry:
    def __init__(self):
        self.lock = threading.Lock()
        self.jobs: dict[str, JobRec] = {}
        self.open: list[str] = []  # not seen done/failed yet
        self.done: list[str] = []

    def add(self, rec: JobRec):
        with self.lock:
            if rec.uuid in self.jobs:  # the same job twice: a client problem, or idempotency
                self.jobs[rec.uuid].problems.append("the submit answer named an existing job")
                return
            self.jobs[rec.uuid] = rec
            (self.done if rec.status == "done" else self.open).append(rec.uuid)

    def update(self, uuid: str, job: dict):
        with self.lock:
            rec = self.jobs[uuid]
            status = job.get("status")
            if status in ("done", "failed") and rec.status not in ("done", "failed"):
                if uuid in self.open:
                    self.open.remove(uuid)
                if status == "done":
                    self.done.append(uuid)
            if status:
                rec.status = status
            if status in ("done", "failed"):
                rec.final = job

    def pick_for_poll(self, rng: random.Random) -> JobRec | None:
        with self.lock:
            if self.open and (not self.done or rng.random() < 0.8):
                return self.jobs[rng.choice(self.open)]
            if self.done:
                return self.jobs[rng.choice(self.done)]
            return None

    def pick_done(self, rng: random.Random) -> JobRec | None:
        with self.lock:
            return self.jobs[rng.choice(self.done)] if self.done else None


# ---------------------------------------------------------------------------------------------
# Clients


class Conn:
    """One keep-alive connection to the server (one per client thread)."""

    def __init__(self, port: int, stats: Stats, timeout: float):
        self.port = port
        self.stats = stats
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.used = False

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn, self.used = None, False

    def request(self, endpoint, phase, method, path, body=None, headers=None):
        """(status, headers, body) or (error name, None, None); every attempt is recorded. A
        GET on a reused connection the server had closed is retried once on a new one."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                self.used = False
            reused = self.used
            start_wall, start = time.time(), time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                seconds = time.perf_counter() - start
                self.used = True
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                self.stats.add(endpoint, phase, start_wall, seconds, resp.status)
                return resp.status, resp, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as err:
                self.close()
                if reused and method == "GET" and attempt == 0:
                    with self.stats.lock:
                        self.stats.stale_retries += 1
                    continue
                name = type(err).__name__
            except (socket.timeout, TimeoutError) as err:
                self.close()
                name = f"timeout ({err or self.timeout})"
            except (OSError, http.client.HTTPException) as err:
                self.close()
                name = type(err).__name__
            seconds = time.perf_counter() - start
            self.stats.add(endpoint, phase, start_wall, seconds, f"error: {name}")
            return f"error: {name}", None, None
        raise AssertionError("unreachable")


def auth(token: str, extra: dict | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    headers.update(extra or {})
    return headers


def retry_after(resp) -> float:
    try:
        return min(5.0, max(0.2, float(resp.getheader("Retry-After") or 1)))
    except (TypeError, ValueError):
        return 1.0


class Load:
    def __init__(self, args, port: int, tokens: list[str], inputs: list[Input], multi: Input):
        self.args = args
        self.port = port
        self.tokens = tokens
        self.inputs = inputs
        self.multi = multi
        self.stats = Stats()
        self.registry = Registry()
        self.stop = threading.Event()  # no new request after this
        self.phase = "load"
        self.bodies: dict[str, tuple[bytes, str]] = {}
        for inp in inputs + [multi]:
            self.bodies[inp.name] = multipart(args.fields, inp.name, inp.data)
        self.submit_counter = 0
        self.counter_lock = threading.Lock()
        self.client_errors: list[str] = []

    def next_input(self) -> Input:
        with self.counter_lock:
            n = self.submit_counter
            self.submit_counter += 1
        if self.args.multi_every and n % self.args.multi_every == self.args.multi_every - 1:
            return self.multi
        return self.inputs[n % len(self.inputs)]

    def submit(self, conn: Conn, token: str, inp: Input, phase: str) -> JobRec | None:
        body, ctype = self.bodies[inp.name]
        status, resp, data = conn.request(SUBMIT, phase, "POST", "/api/v1/ocr/", body,
                                          auth(token, {"Content-Type": ctype}))
        if status == 200:
            job = json.loads(data)
            rec = JobRec(job["uuid"], token, inp, time.time(), job)
            self.registry.add(rec)
            return rec
        if status == 429:
            time.sleep(retry_after(resp))
        elif not isinstance(status, int) or status >= 500:
            time.sleep(0.5)
        return None

    # Each client runs until `stop`, catching its own failures so one bug cannot end the run.
    def guarded(self, name, body):
        def target():
            try:
                body()
            except Exception:  # noqa: BLE001
                with self.counter_lock:
                    self.client_errors.append(f"{name}: {traceback.format_exc().strip().splitlines()[-1]}")
        return threading.Thread(target=target, name=name, daemon=True)

    def submitter(self, i: int):
        conn = Conn(self.port, self.stats, self.args.timeout)
        token = self.tokens[i % len(self.tokens)]
        while not self.stop.is_set():
            self.submit(conn, token, self.next_input(), "load")
            if self.args.submit_interval:
                self.stop.wait(self.args.submit_interval)
        conn.close()

    def poller(self, i: int):
        conn = Conn(self.port, self.stats, self.args.timeout)
        rng = random.Random(i)
        self.stop.wait(rng.random() * self.args.poll_interval)  # spread the first polls
        while not self.stop.is_set():
            rec = self.registry.pick_for_poll(rng)
            if rec is None:
                self.stop.wait(0.1)
                continue
            status, resp, data = conn.request(POLL, "load", "GET", f"/api/v1/ocr/{rec.uuid}/",
                                              headers=auth(rec.token))
            if status == 200:
                self.registry.update(rec.uuid, json.loads(data))
            elif status == 429:
                self.stop.wait(retry_after(resp))
            self.stop.wait(self.args.poll_interval)
        conn.close()

    def chatter(self, i: int):
        conn = Conn(self.port, self.stats, self.args.timeout)
        rng = random.Random(1000 + i)
        self.stop.wait(rng.random() * self.args.chat_interval)
        while not self.stop.is_set():
            rec = self.registry.pick_done(rng)
            if rec is None:
                self.stop.wait(0.2)
                continue
            body = json.dumps({"message": rng.choice(QUESTIONS)}).encode()
            status, resp, _ = conn.request(CHAT, "load", "POST", f"/api/v1/chat/{rec.uuid}/", body,
                                           auth(rec.token, {"Content-Type": "application/json"}))
            if status == 429:
                self.stop.wait(retry_after(resp))
            self.stop.wait(self.args.chat_interval)
        conn.close()

    def seed(self, count: int, timeout: float):
        """A few jobs done before the clock starts, so chatters have documents at once."""
        conn = Conn(self.port, self.stats, self.args.timeout)
        recs = []
        for i in range(count):
            rec = self.submit(conn, self.tokens[i % len(self.tokens)], self.inputs[i % len(self.inputs)], "seed")
            if rec is None:
                raise RuntimeError("a seed submit was refused: " + repr(self.stats.records[-1]))
            recs.append(rec)
        self.drain(recs, timeout, "seed", conn)
        conn.close()
        if any(r.status != "done" for r in recs):
            raise RuntimeError(f"seed jobs did not finish: {[(r.uuid, r.status) for r in recs]}")

    def drain(self, recs: list[JobRec], timeout: float, phase: str, conn: Conn | None = None) -> list[JobRec]:
        """Polls every job not yet ended until it ends; returns the ones still open."""
        conn = conn or Conn(self.port, self.stats, self.args.timeout)
        deadline = time.time() + timeout
        open_ = [r for r in recs if r.status not in ("done", "failed")]
        while open_ and time.time() < deadline:
            for rec in list(open_):
                status, _, data = conn.request(VERIFY, phase, "GET", f"/api/v1/ocr/{rec.uuid}/",
                                               headers=auth(rec.token))
                if status == 200:
                    self.registry.update(rec.uuid, json.loads(data))
                if rec.status in ("done", "failed"):
                    open_.remove(rec)
            if open_:
                time.sleep(1.0)
        return open_

    def run(self) -> tuple[float, float]:
        a = self.args
        threads = ([self.guarded(f"submitter-{i}", lambda i=i: self.submitter(i)) for i in range(a.submitters)]
                   + [self.guarded(f"poller-{i}", lambda i=i: self.poller(i)) for i in range(a.pollers)]
                   + [self.guarded(f"chatter-{i}", lambda i=i: self.chatter(i)) for i in range(a.chatters)])
        start = time.time()
        for t in threads:
            t.start()
        next_report = start + 10
        while time.time() < start + a.seconds:
            time.sleep(0.5)
            if time.time() >= next_report:
                next_report += 10
                with self.registry.lock:
                    jobs, open_ = len(self.registry.jobs), len(self.registry.open)
                log(f"  t={time.time() - start:4.0f} s: {len(self.stats.records)} requests, "
                    f"{jobs} jobs accepted, {open_} not done yet")
        self.stop.set()
        end = time.time()
        log(f"  time is up ({end - start:.1f} s): no new requests; waiting for the ones in flight")
        for t in threads:
            t.join(a.timeout + 10)
        alive = [t.name for t in threads if t.is_alive()]
        if alive:
            self.client_errors.append(f"{len(alive)} client thread(s) still running: {alive[:5]}")
        return start, end


# ---------------------------------------------------------------------------------------------
# Verification and report


def check_job(rec: JobRec) -> list[str]:
    job = rec.final
    if rec.status != "done" or job is None:
        err = (job or {}).get("error")
        return [f"status {rec.status}" + (f" ({err})" if err else "")]
    problems = list(rec.problems)
    n = rec.input.pages
    if job.get("page_count") != n:
        problems.append(f"page_count {job.get('page_count')}, the file has {n}")
    indexes = [p.get("index") for p in job.get("pages") or []]
    dup = sorted(i for i, c in Counter(indexes).items() if c > 1)
    if dup:
        problems.append(f"page index(es) {dup} more than once")
    if sorted(indexes) != list(range(n)):  # PageObject.index is 0-based (openapi.json)
        problems.append(f"pages[].index {sorted(indexes)}, expected 0..{n - 1}")
    if job.get("pages_done") not in (None, n):
        problems.append(f"pages_done {job.get('pages_done')} of {n}")
    return problems


def event_page_index(ev: dict):
    payload = ev.get("payload") or {}
    page = payload.get("page") if isinstance(payload.get("page"), dict) else payload
    return page.get("index", payload.get("page_index"))


def check_events(load: Load, conn: Conn, rec: JobRec) -> list[str]:
    """One `page_recognized` per page and attempt (a retried attempt may recognise a page again:
    counted, not a problem by itself)."""
    status, _, data = conn.request(EVENTS, "verify", "GET", f"/api/v1/ocr/{rec.uuid}/events/",
                                   headers=auth(rec.token))
    if status != 200:
        return [f"events: HTTP {status}"]
    events = json.loads(data)["events"]
    seen = Counter((ev.get("attempt"), event_page_index(ev)) for ev in events if ev["kind"] == "page_recognized")
    problems = [f"page {page} recognised {c}× in attempt {att}" for (att, page), c in seen.items() if c > 1]
    kinds = Counter(ev["kind"] for ev in events)
    if kinds.get("done", 0) != 1:
        problems.append(f"{kinds.get('done', 0)} done events")
    pages = {p for _, p in seen}
    if len(pages) != rec.input.pages:
        problems.append(f"page_recognized for {len(pages)} distinct pages of {rec.input.pages}")
    rec.attempts = len({a for a, _ in seen})
    rec.retried = kinds.get("attempt_failed", 0)
    return problems


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * len(values) + 0.5)) - 1))]


def ms(v) -> str:
    return "n/a" if v is None else (f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s")


def print_rows(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    log(line)
    log("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    log(line)
    for r in rows:
        log("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    log(line)


def server_log_lines(path: Path) -> list[str]:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return lines


def interesting(lines: list[str]) -> list[tuple[int, str]]:
    pat = re.compile(r"\b(ERROR|WARN)\b|panick|\bstatus[=: ]+5\d\d\b", re.I)
    return [(i, l) for i, l in enumerate(lines) if pat.search(l)]


def vm_status(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def rate_limit_settings() -> list[str]:
    """Configuration names that look like a rate limiter's (api/src/config.rs), to report."""
    config = Path(__file__).resolve().parent.parent / "api" / "src" / "config.rs"
    try:
        text = config.read_text()
    except OSError:
        return []
    return sorted(set(re.findall(r"OCRCHAT_[A-Z_]*(?:RATE|BURST|PER_SEC|PER_MIN|THROTTL)[A-Z_]*", text)))


def parse_kv(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise SystemExit(f"{what} {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", type=Path, default=default_binary(), help="the ocrchat binary [%(default)s]")
    p.add_argument("--corpus", type=Path, default=default_corpus(), help="[%(default)s]")
    p.add_argument("--seconds", type=float, default=60, help="how long clients run [%(default)s]")
    p.add_argument("--submitters", type=int, default=50, help="[%(default)s]")
    p.add_argument("--pollers", type=int, default=200, help="[%(default)s]")
    p.add_argument("--chatters", type=int, default=20, help="[%(default)s]")
    p.add_argument("--accounts", type=int, default=0,
                   help="paid accounts (users) the clients are spread over; 0: one per submitter [%(default)s]")
    p.add_argument("--poll-interval", type=float, default=0.5, help="seconds between a poller's requests [%(default)s]")
    p.add_argument("--chat-interval", type=float, default=1.0, help="seconds between a chatter's questions [%(default)s]")
    p.add_argument("--submit-interval", type=float, default=0.0, help="seconds between a submitter's uploads [%(default)s]")
    p.add_argument("--multi-every", type=int, default=5, help="every Nth submit is the 3-page PDF (0: never) [%(default)s]")
    p.add_argument("--seed-jobs", type=int, default=3, help="jobs finished before the clock starts [%(default)s]")
    p.add_argument("--timeout", type=float, default=300, help="client timeout of one request [%(default)s s]")
    p.add_argument("--drain-timeout", type=float, default=900, help="longest wait for accepted jobs to end [%(default)s s]")
    p.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                   help="a form field sent with every submit (e.g. engine=tesseract); default none, as a user")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="an environment variable for the server (e.g. a limit)")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the work directory (inputs, server log)")
    args = p.parse_args()
    args.fields = parse_kv(args.field, "--field")
    args.accounts = args.accounts or max(1, args.submitters)
    server_env = parse_kv(args.env, "--env")
    if not args.binary.exists():
        log(f"error: no binary at {args.binary} (build it: cargo build --release -p api, or pass --binary)")
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    load_avg = os.getloadavg()
    log("ocrchat load test (issue 14, item 8)")
    log(f"machine: {os.cpu_count()} cores, load average {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")
    log(f"binary:  {args.binary}, {tool_version([str(args.binary), '--version'])}")
    log(f"clients: {args.submitters} submitters, {args.pollers} pollers (every {args.poll_interval} s), "
        f"{args.chatters} chatters (every {args.chat_interval} s) for {args.seconds:.0f} s over "
        f"{args.accounts} accounts; form fields {args.fields or '(none: the defaults)'}")
    limiter = rate_limit_settings()
    log(f"rate-limit settings in this checkout's api/src/config.rs (the binary may predate them): "
        f"{', '.join(limiter) if limiter else 'none found'}; left at their defaults")

    work = Path(tempfile.mkdtemp(prefix="ocrchat-load-"))
    service = Service(args.binary, work)
    service.env.update(server_env)
    for k, v in server_env.items():
        log(f"server env: {k}={v}")
    sampler = None
    status = 0
    report: dict = {}
    load = None
    try:
        inputs_dir = work / "inputs"
        inputs_dir.mkdir()
        crops = letter_crops(args.corpus, inputs_dir)
        multi_path = inputs_dir / "crops-3p.pdf"
        images_pdf(multi_path, crops[:3])
        inputs = [Input(c, 1) for c in crops]
        multi = Input(multi_path, 3)
        log(f"inputs:  {len(inputs)} 1-page PNG crops of the corpus letter "
            f"({min(len(i.data) for i in inputs) / 1e3:.0f}-{max(len(i.data) for i in inputs) / 1e3:.0f} kB, "
            f"934x260 px) and {multi.name} (3 pages, {len(multi.data) / 1e3:.0f} kB)")

        try:
            service.start()
            t0 = time.time()

            def account(i: int) -> str:
                email = f"load{i}@example.com"
                service.cli("account", "create", "--email", email, "--plan", "free")
                service.cli("credits", "add", "--email", email, "--credits", "1000000")
                return service.cli("token", "create", "--email", email).strip().splitlines()[-1]

            with ThreadPoolExecutor(4) as pool:
                tokens = list(pool.map(account, range(args.accounts)))
            log(f"{len(tokens)} paid accounts and tokens made in {time.time() - t0:.1f} s")
        except Exception as err:  # noqa: BLE001
            log(f"error: could not set the service up: {err}")
            return 2
        pid = service.proc.pid
        sampler = RssSampler(pid, every=0.1)
        sampler.start()
        log(f"service up on {service.base}, pid {pid}, RSS {sampler.now_mb():.0f} MB; "
            f"{len(tokens)} paid accounts")

        load = Load(args, service.port, tokens, inputs, multi)
        t0 = time.time()
        load.seed(args.seed_jobs, args.drain_timeout)
        log(f"{args.seed_jobs} seed jobs done in {time.time() - t0:.1f} s")

        log(f"\n== load: {args.seconds:.0f} s")
        start, end = load.run()
        inflight_end = time.time()
        window = end - start
        log(f"  in-flight requests finished {inflight_end - end:.1f} s after the clock stopped")

        jobs = list(load.registry.jobs.values())
        log(f"\n== drain: {len(load.registry.open)} of {len(jobs)} accepted jobs not seen done yet; "
            f"polling until they end (at most {args.drain_timeout:.0f} s)")
        t0 = time.time()
        still_open = load.drain(jobs, args.drain_timeout, "drain")
        drained = time.time()
        log(f"  {'all ended' if not still_open else f'{len(still_open)} still open'} after {drained - t0:.1f} s")

        log("\n== verify: each job's final object and events")
        conn = Conn(service.port, load.stats, args.timeout)
        bad: dict[str, list[str]] = {}
        event_notes = []
        for rec in jobs:
            status_code, _, data = conn.request(VERIFY, "verify", "GET", f"/api/v1/ocr/{rec.uuid}/",
                                                headers=auth(rec.token))
            if status_code == 200:
                load.registry.update(rec.uuid, json.loads(data))
            problems = check_job(rec)
            if rec.status == "done":
                ev = check_events(load, conn, rec)
                problems += ev
                if getattr(rec, "retried", 0):
                    event_notes.append(f"{rec.uuid}: {rec.retried} attempt_failed event(s)")
            if problems:
                bad[rec.uuid] = problems
        conn.close()
        vm = vm_status(pid)
        idle_rss = sampler.now_mb()

        # ---------------------------------------------------------------- figures
        stats = load.stats.records
        in_window = [r for r in stats if r[1] == "load"]
        rows = []
        per_endpoint = {}
        for ep in ENDPOINTS:
            recs = [r for r in in_window if r[0] == ep]
            ok = [r[3] for r in recs if r[4] == 200]
            allsec = [r[3] for r in recs]
            statuses = Counter(str(r[4]) for r in recs)
            per_endpoint[ep] = {
                "requests": len(recs), "per_second": len(recs) / window,
                "ok_per_second": len(ok) / window,
                "p50_s": pct(allsec, 0.5), "p99_s": pct(allsec, 0.99), "max_s": max(allsec) if allsec else None,
                "p50_ok_s": pct(ok, 0.5), "p99_ok_s": pct(ok, 0.99), "statuses": dict(statuses),
            }
            rows.append([ep, str(len(recs)), f"{len(recs) / window:.1f}", ms(pct(allsec, 0.5)),
                         ms(pct(allsec, 0.99)), ms(max(allsec) if allsec else None),
                         ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))])
        other = Counter((r[0], str(r[4])) for r in stats if r[1] != "load")
        all_status = Counter(str(r[4]) for r in stats)
        five = [r for r in stats if isinstance(r[4], int) and r[4] >= 500]
        four29 = [r for r in stats if r[4] == 429]
        conn_err = [r for r in stats if isinstance(r[4], str)]
        # Pages: from the server's own finished_at, jobs finished within the window.
        finished = []
        for rec in jobs:
            if rec.status == "done" and rec.final and rec.final.get("finished_at"):
                finished.append((parse_time(rec.final["finished_at"]), rec.input.pages))
        pages_window = sum(n for t, n in finished if start <= t <= end)
        pages_total = sum(n for _, n in finished)
        last_done = max((t for t, _ in finished), default=end)
        seeds = sum(1 for r in stats if r[0] == SUBMIT and r[1] == "seed" and r[4] == 200)
        accepted_window = sum(1 for r in in_window if r[0] == SUBMIT and r[4] == 200)
        peak_window = sampler.peak_mb(start, inflight_end)
        peak_all = sampler.peak_mb()
        lost = [r for r in jobs if r.status not in ("done", "failed")]
        failed = [r for r in jobs if r.status == "failed"]

        log(f"\nresults: {window:.1f} s of load ({args.submitters} submitters, {args.pollers} pollers, "
            f"{args.chatters} chatters); load average now {os.getloadavg()[0]:.2f}")
        print_rows(["endpoint (requests started in the window)", "requests", "req/s", "p50", "p99", "max",
                    "statuses"], rows)
        if other:
            log("outside the window (seed, drain, verify): "
                + "; ".join(f"{ep} {st}: {c}" for (ep, st), c in sorted(other.items())))
        log(f"jobs: {len(jobs)} accepted ({seeds} seed + {accepted_window} in the window), "
            f"{sum(r.input.pages for r in jobs)} pages; {sum(1 for r in jobs if r.status == 'done')} done, "
            f"{len(failed)} failed, {len(lost)} never ended")
        log(f"pages/s: {pages_window / window:.2f} during the window ({pages_window} pages finished in it, "
            f"server finished_at); {pages_total / max(1e-9, last_done - start):.2f} from the start of the "
            f"window to the last job's end ({pages_total} pages, {last_done - start:.0f} s)")
        log(f"peak server RSS: {peak_window or 0:.0f} MB during the load (sampled every 100 ms), "
            f"{peak_all or 0:.0f} MB over the run; VmHWM {vm.get('VmHWM', 0) / 1024:.0f} MB; "
            f"RSS after verify {idle_rss or 0:.0f} MB")
        log(f"429 (rate limited): {len(four29)}" + (" — a normal client should never meet a limit" if four29 else ""))
        log(f"5xx: {len(five)}; connection errors/timeouts: {len(conn_err)}"
            + (f" ({dict(Counter(r[4] for r in conn_err))})" if conn_err else "")
            + f"; stale keep-alive GETs retried: {load.stats.stale_retries}")
        if load.client_errors:
            log(f"client errors (harness): {load.client_errors[:10]}")
        for uuid, problems in list(bad.items())[:20]:
            log(f"  job {uuid}: {'; '.join(problems)}")
        if event_notes:
            log(f"retried attempts (not failures by themselves): {event_notes[:10]}")
        log(f"lost jobs (never ended): {len(lost)}; jobs failing the checks: {len(bad)}")

        lines = server_log_lines(service.log_path)
        marks = interesting(lines)
        if marks:
            log(f"\nserver log: {len(marks)} WARN/ERROR/panic line(s); the first 30:")
            for _, line in marks[:30]:
                log("  " + line[:400])
        if five:
            log(f"\n5xx responses ({len(five)}); the first ones with the server log around them:")
            for ep, phase, t, secs, st in five[:5]:
                log(f"  {st} on {ep} ({phase}) at {time.strftime('%H:%M:%S', time.localtime(t))}, {secs:.2f} s")
            for i, _ in marks[:5]:
                log("  ---")
                for line in lines[max(0, i - 5):i + 5]:
                    log("  " + line[:400])

        passed = not five and not lost and not bad and not conn_err and not load.client_errors
        log(f"\n{'PASS' if passed else 'FAIL'}: nothing lost, no 5xx — {len(jobs)} jobs accepted, "
            f"{len(lost)} lost, {len(bad)} with problems, {len(five)} 5xx, {len(conn_err)} connection "
            f"errors, {len(four29)} 429 (reported apart), peak RSS {max(peak_all or 0, vm.get('VmHWM', 0) / 1024):.0f} MB")
        status = 0 if passed else 1
        report = {
            "window_s": window, "clients": {"submitters": args.submitters, "pollers": args.pollers,
                                            "chatters": args.chatters},
            "endpoints": per_endpoint, "outside_window": {f"{ep} {st}": c for (ep, st), c in other.items()},
            "all_statuses": dict(all_status), "jobs": len(jobs), "lost": len(lost), "failed": len(failed),
            "problems": bad, "pages_window": pages_window, "pages_per_s_window": pages_window / window,
            "pages_total": pages_total, "peak_rss_mb": peak_all, "peak_rss_window_mb": peak_window,
            "vm_hwm_mb": vm.get("VmHWM", 0) / 1024, "n_5xx": len(five), "n_429": len(four29),
            "conn_errors": len(conn_err), "pass": passed,
        }
    except KeyboardInterrupt as err:
        log(f"\ninterrupted ({err}): cleaning up")
        status = 130
    except Exception:  # noqa: BLE001
        log("harness error:\n" + traceback.format_exc())
        if service.proc:
            log(service.log_tail())
        status = 2
    finally:
        if load:
            load.stop.set()
        if sampler:
            sampler.stop_event.set()
        service.stop()
        service.cleanup()
        if args.json and report:
            args.json.write_text(json.dumps(report, indent=1, default=str))
            log(f"figures written to {args.json}")
        if args.keep:
            log(f"work directory kept: {work} (server log {service.log_path})")
        else:
            shutil.rmtree(work, ignore_errors=True)
            log(f"removed {work}")
    return status


if __name__ == "__main__":
    sys.exit(main())
