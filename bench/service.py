#!/usr/bin/env python3
"""End-to-end benchmark of the ocrchat service beside the command-line tools it replaces.

Starts the real service (`ocrchat serve`) on its own Postgres database, Redis namespace, port
and data directory, creates a paid account and a token with the binary's own CLI, and measures
(issue 10, item 6), each beside its reference measured in the same run:

  inline      one-page image answered inline (p50 of N submits) vs `tesseract FILE - -l eng`
  scanned     7-page scanned PDF (3 JPEG pages tagged 72 ppi + 4 at 300 ppi), submit ->
              done, vs `pdfimages -all` + `xargs -P 2 tesseract`
  born        born-digital PDF (>= 20 pages, made with LibreOffice) vs `pdftotext`, and its txt
              download vs `pdftotext -raw` up to whitespace
  searchable  the 7-page scan -> searchable PDF download vs `ocrmypdf`
  wrk         `wrk` on GET /api/v1/ocr/<uuid>/ of a done 1-page and 4-page job vs GET /healthz
  big         500-page scanned PDF: pages/s vs a 7-page job of the same pages, wall and server
              CPU time per page over the first vs the last 50 pages, peak RSS (skipped by --quick)
  idle        the server's RSS 30 s after the last job

and prints one table: measure, ours, reference, ratio, goal, met. A section that fails prints
its error and the others go on; the exit code is 0 unless the harness itself broke (2 if the
service could not be started or set up).

Standard library only. Reference tools: tesseract, poppler-utils (pdfimages, pdftotext,
pdfunite, pdfinfo), ghostscript, img2pdf, LibreOffice (soffice), wrk, and OCRmyPDF (by default
from ~/.cache/ocrchat/bench-venv, where `just bench-service` installs it).

    python3 bench/service.py --binary ~/.cache/ocrchat/target/release/ocrchat [--quick]
        [--only inline,wrk] [--inline-runs 10] [--big-pages 500] [--big-timeout 1200] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

SECTIONS = ["inline", "scanned", "born", "searchable", "wrk", "big", "idle"]
HOME = Path.home()
CACHE = Path(os.environ.get("OCRCHAT_CACHE", HOME / ".cache" / "ocrchat"))
REPO = Path(__file__).resolve().parent.parent
EMAIL = "bench@example.com"
MAX_UPLOAD = 52_428_800  # the server's default OCRCHAT_MAX_UPLOAD_BYTES


def log(msg: str = "") -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# HTTP: a small urllib helper and a hand-made multipart encoder


class Response:
    def __init__(self, status: int, headers, body: bytes, seconds: float):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"HTTP {self.status}: {self.body[:300]!r}"


class Http:
    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.token = token
        # No proxies: traffic only to 127.0.0.1.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(self, method, path, body=None, headers=None, timeout=300.0, auth=True):
        headers = dict(headers or {})
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                data = resp.read()
                return Response(resp.status, resp.headers, data, time.perf_counter() - start)
        except urllib.error.HTTPError as err:  # 3xx/4xx/5xx: still an answer
            data = err.read()
            return Response(err.code, err.headers, data, time.perf_counter() - start)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def submit(self, file: Path, fields: dict[str, str]):
        body, ctype = multipart(fields, file.name, file.read_bytes())
        return self.request("POST", "/api/v1/ocr/", body, {"Content-Type": ctype})


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----ocrchat-bench-" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------------------------------------
# Small helpers


def run(cmd, **kw) -> subprocess.CompletedProcess:
    """Runs a command, raising with its stderr if it fails."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    proc = subprocess.run(cmd, **kw)
    if proc.returncode != 0:
        err = (proc.stderr or "").strip()[-800:] if isinstance(proc.stderr, str) else ""
        raise RuntimeError(f"{cmd if isinstance(cmd, str) else ' '.join(map(str, cmd))} "
                           f"exited {proc.returncode}: {err}")
    return proc


def timed(cmd, **kw) -> float:
    start = time.perf_counter()
    run(cmd, **kw)
    return time.perf_counter() - start


def pdf_pages(pdf: Path) -> int:
    out = run(["pdfinfo", str(pdf)]).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def parse_time(text: str) -> float:
    """RFC 3339 (any number of fraction digits, Z or offset) to epoch seconds."""
    m = re.match(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$", text)
    if not m:
        raise ValueError(f"unparsable time {text!r}")
    base, frac, tz = m.group(1), m.group(2) or "0", m.group(3) or "Z"
    tz = "+00:00" if tz == "Z" else tz
    stamp = dt.datetime.fromisoformat(base + tz)
    return stamp.timestamp() + float("0." + frac)


def p50(values):
    return statistics.median(values) if values else float("nan")


def fmt_s(seconds) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"


def fmt_ms(seconds) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def fmt_ratio(value) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def yes(flag) -> str:
    return "n/a" if flag is None else ("yes" if flag else "no")


def normalise_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def tool_version(cmd) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        out = (proc.stdout or proc.stderr).strip().splitlines()
        return out[0] if out else f"(no output, rc {proc.returncode})"
    except Exception as err:  # noqa: BLE001
        return f"unavailable ({err})"


# ---------------------------------------------------------------------------------------------
# The service under test


class RssSampler(threading.Thread):
    """Samples VmRSS of a process (and its descendants) every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.samples: list[tuple[float, int]] = []  # (epoch, kB)
        self.cpu: list[tuple[float, float]] = []  # (epoch, CPU seconds of the tree)
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.stop_event = threading.Event()

    @staticmethod
    def rss_kb(pid: int) -> int | None:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return 0

    def tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo.extend(int(c) for c in f.read().split())
            except OSError:
                pass
        return pids

    def cpu_seconds(self, pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.ticks  # utime + stime
        except (OSError, IndexError, ValueError):
            return 0.0

    def run(self):
        while not self.stop_event.is_set():
            total, cpu = 0, 0.0
            for pid in self.tree():
                total += self.rss_kb(pid) or 0
                cpu += self.cpu_seconds(pid)
            now = time.time()
            if total:
                self.samples.append((now, total))
                self.cpu.append((now, cpu))
            self.stop_event.wait(self.every)

    def cpu_at(self, when: float) -> float:
        """The tree's CPU seconds at `when`, interpolated between samples."""
        before = [(t, c) for t, c in self.cpu if t <= when]
        after = [(t, c) for t, c in self.cpu if t >= when]
        if not before or not after:
            raise ValueError(f"no CPU sample around {when:.1f}")
        (t0, c0), (t1, c1) = before[-1], after[0]
        return c0 if t1 == t0 else c0 + (c1 - c0) * (when - t0) / (t1 - t0)

    def peak_mb(self, start: float = 0.0, end: float = float("inf")) -> float | None:
        values = [kb for t, kb in self.samples if start <= t <= end]
        return max(values) / 1024 if values else None

    def now_mb(self) -> float | None:
        kb = sum(self.rss_kb(pid) or 0 for pid in self.tree())
        return kb / 1024 if kb else None


class Service:
    def __init__(self, binary: Path, workdir: Path):
        self.binary = binary
        self.workdir = workdir
        tag = secrets.token_hex(4)
        self.db = f"ocrchat_bench_{tag}"
        self.namespace = f"ocrchat_bench_{tag}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen | None = None
        self.env = dict(os.environ)
        for var in ("OCRCHAT_LLM_BASE_URL", "OCRCHAT_VLM_BASE_URL"):
            self.env.pop(var, None)
        self.env.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{self.db}",
            OCRCHAT_REDIS_NAMESPACE=self.namespace,
            OCRCHAT_ADDR=f"127.0.0.1:{self.port}",
            OCRCHAT_DATA_DIR=str(workdir / "data"),
            OMP_THREAD_LIMIT="1",
        )
        self.env.setdefault(
            "OCRCHAT_PDFIUM_LIB", str(CACHE / "pdfium-5.15.2" / "libpdfium.so")
        )

    def start(self, wait: float = 180.0):
        log(f"starting {self.binary} serve on {self.base} (database {self.db}, "
            f"Redis namespace {self.namespace}; log {self.log_path})")
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(self.binary), "serve"], env=self.env, stdout=self.log_file,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        http = Http(self.base)
        deadline = time.time() + wait
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if http.get("/healthz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"/healthz did not answer 200 within {wait:.0f} s:\n{self.log_tail()}")

    def cli(self, *args: str) -> str:
        return run([str(self.binary), *args], env=self.env).stdout

    def log_tail(self, lines: int = 30) -> str:
        return log_tail(self.log_path, lines)

    def stop(self):
        stop_process(self.proc, "the server", 30)
        if self.proc:
            log(f"server stopped (exit {self.proc.returncode})")

    def cleanup(self):
        """Drops the database and this run's Redis keys (only its namespace)."""
        proc = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c",
             f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'],
            capture_output=True, text=True,
        )
        log(f"dropped database {self.db}" if proc.returncode == 0
            else f"could not drop database {self.db}: {proc.stderr.strip()}")
        keys = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "--scan", "--pattern", f"{self.namespace}:*"],
            capture_output=True, text=True,
        ).stdout.split()
        for i in range(0, len(keys), 500):
            subprocess.run(["redis-cli", "-h", "127.0.0.1", "DEL", *keys[i:i + 500]],
                           capture_output=True)
        log(f"deleted {len(keys)} Redis key(s) of {self.namespace}")


def log_tail(path: Path, lines: int) -> str:
    """The last lines of a process's log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_process(proc: subprocess.Popen | None, name: str, timeout: float) -> None:
    """SIGTERM, then SIGKILL if the process has not stopped within `timeout` seconds."""
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop within {timeout:.0f} s of SIGTERM: killing it")
            proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Jobs


class Job:
    """A submitted job: its uuid, the submit's start (epoch) and the answer."""

    def __init__(self, bench: "Bench", file: Path, language: str = "en"):
        self.bench = bench
        self.file = file
        self.started = time.time()
        # Against the tesseract command the service reads with Tesseract too; engine=auto's
        # cost and accuracy (PP-OCR where Tesseract struggles) are the `ocr` bench's subject.
        resp = bench.http.submit(file, {"language": language, "engine": "tesseract"})
        if resp.status != 200:
            raise RuntimeError(f"submit of {file.name}: {resp}")
        self.post_seconds = resp.seconds
        self.answer = resp.json()
        self.uuid = self.answer["uuid"]
        self.status = self.answer.get("status")

    def wait(self, timeout: float, every: float = 0.1) -> dict:
        """Polls the job until done/failed (or raises TimeoutError)."""
        deadline = time.time() + timeout
        job = self.answer
        while job.get("status") not in ("done", "failed"):
            if time.time() > deadline:
                raise TimeoutError(f"job {self.uuid} still {job.get('status')} after {timeout:.0f} s")
            time.sleep(every)
            resp = self.bench.http.get(f"/api/v1/ocr/{self.uuid}/")
            if resp.status != 200:
                raise RuntimeError(f"poll of {self.uuid}: {resp}")
            job = resp.json()
        self.answer, self.status = job, job["status"]
        if self.status == "failed":
            raise RuntimeError(f"job {self.uuid} failed: {job.get('error')}")
        return job

    def events(self, full: bool = False) -> list[dict]:
        resp = self.bench.http.get(f"/api/v1/ocr/{self.uuid}/events/" + ("?full=true" if full else ""))
        if resp.status != 200:
            raise RuntimeError(f"events of {self.uuid}: {resp}")
        return resp.json()["events"]

    def timing(self) -> dict:
        """Times from the job's events: submit (client clock, same machine) to done, etc."""
        events = self.events()
        first = {}
        for ev in events:
            first.setdefault(ev["kind"], parse_time(ev["recorded_at"]))
        pages = [parse_time(ev["recorded_at"]) for ev in events if ev["kind"] == "page_recognized"]
        t = {
            "events": events,
            "pages": pages,
            "to_done": first["done"] - self.started if "done" in first else None,
            "queue_wait": (first["processing_started"] - first["submitted"])
            if {"processing_started", "submitted"} <= first.keys() else None,
            "started_to_done": (first["done"] - first["processing_started"])
            if {"processing_started", "done"} <= first.keys() else None,
        }
        return t


# ---------------------------------------------------------------------------------------------
# Inputs, built from the corpus into the work directory


class Inputs:
    def __init__(self, corpus: Path, work: Path, big_pages: int = 500):
        self.corpus = corpus
        self.big_pages = big_pages
        self.dir = work / "inputs"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cache: dict[str, Path] = {}
        self.notes: dict[str, str] = {}

    def get(self, name: str) -> Path:
        if name not in self.cache:
            self.cache[name] = getattr(self, "make_" + name)()
        return self.cache[name]

    def make_receipt(self) -> Path:
        return self.corpus / "en_receipt_01.jpg"

    def make_letter4(self) -> Path:
        out = self.dir / "letter4.pdf"
        letter = self.corpus / "en_typewritten_letter_2p.pdf"
        run(["pdfunite", str(letter), str(letter), str(out)])
        return out

    def make_scan7(self) -> Path:
        """A phone scanner's PDF (3 corpus JPEGs embedded as they are, tagged 72 ppi: page points
        = pixels) joined to a 300 ppi scanner's PDF (4 other corpus JPEGs on pages sized for
        300 ppi), as the issue describes."""
        jpegs = [self.corpus / n for n in
                 ("de_typewritten_01.jpg", "fr_typewritten_01.jpg", "da_typewritten_01.jpg")]
        scan3 = self.dir / "scan3-72ppi.pdf"
        run(["img2pdf", "--imgsize", "72dpix72dpi", "-o", str(scan3), *map(str, jpegs)])
        jpegs300 = [self.corpus / n for n in
                    ("fr_typewritten_02.jpg", "de_print_fraktur_01.jpg", "en_receipt_02.jpg",
                     "en_receipt_03.jpg")]
        scan4 = self.dir / "scan4-300ppi.pdf"
        run(["img2pdf", "--imgsize", "300dpix300dpi", "-o", str(scan4), *map(str, jpegs300)])
        out = self.dir / "scan7.pdf"
        run(["pdfunite", str(scan3), str(scan4), str(out)])
        listing = run(["pdfimages", "-list", str(out)]).stdout.splitlines()[2:]
        rows = [line.split() for line in listing if line.strip()]
        ppi = sorted({f"{r[12]}x{r[13]}" for r in rows})
        if len(rows) != 7:
            raise RuntimeError(f"scan7.pdf has {len(rows)} images, expected 7")
        sizes = ", ".join(f"{r[3]}×{r[4]}" for r in rows)
        self.notes["scan7"] = (f"7 pages, {out.stat().st_size / 1e6:.1f} MB, one JPEG per page "
                               f"({sizes} px), image ppi {', '.join(ppi)} (pdfimages -list)")
        return out

    def make_born(self) -> Path:
        """A born-digital PDF of >= 20 pages: corpus ground truths + number lines via LibreOffice."""
        texts = []
        for gt in sorted(self.corpus.glob("*.gt.txt")):
            texts.append(gt.read_text().replace("\f", "\n\n"))
        block = "\n\n".join(texts)
        profile = self.dir / "lo-profile"
        for repeat in range(3, 12):
            chunks = []
            for r in range(repeat):
                chunks.append(f"Part {r + 1} of {repeat}\n")
                for i in range(1, 21):
                    chunks.append(f"Invoice {r + 1:02d}-{i:04d}: {i * 3} items × {i * 1.25:.2f} EUR = "
                                  f"{i * 3 * i * 1.25:,.2f} EUR (VAT 19%: {i * 3 * i * 1.25 * 0.19:.2f}); "
                                  f"ref. #{(r * 7919 + i * 104729) % 100000:05d}, paid {2000 + i}-{i % 12 + 1:02d}-{i % 28 + 1:02d}.\n")
                chunks.append("\n" + block + "\n")
            src = self.dir / "born.txt"
            src.write_text("".join(chunks))
            run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                 "--infilter=Text (encoded):UTF8,LF,,,", "--convert-to", "pdf",
                 "--outdir", str(self.dir), str(src)], timeout=300)
            out = self.dir / "born.pdf"
            pages = pdf_pages(out)
            if pages >= 20:
                fonts = run(["pdffonts", str(out)]).stdout.count("\n") - 2
                self.notes["born"] = (f"{pages} pages, {out.stat().st_size / 1e3:.0f} kB, "
                                      f"{src.stat().st_size / 1e3:.0f} kB of text (corpus ground "
                                      f"truths x{repeat} + invoice lines), {fonts} font(s), "
                                      "LibreOffice Writer export")
                return out
        raise RuntimeError(f"LibreOffice made only {pages} pages")

    def make_letter_pages(self) -> list[Path]:
        """The letter's two pages re-encoded as greyscale JPEG at native 934/918x1170 px, at the
        highest quality that keeps 500 pages under 48 MB."""
        letter = self.corpus / "en_typewritten_letter_2p.pdf"
        for quality in (50, 40, 35, 30, 25, 20, 15):
            pattern = self.dir / f"letter-q{quality}-%d.jpg"
            run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=jpeggray", "-r72",
                 f"-dJPEGQ={quality}", f"-sOutputFile={pattern}", str(letter)])
            pages = [self.dir / f"letter-q{quality}-{i}.jpg" for i in (1, 2)]
            if sum(p.stat().st_size for p in pages) * 250 < 48e6:
                self.notes["letter_quality"] = str(quality)
                return pages
        raise RuntimeError("even quality 15 does not fit 500 pages in 48 MB")

    def _letter_pdf(self, name: str, count: int) -> Path:
        pages = self.get_pages()
        files = [str(pages[i % 2]) for i in range(count)]
        out = self.dir / name
        run(["img2pdf", "--imgsize", "72dpix72dpi", "-o", str(out), *files])
        return out

    def get_pages(self) -> list[Path]:
        if "letter_pages" not in self.cache:
            self.cache["letter_pages"] = self.make_letter_pages()
        return self.cache["letter_pages"]

    def make_big500(self) -> Path:
        out = self._letter_pdf("big500.pdf", self.big_pages)
        size = out.stat().st_size
        if size >= MAX_UPLOAD:
            raise RuntimeError(f"big500.pdf is {size} bytes, over the 50 MiB upload limit")
        self.notes["big500"] = (
            f"{self.big_pages} pages: the corpus letter's 2 pages alternating, each its own greyscale JPEG "
            f"(934×1170 and 918×1172 px, as in the corpus PDF, tagged 72 ppi so page points = "
            f"pixels) re-encoded by Ghostscript at quality {self.notes['letter_quality']}; "
            f"{size / 1e6:.1f} MB (limit {MAX_UPLOAD / 1e6:.1f} MB)")
        return out

    def make_small7(self) -> Path:
        return self._letter_pdf("small7.pdf", 7)


# ---------------------------------------------------------------------------------------------
# The bench


class Bench:
    def __init__(self, args, service: Service, inputs: Inputs, sampler: RssSampler, http: Http):
        self.args = args
        self.service = service
        self.inputs = inputs
        self.sampler = sampler
        self.http = http
        self.rows: list[list[str]] = []
        self.facts: dict = {}  # results shared between sections
        self.last_job_end = time.time()
        self.tool_env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def row(self, measure, ours, ref="—", ratio="—", goal="—", met="—"):
        self.rows.append([measure, ours, ref, ratio, goal, met])

    def job_done(self):
        """Marks the end of the latest activity (jobs, wrk) the idle measure waits 30 s after."""
        self.last_job_end = time.time()

    def work(self, name: str) -> Path:
        path = self.service.workdir / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    # 1 -------------------------------------------------------------------------------------
    def inline(self):
        image = self.inputs.get("receipt")
        runs = self.args.inline_runs
        log(f"  {image.name}, language=en, {runs} sequential submits interleaved with {runs} "
            "`tesseract FILE - -l eng` runs (one warm-up of each first, not counted)")
        cli_cmd = ["tesseract", str(image), "-", "-l", "eng"]
        run(cli_cmd, env=self.tool_env)
        Job(self, image)
        ours, cli, jobs = [], [], []
        for _ in range(runs):
            cli.append(timed(cli_cmd, env=self.tool_env))
            job = Job(self, image)
            if job.status != "done":
                raise RuntimeError(f"inline submit answered status {job.status!r}, not done")
            ours.append(job.post_seconds)
            jobs.append(job)
        self.job_done()
        timings = [j.timing() for j in jobs]
        waits = [t["queue_wait"] for t in timings if t["queue_wait"] is not None]
        work = [t["started_to_done"] for t in timings if t["started_to_done"] is not None]
        # done event -> the POST's answer received (client clock; same machine)
        answer = [j.started + j.post_seconds - (j.started + t["to_done"])
                  for j, t in zip(jobs, timings) if t["to_done"] is not None]
        ours_p50, cli_p50 = p50(ours), p50(cli)
        log(f"  ours  POST seconds: {' '.join(f'{s:.2f}' for s in ours)}")
        log(f"  CLI   seconds:      {' '.join(f'{s:.2f}' for s in cli)}")
        log(f"  submitted→processing_started: {' '.join(f'{s * 1000:.0f}' for s in waits)} ms")
        log(f"  processing_started→done:      {' '.join(f'{s * 1000:.0f}' for s in work)} ms")
        log(f"  done→answer received:         {' '.join(f'{s * 1000:.0f}' for s in answer)} ms")
        self.row("1 inline 1-page image, p50 of POST", fmt_ms(ours_p50), fmt_ms(cli_p50) + " (CLI)",
                 fmt_ratio(ours_p50 / cli_p50), "≤ CLI + 150 ms", yes(ours_p50 <= cli_p50 + 0.150))
        wait_p50 = p50(waits) if waits else None
        self.row("1 queue wait submitted→processing_started, p50", fmt_ms(wait_p50), "—", "—",
                 "≈ 0 (≤ 50 ms)", yes(wait_p50 is not None and wait_p50 <= 0.050))

    # 2 -------------------------------------------------------------------------------------
    def scanned(self):
        pdf = self.inputs.get("scan7")
        pages = 7
        log(f"  {pdf.name}: {self.inputs.notes['scan7']}")
        ref = self.cli_pdfimages_tesseract(pdf)
        log(f"  CLI: pdfimages -all + xargs -P 2 tesseract -l eng: {ref:.2f} s, {pages / ref:.3f} pages/s")
        job = Job(self, pdf)
        job.wait(self.args.job_timeout)
        self.job_done()
        t = job.timing()
        ours = t["to_done"]
        self.facts["scan7_pps"] = pages / ours
        log(f"  ours: submit→done {ours:.2f} s ({pages / ours:.3f} pages/s); queue wait "
            f"{fmt_ms(t['queue_wait'])}, processing_started→done {fmt_s(t['started_to_done'])}; "
            f"answered {job.status}, mean confidence {job.answer.get('mean_confidence')}")
        self.log_page_sources(job)
        self.row("2 7-page scanned PDF, pages/s", f"{pages / ours:.3f}", f"{pages / ref:.3f} (pdfimages+tesseract)",
                 fmt_ratio(ref / ours), "≥ 1.0×", yes(ref / ours >= 1.0))

    def cli_pdfimages_tesseract(self, pdf: Path) -> float:
        work = self.work("cli-scan")
        (work / "img").mkdir()
        (work / "out").mkdir()
        script = (f"pdfimages -all {shlex.quote(str(pdf))} img/p && cd img && "
                  "ls | xargs -P 2 -I{} tesseract {} ../out/{} -l eng 2>/dev/null")
        seconds = timed(["bash", "-c", script], cwd=work, env=self.tool_env)
        produced = len(list((work / "out").glob("*.txt")))
        if produced != len(list((work / "img").iterdir())):
            raise RuntimeError(f"tesseract wrote {produced} texts for {len(list((work / 'img').iterdir()))} images")
        return seconds

    def log_page_sources(self, job: Job):
        """Prints how each page was obtained, from the full page_recognized payloads: size, dpi,
        engine and any small field beyond the page content (e.g. where its pixels came from)."""
        seen = []
        content = {"index", "width", "height", "dpi", "language", "engine", "mean_confidence", "text",
                   "blocks", "tables", "translation", "markdown", "words", "lines"}
        for ev in job.events(full=True):
            if ev["kind"] == "page_recognized":
                page = ev["payload"].get("page", {})
                extra = {k: v for k, v in page.items()
                         if k not in content and len(json.dumps(v)) <= 200}
                seen.append(f"p{page.get('index')}: {page.get('width')}×{page.get('height')} px "
                            f"@{page.get('dpi')} dpi {page.get('engine')}" + (f" {extra}" if extra else ""))
        if seen:
            log("  pages as recognised: " + "; ".join(seen))

    # 3 -------------------------------------------------------------------------------------
    def born(self):
        pdf = self.inputs.get("born")
        pages = pdf_pages(pdf)
        log(f"  {pdf.name}: {self.inputs.notes['born']}")
        work = self.work("born")
        ref_txt = work / "pdftotext-raw.txt"
        ref = timed(["pdftotext", "-raw", str(pdf), str(ref_txt)])
        log(f"  pdftotext -raw: {ref:.3f} s ({pages / ref:.1f} pages/s)")
        job = Job(self, pdf)
        job.wait(self.args.job_timeout)
        self.job_done()
        t = job.timing()
        ours = t["to_done"]
        engines = sorted({str(ev["payload"].get("page", {}).get("engine")) for ev in t["events"]
                          if ev["kind"] == "page_recognized"})
        log(f"  ours: submit→done {ours:.2f} s ({pages / ours:.2f} pages/s), page engines {engines}; "
            f"queue wait {fmt_ms(t['queue_wait'])}, processing_started→done {fmt_s(t['started_to_done'])}"
            + (f", {(t['pages'][-1] - t['pages'][0]) / (len(t['pages']) - 1) * 1000:.0f} ms per page "
               "between page_recognized events" if len(t["pages"]) > 1 else ""))
        resp = self.http.get(f"/api/v1/ocr/{job.uuid}/download/?format=txt")
        if resp.status != 200:
            raise RuntimeError(f"txt download: {resp}")
        mine = normalise_ws(resp.body.decode("utf-8", "replace"))
        theirs = normalise_ws(ref_txt.read_text(errors="replace"))
        equal = mine == theirs
        if equal:
            detail = "equal"
        else:
            share, first = text_difference(theirs, mine)
            detail = f"differ: {share:.1%} of characters"
            log(f"  text differs from pdftotext -raw: {share:.2%} of characters differ "
                f"({len(mine)} vs {len(theirs)} chars); first difference at {first}")
        self.row(f"3 born-digital PDF ({pages} p), pages/s", f"{pages / ours:.2f}",
                 f"{pages / ref:.1f} (pdftotext)", fmt_ratio(ref / ours),
                 "≥ 20 pages/s", yes(pages / ours >= 20))
        self.row("3 born-digital txt = pdftotext -raw (whitespace-collapsed)", detail, "—", "—",
                 "equal", yes(equal))

    # 4 -------------------------------------------------------------------------------------
    def searchable(self):
        pdf = self.inputs.get("scan7")
        pages = 7
        work = self.work("ocrmypdf")
        out = work / "ocrmypdf.pdf"
        cmd = [self.args.ocrmypdf, "-l", "eng", "--output-type", "pdf", "--jobs", "2", str(pdf), str(out)]
        ref = timed(cmd, env=self.tool_env, timeout=1800)
        log(f"  {' '.join(cmd[:8])} …: {ref:.2f} s ({pages / ref:.3f} pages/s)")
        job = Job(self, pdf)
        job.wait(self.args.job_timeout)
        t = job.timing()
        resp = self.http.get(f"/api/v1/ocr/{job.uuid}/download/?format=pdf", timeout=600)
        self.job_done()
        if resp.status != 200:
            raise RuntimeError(f"pdf download: {resp}")
        ours = t["to_done"] + resp.seconds
        mine = work / "ours.pdf"
        mine.write_bytes(resp.body)
        text = run(["pdftotext", str(mine), "-"]).stdout
        per_page = [len(normalise_ws(p)) for p in text.split("\f")][:pages]
        with_text = sum(1 for n in per_page if n > 0)
        out_pages = pdf_pages(mine)
        log(f"  ours: submit→done {t['to_done']:.2f} s + download {resp.seconds:.2f} s "
            f"({len(resp.body) / 1e6:.1f} MB, {out_pages} pages; OCRmyPDF's: {out.stat().st_size / 1e6:.1f} MB) "
            f"= {ours:.2f} s ({pages / ours:.3f} pages/s)")
        log(f"  pdftotext on our PDF: characters per page {per_page}")
        self.row("4 scanned PDF → searchable PDF, pages/s", f"{pages / ours:.3f}",
                 f"{pages / ref:.3f} (OCRmyPDF)", fmt_ratio(ref / ours), "≥ 2.0×", yes(ref / ours >= 2.0))
        self.row("4 our searchable PDF has a text layer (pdftotext)",
                 f"{with_text}/{pages} pages, {sum(per_page)} chars", "—", "—", "every page",
                 yes(with_text == pages and out_pages == pages))

    # 5 -------------------------------------------------------------------------------------
    def wrk(self):
        one = Job(self, self.inputs.get("receipt"))
        four = Job(self, self.inputs.get("letter4"))
        for job in (one, four):
            job.wait(self.args.job_timeout)
        self.job_done()
        auth = f"Authorization: Bearer {self.http.token}"
        health = wrk(f"{self.service.base}/healthz", None)
        log(f"  healthz: {health}")
        rows = []
        for job, label, goal in ((one, "1-page", 0.5), (four, "4-page", 0.25)):
            res = wrk(f"{self.service.base}/api/v1/ocr/{job.uuid}/", auth)
            log(f"  {label} job: {res}")
            ratio = res["rps"] / health["rps"]
            ok = ratio >= goal and res["errors"] == 0
            rows.append((f"5 wrk GET job, {label} done (p99 {res['p99']})",
                         f"{res['rps']:.0f} req/s" + (f", {res['errors']} non-2xx" if res["errors"] else ""),
                         f"{health['rps']:.0f} req/s (healthz, p99 {health['p99']})",
                         fmt_ratio(ratio), f"≥ {goal}× healthz", yes(ok)))
        self.job_done()  # the last requests: idle is measured from here
        for r in rows:
            self.row(*r)
        # ETag / If-None-Match on an unchanged poll
        first = self.http.get(f"/api/v1/ocr/{one.uuid}/")
        etag = first.headers.get("ETag")
        if etag:
            again = self.http.get(f"/api/v1/ocr/{one.uuid}/", headers={"If-None-Match": etag})
            got = again.status == 304
            result = f"{again.status} (ETag sent)"
            log(f"  conditional GET: ETag {etag}, If-None-Match → {again.status}, "
                f"{len(again.body)} bytes (first GET {len(first.body)} bytes)")
        else:
            result, got = "200, no ETag header", False
            log("  conditional GET: no ETag header")
        self.row("5 repeated GET with If-None-Match gets 304", result, "—", "—", "(report)", yes(got))

    # 6 -------------------------------------------------------------------------------------
    def big(self):
        n = self.args.big_pages
        big = self.inputs.get("big500")
        small = self.inputs.get("small7")
        log(f"  {big.name}: {self.inputs.notes['big500']}")
        log(f"  reference: {small.name}, the first 7 of the same pages, submitted first")
        ref_job = Job(self, small)
        ref_job.wait(self.args.job_timeout)
        ref_t = ref_job.timing()
        ref_pps = 7 / ref_t["to_done"]
        log(f"  7 pages: submit→done {ref_t['to_done']:.2f} s ({ref_pps:.3f} pages/s)")
        self.job_done()
        start = time.time()
        load_before = os.getloadavg()[0]
        job = Job(self, big)
        log(f"  submitted {n} pages in {job.post_seconds:.2f} s: {job.uuid}, {job.status}; "
            f"polling every 5 s for up to {self.args.big_timeout:.0f} s")
        finished = True
        try:
            job.wait(self.args.big_timeout, every=5.0)
        except TimeoutError as err:
            finished = False
            log(f"  {err}: reporting what was recognised so far, then erasing the job")
        end = time.time()
        t = job.timing()
        self.job_done()
        peak = self.sampler.peak_mb(start, end)
        pages = t["pages"]
        if not finished:
            self.http.request("DELETE", f"/api/v1/ocr/{job.uuid}/")
        if finished:
            seconds, count = t["to_done"], n
        else:
            seconds, count = (pages[-1] - start if pages else end - start), len(pages)
        pps = count / seconds if seconds else 0.0
        log(f"  {n} pages: {'done' if finished else f'NOT done, {count} pages'} in {seconds:.1f} s "
            f"({pps:.3f} pages/s); peak RSS {peak:.0f} MB; load average {load_before:.2f} at "
            f"submit, {os.getloadavg()[0]:.2f} at the end (other load slows the spacing)")
        label = f"6 {n}-page scanned PDF, pages/s" + ("" if finished else f" (timed out at {count} pages)")
        self.row(label, f"{pps:.3f}", f"{ref_pps:.3f} (7-page job, same pages)",
                 fmt_ratio(pps / ref_pps), "≈ 1.0× (≥ 0.9×)", yes(finished and pps / ref_pps >= 0.9))
        if "scan7_pps" in self.facts:
            self.row(f"6 {n}-page pages/s vs item 2's 7-page mix", f"{pps:.3f}",
                     f"{self.facts['scan7_pps']:.3f} (item 2, ours)",
                     fmt_ratio(pps / self.facts["scan7_pps"]), "(report)", "—")
        self.page_growth(pages)
        self.row(f"6 peak server RSS during the {n}-page job", f"{peak:.0f} MB", "—", "—", "< 600 MB",
                 yes(peak is not None and peak < 600))

    def page_growth(self, pages: list[float]):
        """Per-page cost over the job, first 50 pages vs last 50: the wall time per page (span of
        50 consecutive page_recognized events / 50; slowed by any other load on the machine) and
        the server's CPU seconds per page (utime + stime, which other load barely changes). The
        span is used rather than the median gap: two OCR threads finish pages in pairs, so the
        gaps are bimodal (~0 s and ~2 per-page times) and their median jumps between the modes."""
        if len(pages) < 100:
            self.row("6 per-page time, last 50 vs first 50 pages", f"only {len(pages)} pages")
            return
        gaps = [b - a for a, b in zip(pages, pages[1:])]
        head, tail = (pages[50] - pages[0]) / 50, (pages[-1] - pages[-51]) / 50
        log(f"  page_recognized gaps: median {p50(gaps[:50]):.3f} s over the first 50, "
            f"{p50(gaps[-50:]):.3f} s over the last 50 (bimodal, see the code)")
        self.row("6 wall time per page (page_recognized span / 50), last 50 vs first 50",
                 f"{tail:.3f} s", f"{head:.3f} s (first 50)", fmt_ratio(tail / head),
                 "≈ 1 (≤ 1.2×)", yes(tail / head <= 1.2))
        spans = [(pages[i + 50] - pages[i]) / 50 for i in range(0, len(pages) - 50, 50)]
        log("  wall s per page, per 50 pages: " + " ".join(f"{d:.2f}" for d in spans))
        cpu = self.sampler.cpu_at
        try:
            blocks = [(cpu(pages[i + 50]) - cpu(pages[i])) / 50 for i in range(0, len(pages) - 50, 50)]
            first = (cpu(pages[50]) - cpu(pages[0])) / 50
            last = (cpu(pages[-1]) - cpu(pages[-51])) / 50
        except ValueError as err:
            log(f"  no CPU samples for the per-page CPU time: {err}")
            return
        log("  server CPU s per page, per 50 pages: " + " ".join(f"{b:.2f}" for b in blocks))
        self.row("6 server CPU per page, last 50 vs first 50", f"{last:.3f} s", f"{first:.3f} s (first 50)",
                 fmt_ratio(last / first if first else None), "≈ 1 (≤ 1.2×)",
                 yes(first > 0 and last / first <= 1.2))

    # idle ----------------------------------------------------------------------------------
    def idle(self):
        wait = self.last_job_end + 30 - time.time()
        if wait > 0:
            log(f"  waiting {wait:.0f} s (30 s after the last job)")
            time.sleep(wait)
        rss = self.sampler.now_mb()
        peak = self.sampler.peak_mb()
        self.row("idle RSS 30 s after the last job", f"{rss:.0f} MB", f"peak {peak:.0f} MB (whole run)",
                 "—", "< 250 MB", yes(rss < 250))


def text_difference(ref: str, ours: str) -> tuple[float, str]:
    """Share of differing characters (over the reference's length), from a word-level diff, and
    the first difference with some context."""
    a, b = ref.split(" "), ours.split(" ")
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    differing = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            differing += max(len(" ".join(a[i1:i2])), len(" ".join(b[j1:j2])))
    first = next((i for i, (x, y) in enumerate(zip(ref, ours)) if x != y), min(len(ref), len(ours)))
    context = (f"char {first}: pdftotext {ref[max(0, first - 30):first + 40]!r} | "
               f"ours {ours[max(0, first - 30):first + 40]!r}")
    return differing / max(1, len(ref)), context


def wrk(url: str, header: str | None) -> dict:
    cmd = ["wrk", "-t2", "-c50", "-d10s", "--latency"]
    if header:
        cmd += ["-H", header]
    out = run(cmd + [url], timeout=60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors:(.*)", out)
    return {"rps": rps, "p99": p99.group(1) if p99 else "?", "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": sock.group(1).strip() if sock else "none"}


def print_table(rows):
    header = ["measure", "ours", "reference", "ratio", "goal", "met"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    log(line)
    log("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    log(line)
    for r in rows:
        log("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    log(line)


def default_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", CACHE / "target"))
    return target / "release" / "ocrchat"


def default_corpus() -> Path:
    for candidate in (os.environ.get("OCRCHAT_CORPUS"), REPO.parent / "shared" / "corpus",
                      "/work/shared/corpus"):
        if candidate and (Path(candidate) / "manifest.tsv").exists():
            return Path(candidate)
    return Path("/work/shared/corpus")


def default_ocrmypdf() -> str:
    venv = CACHE / "bench-venv" / "bin" / "ocrmypdf"
    return str(venv) if venv.exists() else (shutil.which("ocrmypdf") or str(venv))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=default_binary(), help="the ocrchat binary [%(default)s]")
    parser.add_argument("--corpus", type=Path, default=default_corpus(), help="[%(default)s]")
    parser.add_argument("--quick", action="store_true", help="skip the 500-page job")
    parser.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--inline-runs", type=int, default=10, help="submits for item 1 [%(default)s]")
    parser.add_argument("--job-timeout", type=float, default=900, help="longest wait for a job [%(default)s s]")
    parser.add_argument("--big-pages", type=int, default=500,
                        help="pages of the big job, 100..500 (500 is the paid per-file cap) [%(default)s]")
    parser.add_argument("--big-timeout", type=float, default=1200, help="longest wait for the 500-page job [%(default)s s]")
    parser.add_argument("--ocrmypdf", default=default_ocrmypdf(), help="[%(default)s]")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (inputs, outputs, server log)")
    args = parser.parse_args()

    selected = SECTIONS if not args.only else [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in selected if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {unknown}; known: {SECTIONS}")
    if args.quick and "big" in selected:
        selected = [s for s in selected if s != "big"]
    if not 100 <= args.big_pages <= 500:
        parser.error("--big-pages must be between 100 and 500")
    if not args.binary.exists():
        log(f"error: no binary at {args.binary} (build it: cargo build --release -p api, or pass --binary)")
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    load = os.getloadavg()
    log("ocrchat service benchmark (issue 10, item 6)")
    log(f"machine: {os.cpu_count()} cores (nproc {tool_version(['nproc'])}), load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    stat = args.binary.stat()
    log(f"binary:  {args.binary} ({stat.st_size / 1e6:.0f} MB, modified "
        f"{dt.datetime.fromtimestamp(stat.st_mtime):%Y-%m-%d %H:%M}), {tool_version([str(args.binary), '--version'])}")
    log(f"tools:   {tool_version(['tesseract', '--version'])}; OCRmyPDF "
        f"{tool_version([args.ocrmypdf, '--version'])}; {tool_version(['wrk', '-v'])}; "
        f"{tool_version(['pdftotext', '-v'])}")
    log(f"corpus:  {args.corpus}")
    log(f"sections: {','.join(selected)}")

    work = Path(tempfile.mkdtemp(prefix="ocrchat-bench-"))
    service = Service(args.binary, work)
    inputs = Inputs(args.corpus, work, args.big_pages)
    sampler = None
    bench = None
    status = 0
    try:
        log("\npreparing inputs")
        needs = {"inline": ["receipt"], "scanned": ["scan7"], "born": ["born"],
                 "searchable": ["scan7"], "wrk": ["receipt", "letter4"], "big": ["big500", "small7"]}
        for name in dict.fromkeys(n for s in selected for n in needs.get(s, [])):
            try:
                start = time.perf_counter()
                path = inputs.get(name)
                log(f"  {name}: {path} ({time.perf_counter() - start:.1f} s)"
                    + (f": {inputs.notes[name]}" if name in inputs.notes else ""))
            except Exception as err:  # noqa: BLE001
                log(f"  {name}: FAILED: {err}")

        try:
            service.start()
            service.cli("account", "create", "--email", EMAIL, "--plan", "free")
            service.cli("credits", "add", "--email", EMAIL, "--credits", "100000")
            token = service.cli("token", "create", "--email", EMAIL).strip().splitlines()[-1]
        except Exception as err:  # noqa: BLE001
            log(f"error: could not set the service up: {err}")
            return 2
        sampler = RssSampler(service.proc.pid)
        sampler.start()
        http = Http(service.base, token)
        bench = Bench(args, service, inputs, sampler, http)
        log(f"service up, pid {service.proc.pid}, RSS {sampler.now_mb():.0f} MB; paid account {EMAIL}")

        for name in selected:
            log(f"\n== {name} (load average {os.getloadavg()[0]:.2f})")
            start = time.perf_counter()
            try:
                getattr(bench, name)()
            except Exception as err:  # noqa: BLE001
                log(f"  FAILED: {type(err).__name__}: {err}")
                log("  " + traceback.format_exc().strip().splitlines()[-3].strip())
                bench.row(f"{name}: section failed", f"ERROR: {str(err).splitlines()[0][:90]}")
                if service.proc.poll() is not None:
                    log(f"  the server died (exit {service.proc.returncode}):\n{service.log_tail()}")
                    break
            peak = sampler.peak_mb(time.time() - (time.perf_counter() - start))
            log(f"  ({time.perf_counter() - start:.0f} s; server RSS peak {peak or 0:.0f} MB, "
                f"now {sampler.now_mb() or 0:.0f} MB)")
    except KeyboardInterrupt as err:
        log(f"\ninterrupted ({err}): cleaning up")
        status = 130
    except Exception:  # noqa: BLE001
        log("harness error:\n" + traceback.format_exc())
        status = 1
    finally:
        if sampler:
            sampler.stop_event.set()
        service.stop()
        service.cleanup()
        if args.keep:
            log(f"work directory kept: {work}")
        else:
            kept = Path(tempfile.gettempdir()) / f"{service.namespace}.log"
            if service.log_path.exists():
                shutil.copy(service.log_path, kept)
                log(f"server log: {kept}")
            shutil.rmtree(work, ignore_errors=True)

    if bench and bench.rows:
        load = os.getloadavg()
        log(f"\nresults ({args.binary}; load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            "ratio = ours ÷ reference: rates, higher is better; times, lower is better)")
        print_table(bench.rows)
    return status


if __name__ == "__main__":
    sys.exit(main())
