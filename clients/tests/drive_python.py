"""Drives a live ocrchat service through the generated Python client (clients/python).

Run by tests/tests/e2e/clients.rs with the package on PYTHONPATH and the venv of
`scripts/deps.sh clients` (httpx and attrs, which the package needs, come with
openapi-python-client). Everything goes through `ocrchat_client`'s generated operations and
models; the script prints one JSON object per line for the Rust test to assert on, and exits
non-zero when a call does not answer with the model its status code declares.

Environment:
    OCRCHAT_BASE_URL, OCRCHAT_TOKEN   the service, and a paid account's token
    OCRCHAT_POOR_TOKEN                a paid account with too few credits for the PDF (402)
    OCRCHAT_IDLE_BASE_URL, OCRCHAT_IDLE_TOKEN
                                      a service without workers, where a job stays pending (409)
    OCRCHAT_PNG, OCRCHAT_PDF          the files to submit
    OCRCHAT_QUESTION                  a question about the PDF
"""

import io
import json
import os
import sys
import time
from pathlib import Path

import httpx
from ocrchat_client import AuthenticatedClient
from ocrchat_client.api.chat import chat, get_chat_history
from ocrchat_client.api.ocr import download_job, get_job, submit_job
from ocrchat_client.models import (
    ChatRequest,
    ChatResponse,
    ErrorBody,
    Format,
    HistoryResponse,
    JobObject,
    QuotaBody,
    Status,
    SubmitJobBody,
    SubmitJobBodyEngine,
)
from ocrchat_client.types import UNSET, File, Response

BASE = os.environ["OCRCHAT_BASE_URL"]
TIMEOUT = httpx.Timeout(300.0)


def emit(**fields):
    print(json.dumps(fields), flush=True)


def expect(response: Response, status: int, model: type):
    """The parsed body of a response that must have `status` and parse as `model`."""
    if response.status_code != status or not isinstance(response.parsed, model):
        sys.exit(
            f"expected {status} {model.__name__}, got {int(response.status_code)} "
            f"{type(response.parsed).__name__}: {response.content[:500]!r}"
        )
    return response.parsed


def client(token: str, base: str = BASE) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=base, token=token, timeout=TIMEOUT)


def upload(path: str, **fields) -> SubmitJobBody:
    data = Path(path).read_bytes()
    return SubmitJobBody(file=File(payload=io.BytesIO(data), file_name=Path(path).name), **fields)


def error_line(case: str, response: Response):
    body = response.parsed
    line = {"step": "error", "case": case, "status": int(response.status_code), "type": type(body).__name__}
    if isinstance(body, (ErrorBody, QuotaBody)):
        line["error"] = body.error
    if isinstance(body, QuotaBody):
        line["used"], line["cap"] = body.used, body.cap
    emit(**line)


def main():
    owner = client(os.environ["OCRCHAT_TOKEN"])
    files = {"png": os.environ["OCRCHAT_PNG"], "pdf": os.environ["OCRCHAT_PDF"]}

    jobs: dict[str, JobObject] = {}
    for name, path in files.items():
        body = upload(path, language="en", engine=SubmitJobBodyEngine.TESSERACT)
        job = expect(submit_job.sync_detailed(client=owner, body=body), 200, JobObject)
        emit(step="submit", file=name, status=200, type="JobObject", uuid=str(job.uuid), job_status=job.status.value)
        jobs[name] = job

    for name, job in jobs.items():
        polls = 0
        deadline = time.monotonic() + 300
        while job.status not in (Status.DONE, Status.FAILED):
            if time.monotonic() > deadline:
                sys.exit(f"{name}: still {job.status.value} after 300 s")
            time.sleep(0.5)
            job = expect(get_job.sync_detailed(str(job.uuid), client=owner), 200, JobObject)
            polls += 1
        jobs[name] = job
        emit(
            step="final",
            file=name,
            job_status=job.status.value,
            page_count=job.page_count,
            pages=len(job.pages),
            polls=polls,
            mean_confidence=None if job.mean_confidence is UNSET else job.mean_confidence,
            text=job.text,
        )

    for name, job in jobs.items():
        for fmt in Format:
            response = download_job.sync_detailed(str(job.uuid), client=owner, format_=fmt)
            data = expect(response, 200, File).payload.read()
            line = {
                "step": "download",
                "file": name,
                "format": fmt.value,
                "status": 200,
                "content_type": response.headers.get("content-type"),
                "disposition": response.headers.get("content-disposition"),
                "size": len(data),
                "head": data[:8].decode("latin-1"),
            }
            if fmt in (Format.TXT, Format.MD, Format.CSV):
                line["text"] = data.decode("utf-8")
            if fmt is Format.JSON:
                line["uuid"] = json.loads(data)["uuid"]
            emit(**line)

    pdf = jobs["pdf"]
    question = ChatRequest(message=os.environ["OCRCHAT_QUESTION"])
    answer = expect(chat.sync_detailed(str(pdf.uuid), client=owner, body=question), 200, ChatResponse)
    emit(
        step="chat",
        status=200,
        type="ChatResponse",
        conversation=str(answer.conversation),
        role=answer.message.role.value,
        content=answer.message.content,
        citations=[{"page": c.page, "snippet": c.snippet} for c in answer.message.citations],
    )
    history = expect(get_chat_history.sync_detailed(str(pdf.uuid), client=owner), 200, HistoryResponse)
    emit(
        step="history",
        status=200,
        type="HistoryResponse",
        messages=[
            {"conversation": str(m.conversation), "role": m.role.value, "content": m.content} for m in history.messages
        ],
    )

    # Typed errors: each status code parses as the model the spec declares for it.
    bad_language = upload(files["png"], language="xx")
    error_line("400", submit_job.sync_detailed(client=owner, body=bad_language))
    stranger = client("ocr_00000000000000000000000000000000_bad")
    error_line("401", get_job.sync_detailed(str(jobs["png"].uuid), client=stranger))
    poor = client(os.environ["OCRCHAT_POOR_TOKEN"])
    error_line("402", submit_job.sync_detailed(client=poor, body=upload(files["pdf"], language="en")))
    error_line("404", get_job.sync_detailed("00000000-0000-0000-0000-000000000000", client=owner))
    idle = client(os.environ["OCRCHAT_IDLE_TOKEN"], os.environ["OCRCHAT_IDLE_BASE_URL"])
    waiting = expect(submit_job.sync_detailed(client=idle, body=upload(files["png"])), 200, JobObject)
    emit(
        step="submit",
        file="idle",
        status=200,
        type="JobObject",
        uuid=str(waiting.uuid),
        job_status=waiting.status.value,
    )
    error_line("409-download", download_job.sync_detailed(str(waiting.uuid), client=idle, format_=Format.TXT))
    error_line("409-chat", chat.sync_detailed(str(waiting.uuid), client=idle, body=question))
    emit(step="end")


if __name__ == "__main__":
    main()
