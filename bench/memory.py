#!/usr/bin/env python3
"""Memory of the ocrchat service on hostile and huge inputs, one after another (issue 14, item 6).

Starts the real service (`ocrchat serve`, through bench/service.py's `Service`: its own Postgres
database, Redis namespace, port and data directory), creates a paid account with the binary's
CLI, and submits one after another, waiting for each job to end before the next:

  every file of the corpus's bad/ directory (empty, truncated, encrypted, a 3.6-gigapixel PNG
  bomb, 3,000 blank pages, an animated GIF, text named .jpg);
  a generated PNG just under the server's page-pixel limit (99 MP by default; the limit is read
  from api/src/config.rs's default, or OCRCHAT_MAX_PAGE_PIXELS when set): a band of the corpus
  letter's text tiled across the top, below it sparse grey noise so the file does not compress
  to nothing (RGB by default, as a colour scan would be);
  a generated PDF with one 200 × 200 inch page (14,400 pt, PDF's largest) carrying text at several
  sizes and a small image, written byte by byte.

The server's RSS (VmRSS of the process, every 100 ms) is sampled throughout; the report gives each
input's HTTP answer, job outcome and time, its peak RSS (and how RSS moved over its job's
events), the overall peak and the kernel's VmHWM, and the idle RSS --idle-wait (60) seconds after
the last job, beside the goals: peak < 1 GB, idle < 300 MB, with PASS/FAIL.

Standard library only (and poppler's pdftoppm for the text tiles). Exit code: 0 both goals met,
1 a goal missed, 2 when the harness or the service setup broke.

    python3 bench/memory.py --binary ~/.cache/ocrchat/target/release/ocrchat
        [--megapixels 99] [--png-colour rgb|gray] [--only bad,png,pdf] [--field engine=tesseract]
        [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ in the clone
sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PdfWriter, print_rows, read_pgm, vm_status, write_png  # noqa: E402
from service import (  # noqa: E402
    Http, RssSampler, Service, default_binary, default_corpus, log, parse_time, run, tool_version,
)

REPO = Path(__file__).resolve().parent.parent
EMAIL = "memory-bench@example.com"
GOAL_PEAK_MB = 1024
GOAL_IDLE_MB = 300


def config_default(name: str, fallback: int) -> int:
    """A numeric default from api/src/config.rs (`parsed("NAME", 100_000_000)`), or the env."""
    if os.environ.get(name):
        return int(os.environ[name])
    try:
        text = (REPO / "api" / "src" / "config.rs").read_text()
        m = re.search(rf'"{name}",\s*([\d_]+)', text)
        if m:
            return int(m.group(1).replace("_", ""))
    except OSError:
        pass
    return fallback


def max_side_default() -> int:
    """Limits::max_dimension in workers/src/engine/input.rs (30,000 px)."""
    try:
        text = (REPO / "workers" / "src" / "engine" / "input.rs").read_text()
        m = re.search(r"max_dimension:\s*([\d_]+)", text)
        if m:
            return int(m.group(1).replace("_", ""))
    except OSError:
        pass
    return 30_000


def text_tile(corpus: Path, work: Path, dpi: int = 100) -> tuple[int, int, bytes]:
    """Page 1 of the corpus letter, gray, as a tile of text."""
    prefix = work / "tile"
    run(["pdftoppm", "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
         str(corpus / "en_typewritten_letter_2p.pdf"), str(prefix)])
    tile = prefix.with_suffix(".pgm")
    w, h, pixels = read_pgm(tile)
    tile.unlink()
    return w, h, pixels


def big_png(path: Path, width: int, height: int, colour: str, tile: tuple[int, int, bytes],
            text_rows: int) -> str:
    """`text_rows` rows of text tiles across the top, then sparse noise: most pixels white,
    one in 16 a light grey (entropy enough that deflate cannot shrink it to nothing, too light
    to binarise to ink)."""
    tw, th, tpix = tile
    noise_table = bytes(225 if (b & 15) == 0 else 255 for b in range(256))
    band = text_rows * th

    def rows():
        for y in range(height):
            if y < band:
                r = tpix[(y % th) * tw:(y % th + 1) * tw]
                g = (r * (width // tw + 1))[:width]
            else:
                g = os.urandom(width).translate(noise_table)
            if colour == "gray":
                yield g
            else:
                rgb = bytearray(3 * width)
                rgb[0::3] = g
                rgb[1::3] = g
                rgb[2::3] = g
                yield rgb

    write_png(path, width, height, rows(), colour, level=6)
    return (f"{width}x{height} px = {width * height / 1e6:.2f} MP, {colour}, "
            f"{path.stat().st_size / 1e6:.1f} MB; top {band} px rows: the corpus letter tiled "
            f"({tw}x{th} px tiles), the rest sparse noise")


def big_pdf(path: Path, side_in: float, tile: tuple[int, int, bytes]) -> str:
    """One page of side_in × side_in inches: a title at 400 pt, a grid of 24-pt lines, a
    paragraph at 12 pt, and a small gray image (the letter tile shrunk to 1/4 by sampling)."""
    side = side_in * 72
    pdf = PdfWriter()
    pages_num = pdf.reserve()
    font = pdf.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    tw, th, tpix = tile
    sw, sh = tw // 4, th // 4
    small = bytes(tpix[(y * 4) * tw + x * 4] for y in range(sh) for x in range(sw))
    img = pdf.stream(f"/Type /XObject /Subtype /Image /Width {sw} /Height {sh} /ColorSpace "
                     "/DeviceGray /BitsPerComponent 8", small)
    ops = ["BT /F1 400 Tf 720 %.0f Td (A two hundred inch page) Tj ET" % (side - 1200)]
    lines = 0
    for gy in range(8):
        for gx in range(4):
            x, y = 720 + gx * 3400, side - 2400 - gy * 1500
            ops.append(f"BT /F1 24 Tf {x} {y} Td 30 TL")
            for k in range(30):
                ops.append(f"(Block {gy * 4 + gx + 1}, line {k + 1}: the quick brown fox jumps over the lazy dog.) '")
                lines += 1
            ops.append("ET")
    ops.append(f"BT /F1 12 Tf 720 1200 Td (Small print at 12 pt near the bottom of the page.) Tj ET")
    ops.append(f"q {sw * 4} 0 0 {sh * 4} {side - 720 - sw * 4} 720 cm /Im0 Do Q")
    content = pdf.stream("", "\n".join(ops).encode())
    page = pdf.add(f"<< /Type /Page /Parent {pages_num} 0 R /MediaBox [0 0 {side:.0f} {side:.0f}] "
                   f"/Resources << /Font << /F1 {font} 0 R >> /XObject << /Im0 {img} 0 R >> >> "
                   f"/Contents {content} 0 R >>")
    pdf.write(path, [page], pages_num)
    info = run(["pdfinfo", str(path)]).stdout
    size = re.search(r"Page size:\s+(.*)", info).group(1)
    return (f"1 page of {side_in:.0f}x{side_in:.0f} in (pdfinfo: {size}), {path.stat().st_size / 1e3:.0f} kB: "
            f"Helvetica text ({lines} lines at 24 pt, a 400-pt title, 12-pt line) and a {sw}x{sh} px image")


class Sample:
    """Per input: what the server answered and what memory did meanwhile."""

    def __init__(self, name: str, note: str, size: int):
        self.name, self.note, self.size = name, note, size
        self.http = None
        self.outcome = ""
        self.seconds = 0.0
        self.peak = None
        self.before = None
        self.after = None
        self.timeline: list[str] = []


def submit_and_wait(http: Http, path: Path, fields: dict, timeout: float, sample: Sample,
                    sampler: RssSampler) -> None:
    from service import multipart  # noqa: PLC0415
    body, ctype = multipart(fields, path.name, path.read_bytes())
    start = time.time()
    resp = http.request("POST", "/api/v1/ocr/", body, {"Content-Type": ctype}, timeout=timeout)
    sample.http = resp.status
    if resp.status != 200:
        try:
            err = resp.json().get("error")
        except ValueError:
            err = resp.body[:200]
        sample.outcome = f"{resp.status}: {err}"
        return
    job = resp.json()
    deadline = start + timeout
    while job.get("status") not in ("done", "failed"):
        if time.time() > deadline:
            sample.outcome = f"still {job.get('status')} after {timeout:.0f} s"
            http.request("DELETE", f"/api/v1/ocr/{job['uuid']}/")
            return
        time.sleep(0.5)
        poll = http.get(f"/api/v1/ocr/{job['uuid']}/", timeout=60)
        if poll.status != 200:
            sample.outcome = f"poll {poll.status}: {poll.body[:200]!r}"
            return
        job = poll.json()
    chars = len(job.get("text") or "")
    sample.outcome = (f"200, job {job['status']}" + (f": {job.get('error')}" if job["status"] == "failed" else
                      f", {job.get('page_count')} page(s), {chars} chars, pages "
                      f"{[(p.get('width'), p.get('height'), p.get('engine')) for p in job.get('pages', [])]}"))
    # How RSS moved over the job's events.
    events = http.get(f"/api/v1/ocr/{job['uuid']}/events/", timeout=60)
    if events.status == 200:
        for ev in events.json()["events"]:
            t = parse_time(ev["recorded_at"])
            before = [kb for ts, kb in sampler.samples if ts <= t]
            peak_to = sampler.peak_mb(start, t)
            sample.timeline.append(f"{ev['kind']} at +{t - start:.1f} s: RSS {before[-1] / 1024 if before else 0:.0f} MB"
                                   f" (peak so far {peak_to or 0:.0f} MB)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", type=Path, default=default_binary(), help="the ocrchat binary [%(default)s]")
    p.add_argument("--corpus", type=Path, default=default_corpus(), help="[%(default)s]")
    p.add_argument("--only", default="bad,png,pdf", help="inputs: bad,png,pdf [%(default)s]")
    p.add_argument("--megapixels", type=float, default=99.0,
                   help="size of the generated PNG, just under the limit [%(default)s]")
    p.add_argument("--png-colour", choices=["rgb", "gray"], default="rgb", help="[%(default)s]")
    p.add_argument("--text-rows", type=int, default=1, help="rows of letter tiles atop the PNG [%(default)s]")
    p.add_argument("--pdf-inches", type=float, default=200.0, help="side of the PDF's page [%(default)s]")
    p.add_argument("--job-timeout", type=float, default=1800, help="longest wait for one job [%(default)s s]")
    p.add_argument("--idle-wait", type=float, default=60, help="seconds after the last job to read idle RSS (OCR engines are released after 15 s idle, the embedding model 20 s after its last use, which is the job's indexing) [%(default)s]")
    p.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                   help="a form field sent with every submit (default none, as a user)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="server environment")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the work directory (inputs, server log)")
    args = p.parse_args()
    fields = dict(f.split("=", 1) for f in args.field)
    server_env = dict(e.split("=", 1) for e in args.env)
    selected = [s.strip() for s in args.only.split(",") if s.strip()]
    if not args.binary.exists():
        log(f"error: no binary at {args.binary} (build it: cargo build --release -p api, or pass --binary)")
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    limit = int(server_env.get("OCRCHAT_MAX_PAGE_PIXELS") or config_default("OCRCHAT_MAX_PAGE_PIXELS", 100_000_000))
    max_side = max_side_default()
    load_avg = os.getloadavg()
    log("ocrchat memory benchmark (issue 14, item 6)")
    log(f"machine: {os.cpu_count()} cores, load average {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")
    log(f"binary:  {args.binary}, {tool_version([str(args.binary), '--version'])}")
    log(f"server page-pixel limit {limit / 1e6:.0f} MP, {max_side} px per side; form fields "
        f"{fields or '(none: the defaults)'}")

    work = Path(tempfile.mkdtemp(prefix="ocrchat-memory-"))
    service = Service(args.binary, work)
    service.env.update(server_env)
    sampler = None
    samples: list[Sample] = []
    status = 0
    report = {}
    try:
        inputs: list[tuple[Path, str]] = []
        if "bad" in selected:
            for f in sorted((args.corpus / "bad").iterdir()):
                if f.is_file() and f.name != "README.md":
                    inputs.append((f, "corpus bad/"))
        gen = work / "inputs"
        gen.mkdir()
        tile = text_tile(args.corpus, work) if {"png", "pdf"} & set(selected) else None
        if "png" in selected:
            pixels = min(args.megapixels * 1e6, limit - 1)
            side = int(math.sqrt(pixels))
            w, h = min(side, max_side), int(pixels // min(side, max_side))
            path = gen / f"{w * h / 1e6:.0f}mp.png"
            t0 = time.time()
            note = big_png(path, w, h, args.png_colour, tile, args.text_rows)
            log(f"generated {path.name} in {time.time() - t0:.0f} s: {note}")
            inputs.append((path, note))
        if "pdf" in selected:
            path = gen / f"page-{args.pdf_inches:.0f}in.pdf"
            note = big_pdf(path, args.pdf_inches, tile)
            log(f"generated {path.name}: {note}")
            inputs.append((path, note))

        try:
            service.start()
            service.cli("account", "create", "--email", EMAIL, "--plan", "free")
            service.cli("credits", "add", "--email", EMAIL, "--credits", "100000")
            token = service.cli("token", "create", "--email", EMAIL).strip().splitlines()[-1]
        except Exception as err:  # noqa: BLE001
            log(f"error: could not set the service up: {err}")
            return 2
        pid = service.proc.pid
        sampler = RssSampler(pid, every=0.1)
        sampler.start()
        http = Http(service.base, token)
        time.sleep(1)
        baseline = sampler.now_mb()
        log(f"service up on {service.base}, pid {pid}, RSS {baseline:.0f} MB; paid account {EMAIL}\n")

        for path, note in inputs:
            s = Sample(path.name, note, path.stat().st_size)
            samples.append(s)
            s.before = sampler.now_mb()
            start = time.time()
            try:
                submit_and_wait(http, path, fields, args.job_timeout, s, sampler)
            except Exception as err:  # noqa: BLE001
                s.outcome = f"harness error: {type(err).__name__}: {err}"
            end = time.time()
            time.sleep(0.3)  # one more sample after the answer
            s.seconds = end - start
            s.peak = sampler.peak_mb(start, time.time())
            s.after = sampler.now_mb()
            log(f"{s.name} ({s.size / 1e6:.2f} MB): {s.outcome[:300]}")
            log(f"  {s.seconds:.1f} s; RSS {s.before or 0:.0f} MB before, peak {s.peak or 0:.0f} MB, "
                f"{s.after or 0:.0f} MB after")
            for line in s.timeline:
                log(f"    {line}")
            if service.proc.poll() is not None:
                log(f"the server died (exit {service.proc.returncode}):\n{service.log_tail()}")
                status = 1
                break

        last = time.time()
        if service.proc.poll() is None:
            log(f"\nwaiting {args.idle_wait:.0f} s for idle")
            time.sleep(max(0.0, last + args.idle_wait - time.time()))
            idle = sampler.now_mb()
        else:
            idle = None
        vm = vm_status(pid)
        peak = sampler.peak_mb()
        hwm = vm.get("VmHWM", 0) / 1024
        overall = max(peak or 0, hwm)

        log(f"\nresults ({args.binary}; load average now {os.getloadavg()[0]:.2f})")
        rows = [[s.name, f"{s.size / 1e6:.2f} MB", s.outcome.split(",")[0][:70], f"{s.seconds:.1f} s",
                 f"{s.peak or 0:.0f} MB", f"< {GOAL_PEAK_MB} MB", "yes" if (s.peak or 0) < GOAL_PEAK_MB else "NO"]
                for s in samples]
        rows.append(["(baseline after start)", "", "", "", f"{baseline or 0:.0f} MB", "", ""])
        rows.append(["overall peak (sampled / VmHWM)", "", "", "", f"{peak or 0:.0f} / {hwm:.0f} MB",
                     f"< {GOAL_PEAK_MB} MB", "yes" if overall < GOAL_PEAK_MB else "NO"])
        rows.append([f"idle {args.idle_wait:.0f} s after the last job", "", "", "",
                     "n/a" if idle is None else f"{idle:.0f} MB", f"< {GOAL_IDLE_MB} MB",
                     "yes" if idle is not None and idle < GOAL_IDLE_MB else "NO"])
        print_rows(["input", "size", "answer", "time", "peak RSS", "goal", "met"], rows)
        peak_ok = overall < GOAL_PEAK_MB
        idle_ok = idle is not None and idle < GOAL_IDLE_MB
        log(f"{'PASS' if peak_ok else 'FAIL'}: peak server RSS {overall:.0f} MB (goal < {GOAL_PEAK_MB} MB)")
        log(f"{'PASS' if idle_ok else 'FAIL'}: idle RSS {args.idle_wait:.0f} s after the last job "
            f"{'n/a' if idle is None else f'{idle:.0f} MB'} (goal < {GOAL_IDLE_MB} MB)")
        status = status or (0 if peak_ok and idle_ok else 1)
        report = {
            "inputs": [{"name": s.name, "size": s.size, "note": s.note, "outcome": s.outcome,
                        "seconds": s.seconds, "peak_mb": s.peak, "timeline": s.timeline} for s in samples],
            "baseline_mb": baseline, "peak_mb": peak, "vm_hwm_mb": hwm, "idle_mb": idle,
            "peak_ok": peak_ok, "idle_ok": idle_ok,
        }
    except KeyboardInterrupt as err:
        log(f"\ninterrupted ({err}): cleaning up")
        status = 130
    except Exception:  # noqa: BLE001
        log("harness error:\n" + traceback.format_exc())
        status = 2
    finally:
        if sampler:
            sampler.stop_event.set()
        service.stop()
        service.cleanup()
        if args.json and report:
            args.json.write_text(json.dumps(report, indent=1))
            log(f"figures written to {args.json}")
        if args.keep:
            log(f"work directory kept: {work} (server log {service.log_path})")
        else:
            shutil.rmtree(work, ignore_errors=True)
            log(f"removed {work}")
    return status


if __name__ == "__main__":
    sys.exit(main())
