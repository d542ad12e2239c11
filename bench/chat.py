#!/usr/bin/env python3
"""End-to-end chat-quality benchmark of the ocrchat service: OCR, retrieval, model, citations.

Starts the real service (`ocrchat serve`, through bench/service.py's `Service`: its own Postgres
database, Redis namespace, port and data directory), creates an account and a token with the
binary's CLI, submits every document the questions name once (default form fields, as a user
would), and then, for each chat model in turn, starts llama-server with it on a free loopback
port, restarts the service pointed at it (same database: the documents are recognised once and
every model sees the same text) and asks every question in a fresh conversation, timed on the
client.

Scoring (/work/shared/chat/README.md): an answerable question is correct when the reply contains
one of `any` (case-insensitive) and at least one citation is on `page`; a `none: true` question
is correct when the reply says the document does not contain the answer (mode `not_found`, or
words saying so) and cites nothing. Every citation is also checked to be verbatim text of its
page (whitespace runs folded to one space, lower-cased) against GET /api/v1/ocr/<uuid>/.

Models: `none` (no OCRCHAT_LLM_BASE_URL: the service's fallback answers), `smollm2`, `qwen0.5`,
`coder1.5` (GGUFs under ~/.cache/ocrchat/models, from `scripts/deps.sh models`, `model-qwen`,
`model-coder15`) or a path to a .gguf. Default: `none` and every known model whose file exists.

Writes --out/results.json (every reply, score and summary) and --out/pages/<doc>.json (each
document's recognised page texts, for the retrieval benchmark). Standard library only; the exit
code is 0 unless the harness itself broke (2 if the service could not be set up).

    python3 bench/chat.py --binary ~/.cache/ocrchat/target/release/ocrchat
        [--models none,smollm2,qwen0.5] [--out DIR] [--questions PATH] [--keep] [--recall]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ in the clone
sys.path.insert(0, str(Path(__file__).resolve().parent))
from service import (  # noqa: E402  (bench/service.py: the service under test and HTTP helpers)
    CACHE, Http, Service, default_corpus, free_port, log, log_tail, stop_process, tool_version,
)

REPO = Path(__file__).resolve().parent.parent
EMAIL = "chat-bench@example.com"
MODELS_DIR = CACHE / "models"
KNOWN_MODELS = {
    "smollm2": MODELS_DIR / "smollm2-135m-instruct.gguf",
    "qwen0.5": MODELS_DIR / "qwen2.5-0.5b-instruct.gguf",
    "coder1.5": MODELS_DIR / "qwen2.5-coder-1.5b-instruct.gguf",
}
LLAMA_SERVER = Path(os.environ.get("OCRCHAT_LLAMA_SERVER", CACHE / "llama-0.94.0" / "llama-server"))
CONTEXT_TOKENS = os.environ.get("OCRCHAT_LLM_CONTEXT_TOKENS", "4096")
# What `scripts/with-llm.sh` (and so `just run`) serves: the user's default model.
DEFAULT_MODEL_ORDER = ["qwen0.5", "smollm2"]
GOAL_CORRECT = 10 / 12  # of the questions (10 of the shared set's 12)
GOAL_MEDIAN_S = 6.0

# A reply that says the document does not hold the answer (besides mode `not_found`).
NOT_FOUND_WORDS = re.compile(
    r"(does not|doesn't|do not|don't|did not|cannot|can't|could not|couldn't)\s+"
    r"(contain|mention|include|say|state|specify|provide|find|answer)"
    r"|\bnot (mentioned|stated|specified|found|provided|given|available|included)\b"
    r"|\bno (information|mention|answer|data)\b"
    r"|\b(enthält|nennt|erwähnt) (keine|nicht)\b|\bnicht (enthalten|erwähnt|angegeben)\b",
    re.I,
)


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def shorten(text: str, n: int = 100) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def percentile50(values):
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


# ---------------------------------------------------------------------------------------------
# llama-server


class LlamaServer:
    """llama-server on a free loopback port, as scripts/with-llm.sh starts it."""

    def __init__(self, model: Path, log_path: Path):
        self.model = model
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def start(self, wait: float = 300.0):
        log(f"starting llama-server with {self.model.name} on 127.0.0.1:{self.port} (log {self.log_path})")
        self.log_file = open(self.log_path, "wb")
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        self.proc = subprocess.Popen(
            [str(LLAMA_SERVER), "-m", str(self.model), "--host", "127.0.0.1", "--port", str(self.port),
             "-c", CONTEXT_TOKENS, "-t", "2", "-np", "1", "--alias", "local"],
            env=env, stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        http = Http(f"http://127.0.0.1:{self.port}")
        start = time.perf_counter()
        deadline = time.time() + wait
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if http.get("/health", timeout=2).status == 200:
                    log(f"llama-server ready in {time.perf_counter() - start:.1f} s")
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"llama-server /health not 200 within {wait:.0f} s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        return log_tail(self.log_path, lines)

    def stop(self):
        stop_process(self.proc, "llama-server", 20)
        if self.proc:
            log(f"llama-server stopped (exit {self.proc.returncode})")
            self.log_file.close()


# ---------------------------------------------------------------------------------------------
# Documents


class Doc:
    def __init__(self, name: str, uuid: str, job: dict, ocr_seconds: float):
        self.name = name
        self.uuid = uuid
        self.job = job
        self.ocr_seconds = ocr_seconds
        self.pages = [p.get("text", "") for p in sorted(job.get("pages", []), key=lambda p: p["index"])]
        self.folded = [fold(t) for t in self.pages]

    def summary(self) -> dict:
        return {
            "doc": self.name, "uuid": self.uuid, "ocr_seconds": round(self.ocr_seconds, 2),
            "page_count": self.job.get("page_count"), "language": self.job.get("language"),
            "detected_language": self.job.get("detected_language"),
            "mean_confidence": self.job.get("mean_confidence"),
            "engines": [p.get("engine") for p in self.job.get("pages", [])],
        }

    def pages_json(self) -> dict:
        return {
            "doc": self.name,
            "uuid": self.uuid,
            "language": self.job.get("language"),
            "detected_language": self.job.get("detected_language"),
            "pages": [
                {"index": p["index"], "text": p.get("text", ""),
                 "language": p.get("detected_language"), "engine": p.get("engine")}
                for p in sorted(self.job.get("pages", []), key=lambda p: p["index"])
            ],
        }


def submit(http: Http, file: Path, timeout: float) -> Doc:
    """Submits with default form fields and waits (bounded) until the job is done."""
    start = time.perf_counter()
    resp = http.submit(file, {})
    if resp.status != 200:
        raise RuntimeError(f"submit of {file.name}: {resp}")
    job = resp.json()
    deadline = time.time() + timeout
    while job.get("status") not in ("done", "failed"):
        if time.time() > deadline:
            raise TimeoutError(f"{file.name}: job {job['uuid']} still {job.get('status')} after {timeout:.0f} s")
        time.sleep(0.5)
        poll = http.get(f"/api/v1/ocr/{job['uuid']}/", timeout=60)
        if poll.status != 200:
            raise RuntimeError(f"poll of {job['uuid']}: {poll}")
        job = poll.json()
    seconds = time.perf_counter() - start
    if job["status"] == "failed":
        raise RuntimeError(f"{file.name}: job {job['uuid']} failed: {job.get('error')}")
    # The inline answer is the full job object; fetch it once more so the text is what chat sees.
    final = http.get(f"/api/v1/ocr/{job['uuid']}/", timeout=60)
    if final.status != 200:
        raise RuntimeError(f"GET of {job['uuid']}: {final}")
    return Doc(file.name, job["uuid"], final.json(), seconds)


# ---------------------------------------------------------------------------------------------
# Asking and scoring


def ask(http: Http, doc: Doc, q: dict, timeout: float) -> dict:
    body = json.dumps({"message": q["q"]}).encode()
    start = time.perf_counter()
    rec = {"doc": doc.name, "q": q["q"], "expected": q.get("any"), "page": q.get("page"),
           "none": bool(q.get("none")), "error": None}
    try:
        resp = http.request("POST", f"/api/v1/chat/{doc.uuid}/", body,
                            {"Content-Type": "application/json"}, timeout=timeout)
        rec["seconds"] = resp.seconds
        rec["status"] = resp.status
        if resp.status != 200:
            rec["error"] = f"HTTP {resp.status}: {resp.body[:200].decode(errors='replace')}"
        else:
            rec["response"] = resp.json()
    except (TimeoutError, socket.timeout) as err:
        rec["seconds"] = time.perf_counter() - start
        rec["error"] = f"timeout after {timeout:.0f} s ({err})"
    except (urllib.error.URLError, OSError, ValueError) as err:
        rec["seconds"] = time.perf_counter() - start
        rec["error"] = f"{type(err).__name__}: {err}"
    score(rec, doc)
    return rec


def score(rec: dict, doc: Doc) -> None:
    msg = (rec.get("response") or {}).get("message") or {}
    content = msg.get("content") or ""
    citations = msg.get("citations") or []
    meta = msg.get("metadata") or {}
    rec["content"] = content
    rec["mode"] = meta.get("mode")
    rec["fallback"] = meta.get("fallback")
    rec["fallback_detail"] = meta.get("fallback_detail")
    rec["server_latency_ms"] = meta.get("latency_ms")
    rec["cited_pages"] = [c.get("page") for c in citations]
    verbatim = []
    for c in citations:
        page = c.get("page")
        ok = (isinstance(page, int) and 1 <= page <= len(doc.folded)
              and fold(c.get("snippet") or "") in doc.folded[page - 1])
        verbatim.append(ok)
    rec["citations_verbatim"] = verbatim
    if rec["error"]:
        rec["correct"] = False
        rec["why"] = rec["error"]
        return
    if rec["none"]:
        says = rec["mode"] == "not_found" or bool(NOT_FOUND_WORDS.search(content))
        rec["says_not_found"] = says
        rec["correct"] = says and not citations
        rec["why"] = ("" if rec["correct"] else
                      "cites pages" if says else
                      "answered instead of 'not in the document'" + (" and cites" if citations else ""))
    else:
        low = content.lower()
        has_answer = any(a.lower() in low for a in rec["expected"])
        on_page = rec["page"] in rec["cited_pages"]
        rec["correct"] = has_answer and on_page
        rec["why"] = ("" if rec["correct"] else
                      "no citation on its page" if has_answer else
                      "answer missing" + ("" if on_page else ", no citation on its page"))


def summarise(model: str, recs: list[dict]) -> dict:
    answerable = [r for r in recs if not r["none"]]
    absent = [r for r in recs if r["none"]]
    verbatim = [v for r in recs for v in r["citations_verbatim"]]
    secs = [r["seconds"] for r in recs if r.get("seconds") is not None]
    return {
        "model": model,
        "correct": sum(r["correct"] for r in recs), "total": len(recs),
        "answerable_correct": sum(r["correct"] for r in answerable), "answerable": len(answerable),
        "absent_uncited": sum(not r["cited_pages"] and not r["error"] for r in absent),
        "absent": len(absent),
        "absent_correct": sum(r["correct"] for r in absent),
        "citations_verbatim": sum(verbatim), "citations": len(verbatim),
        "errors": sum(bool(r["error"]) for r in recs),
        "fallbacks": sum(bool(r.get("fallback")) for r in recs),
        "p50_s": percentile50(secs), "max_s": max(secs) if secs else None,
    }


def print_question(rec: dict) -> None:
    mark = "OK  " if rec["correct"] else "FAIL"
    fallback = f" fallback={rec['fallback']}" if rec.get("fallback") else ""
    bad = sum(not v for v in rec["citations_verbatim"])
    verb = f" NOT-VERBATIM={bad}" if bad else ""
    log(f"  {mark} {rec['doc'][:28]:28} {shorten(rec['q'], 48):48} mode={rec.get('mode') or '-'}{fallback} "
        f"{rec['seconds']:.1f}s pages={rec['cited_pages']}{verb}")
    if rec["error"]:
        log(f"       error: {shorten(rec['error'], 160)}")
    else:
        log(f"       {shorten(rec['content'])!r}" + (f"  [{rec['why']}]" if rec["why"] else ""))


def print_summary(summaries: list[dict], default_model: str | None) -> list[str]:
    header = ["model", "correct", "answerable", "absent uncited", "citations verbatim", "p50", "max",
              "errors", "fallbacks"]
    rows = []
    for s in summaries:
        rows.append([
            s["model"] + (" (default)" if s["model"] == default_model else ""),
            f"{s['correct']}/{s['total']}", f"{s['answerable_correct']}/{s['answerable']}",
            f"{s['absent_uncited']}/{s['absent']}", f"{s['citations_verbatim']}/{s['citations']}",
            "n/a" if s["p50_s"] is None else f"{s['p50_s']:.1f} s",
            "n/a" if s["max_s"] is None else f"{s['max_s']:.1f} s",
            str(s["errors"]), str(s["fallbacks"]),
        ])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = [line, "  ".join(h.ljust(w) for h, w in zip(header, widths)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    out.append(line)
    for text in out:
        log(text)
    return out


def goals(s: dict) -> dict:
    need = math.ceil(GOAL_CORRECT * s["total"] - 1e-9)
    return {
        f"correct >= {need}/{s['total']}": s["correct"] >= need,
        "every citation verbatim": s["citations_verbatim"] == s["citations"],
        "every absent-fact question uncited": s["absent_uncited"] == s["absent"],
        f"median <= {GOAL_MEDIAN_S:.0f} s": s["p50_s"] is not None and s["p50_s"] <= GOAL_MEDIAN_S,
    }


# ---------------------------------------------------------------------------------------------


def resolve_models(spec: str | None) -> list[tuple[str, Path | None]]:
    if not spec:
        models = [("none", None)]
        models += [(name, path) for name, path in KNOWN_MODELS.items() if path.exists()]
        return models
    models = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item == "none":
            models.append(("none", None))
        elif item in KNOWN_MODELS:
            models.append((item, KNOWN_MODELS[item]))
        elif item.endswith(".gguf"):
            models.append((Path(item).stem, Path(item).expanduser().resolve()))
        else:
            raise SystemExit(f"unknown model {item!r}: one of none, {', '.join(KNOWN_MODELS)}, or a .gguf path")
    return models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, required=True, help="the ocrchat release binary")
    parser.add_argument("--models", help="comma-separated: none, " + ", ".join(KNOWN_MODELS)
                        + " or .gguf paths [none + every known model whose GGUF exists]")
    parser.add_argument("--out", type=Path, help="results directory [a new temporary directory]")
    parser.add_argument("--questions", type=Path, default=None,
                        help="questions.jsonl [<corpus>/../chat/questions.jsonl]")
    parser.add_argument("--corpus", type=Path, default=default_corpus(), help="[%(default)s]")
    parser.add_argument("--request-timeout", type=float, default=180, help="per chat request [%(default)s s]")
    parser.add_argument("--job-timeout", type=float, default=900, help="per OCR job [%(default)s s]")
    parser.add_argument("--keep", action="store_true", help="keep the service's data directory")
    parser.add_argument("--recall", action="store_true",
                        help="then run the retrieval recall bench (cargo bench -p search --bench recall) "
                             "on the page texts the service recognised")
    args = parser.parse_args()

    questions_path = args.questions or (args.corpus.parent / "chat" / "questions.jsonl")
    if not questions_path.exists():
        questions_path = Path("/work/shared/chat/questions.jsonl")
    questions = [json.loads(line) for line in questions_path.read_text().splitlines() if line.strip()]
    models = resolve_models(args.models)
    if not args.binary.exists():
        log(f"error: no binary at {args.binary} (cargo build --release -p api, or pass --binary)")
        return 2
    for name, path in models:
        if path is not None and not path.exists():
            log(f"error: model {name}: no file {path}")
            return 2
    if any(path is not None for _, path in models) and not LLAMA_SERVER.exists():
        log(f"error: no llama-server at {LLAMA_SERVER} (scripts/deps.sh llama)")
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="ocrchat-chat-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "pages").mkdir(exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    names = [n for n, _ in models]
    default_model = next((m for m in DEFAULT_MODEL_ORDER if m in names), None)

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    began = time.time()
    load = os.getloadavg()
    log("ocrchat chat benchmark")
    log(f"machine:   {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    log(f"binary:    {args.binary} ({tool_version([str(args.binary), '--version'])})")
    log(f"questions: {questions_path} ({len(questions)}); corpus {args.corpus}")
    log(f"models:    {', '.join(f'{n} ({p.name})' if p else n for n, p in models)}; "
        f"llama-server {LLAMA_SERVER}, -c {CONTEXT_TOKENS} -t 2 -np 1")
    log(f"out:       {out}")

    work = Path(tempfile.mkdtemp(prefix="ocrchat-chat-work-"))
    service = Service(args.binary, work)
    base_env = dict(service.env)  # without OCRCHAT_LLM_BASE_URL (Service removes it)
    results = {"binary": str(args.binary), "questions": str(questions_path), "started": dt.datetime.now().isoformat(),
               "request_timeout_s": args.request_timeout, "default_model": default_model,
               "docs": [], "models": {}, "summary": [], "errors": []}
    summaries = []
    status = 0
    llama = None
    try:
        # 1. The service without a model: account, token, and every document recognised once.
        try:
            service.log_path = out / "logs" / "server-setup.log"
            service.start()
            service.cli("account", "create", "--email", EMAIL, "--plan", "free")
            service.cli("credits", "add", "--email", EMAIL, "--credits", "100000")
            token = service.cli("token", "create", "--email", EMAIL).strip().splitlines()[-1]
        except Exception as err:  # noqa: BLE001
            log(f"error: could not set the service up: {err}")
            results["errors"].append(f"setup: {err}")
            return 2
        http = Http(service.base, token)
        docs: dict[str, Doc] = {}
        log("\nrecognising the documents (default form fields)")
        for name in dict.fromkeys(q["doc"] for q in questions):
            try:
                doc = submit(http, args.corpus / name, args.job_timeout)
            except Exception as err:  # noqa: BLE001
                log(f"  {name}: FAILED: {err}")
                results["errors"].append(f"ocr {name}: {err}")
                continue
            docs[name] = doc
            (out / "pages" / f"{name}.json").write_text(json.dumps(doc.pages_json(), ensure_ascii=False, indent=1))
            results["docs"].append(doc.summary())
            engines = ",".join(str(p.get("engine")) for p in doc.job.get("pages", []))
            log(f"  {name}: {len(doc.pages)} page(s) in {doc.ocr_seconds:.1f} s, language "
                f"{doc.job.get('detected_language') or doc.job.get('language')}, engine {engines}")
        service.stop()

        # 2. Each model: llama-server, the service restarted pointing at it, every question.
        for model, path in models:
            log(f"\n== {model} (load average {os.getloadavg()[0]:.2f})")
            start = time.perf_counter()
            recs = []
            try:
                service.env = dict(base_env)
                if path is not None:
                    llama = LlamaServer(path, out / "logs" / f"llama-{model}.log")
                    llama.start()
                    service.env.update(OCRCHAT_LLM_BASE_URL=llama.base_url, OCRCHAT_LLM_MODEL="local",
                                       OCRCHAT_LLM_CONTEXT_TOKENS=CONTEXT_TOKENS)
                service.log_path = out / "logs" / f"server-{model}.log"
                service.start()
                for q in questions:
                    doc = docs.get(q["doc"])
                    if doc is None:
                        rec = {"doc": q["doc"], "q": q["q"], "expected": q.get("any"), "page": q.get("page"),
                               "none": bool(q.get("none")), "error": "document not recognised", "seconds": None,
                               "cited_pages": [], "citations_verbatim": [], "correct": False, "mode": None,
                               "content": "", "why": "document not recognised"}
                        rec["seconds"] = 0.0
                    else:
                        rec = ask(http, doc, q, args.request_timeout)
                    recs.append(rec)
                    print_question(rec)
                    if service.proc.poll() is not None:
                        raise RuntimeError(f"the server died (exit {service.proc.returncode}): {service.log_tail()}")
            except Exception as err:  # noqa: BLE001
                log(f"  FAILED: {type(err).__name__}: {err}")
                results["errors"].append(f"{model}: {err}")
            finally:
                service.stop()
                if llama:
                    llama.stop()
                    llama = None
            summary = summarise(model, recs)
            summary["seconds"] = round(time.perf_counter() - start, 1)
            summary["load_after"] = round(os.getloadavg()[1], 2)
            summaries.append(summary)
            results["models"][model] = {"gguf": str(path) if path else None, "questions": recs}
            log(f"  {summary['correct']}/{summary['total']} correct in {summary['seconds']:.0f} s "
                f"(load average over the last 5 min {summary['load_after']:.2f} on {os.cpu_count()} cores)")
    except KeyboardInterrupt as err:
        log(f"\ninterrupted ({err}): cleaning up")
        status = 130
    except Exception:  # noqa: BLE001
        log("harness error:\n" + traceback.format_exc())
        results["errors"].append(traceback.format_exc())
        status = 1
    finally:
        if llama:
            llama.stop()
        if service.proc and service.proc.poll() is None:
            service.stop()
        service.cleanup()
        if args.keep:
            log(f"service work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

        results["summary"] = summaries
        if summaries:
            log(f"\nresults ({args.binary}; latency on the client, per request; {len(questions)} questions, "
                f"each in a fresh conversation)")
            results["table"] = print_summary(summaries, default_model)
            goal_model = next((s for s in summaries if s["model"] == default_model), None)
            if goal_model:
                met = goals(goal_model)
                results["goals"] = {"model": default_model, **met}
                log(f"goals ({default_model}, the default model): " + "; ".join(
                    f"{k}: {'met' if v else 'NOT met'}" for k, v in met.items()))
            else:
                log("goals: no default model (qwen0.5 or smollm2) in this run")
        results["seconds"] = round(time.time() - began, 1)
        (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
        log(f"total {results['seconds'] / 60:.1f} min; results in {out}/results.json, pages in {out}/pages/")
    if args.recall and status == 0:
        # Recall@5 of the passage holding each answer, BM25 alone beside hybrid, on the same OCR
        # text the questions were just asked about.
        log("\nretrieval recall on the recognised pages (cargo bench -p search --bench recall):")
        recall = subprocess.run(["cargo", "bench", "-q", "-p", "search", "--bench", "recall"], cwd=REPO,
                                env=dict(os.environ, OCRCHAT_CHAT_PAGES=str(out / "pages"),
                                         OCRCHAT_CORPUS=str(args.corpus)))
        status = recall.returncode and 1
    return status


if __name__ == "__main__":
    sys.exit(main())
