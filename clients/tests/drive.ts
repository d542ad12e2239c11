/**
 * Drives a live ocrchat service through the generated TypeScript types and the openapi-fetch
 * wrapper (clients/typescript). tests/tests/e2e/clients.rs compiles it with `tsc` (strict)
 * against the committed schema.d.ts, so a spec change that breaks these calls fails to compile,
 * then runs it with node. Prints one JSON object per line, as clients/tests/drive_python.py does;
 * exits non-zero when an answer is not what its status code declares.
 *
 * Environment: as drive_python.py (OCRCHAT_BASE_URL, OCRCHAT_TOKEN, OCRCHAT_POOR_TOKEN,
 * OCRCHAT_IDLE_BASE_URL, OCRCHAT_IDLE_TOKEN, OCRCHAT_PNG, OCRCHAT_PDF, OCRCHAT_QUESTION).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import {
  downloadJob,
  FORMATS,
  ocrchatClient,
  submitJob,
  waitForJob,
  type ErrorBody,
  type Job,
  type QuotaBody,
  type Schemas,
} from "../typescript/client.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function emit(fields: Record<string, unknown>): void {
  console.log(JSON.stringify(fields));
}

function fail(message: string): never {
  throw new Error(message);
}

/** One error answer: its status and the body, typed as the union of declared error bodies. */
function errorLine(
  testCase: string,
  result: { error?: ErrorBody | QuotaBody | undefined; response: Response },
): void {
  const { error, response } = result;
  if (error === undefined) fail(`${testCase}: expected an error, got ${response.status}`);
  // Every declared error body is at least an ErrorBody; a 402's is a QuotaBody.
  const body: ErrorBody = error;
  if ("used" in error) {
    const quota: QuotaBody = error;
    emit({ step: "error", case: testCase, status: response.status, type: "QuotaBody", error: quota.error, used: quota.used, cap: quota.cap });
  } else {
    emit({ step: "error", case: testCase, status: response.status, type: "ErrorBody", error: body.error });
  }
}

function file(path: string): { blob: Blob; name: string } {
  return { blob: new Blob([readFileSync(path)]), name: basename(path) };
}

async function main(): Promise<void> {
  const owner = ocrchatClient(env("OCRCHAT_BASE_URL"), env("OCRCHAT_TOKEN"));
  const files = { png: file(env("OCRCHAT_PNG")), pdf: file(env("OCRCHAT_PDF")) };

  const submitted: Record<string, Job> = {};
  for (const [name, { blob, name: fileName }] of Object.entries(files)) {
    const { data: job, error, response } = await submitJob(owner, blob, fileName, {
      language: "en",
      engine: "tesseract",
    });
    if (job === undefined) fail(`submit ${name}: ${response.status} ${JSON.stringify(error)}`);
    emit({ step: "submit", file: name, status: response.status, type: "JobObject", uuid: job.uuid, job_status: job.status });
    submitted[name] = job;
  }

  const finished: Record<string, Job> = {};
  for (const [name, job] of Object.entries(submitted)) {
    const { job: final, polls } = await waitForJob(owner, job.uuid);
    finished[name] = final;
    emit({
      step: "final",
      file: name,
      job_status: final.status,
      page_count: final.page_count,
      pages: final.pages.length,
      polls,
      mean_confidence: final.mean_confidence ?? null,
      text: final.text,
    });
  }

  for (const [name, job] of Object.entries(finished)) {
    for (const format of FORMATS) {
      const { data, error, response } = await downloadJob(owner, job.uuid, format);
      if (data === undefined) fail(`download ${name} ${format}: ${response.status} ${JSON.stringify(error)}`);
      const bytes = Buffer.from(data);
      const line: Record<string, unknown> = {
        step: "download",
        file: name,
        format,
        status: response.status,
        content_type: response.headers.get("content-type"),
        disposition: response.headers.get("content-disposition"),
        size: bytes.length,
        head: bytes.subarray(0, 8).toString("latin1"),
      };
      if (format === "txt" || format === "md" || format === "csv") line.text = bytes.toString("utf8");
      if (format === "json") {
        // The JSON download is the job object.
        const parsed = JSON.parse(bytes.toString("utf8")) as Job;
        line.uuid = parsed.uuid;
      }
      emit(line);
    }
  }

  const pdf = finished.pdf ?? fail("no pdf job");
  const question: Schemas["ChatRequest"] = { message: env("OCRCHAT_QUESTION") };
  const asked = await owner.POST("/api/v1/chat/{uuid}/", {
    params: { path: { uuid: pdf.uuid } },
    body: question,
  });
  const answer: Schemas["ChatResponse"] =
    asked.data ?? fail(`chat: ${asked.response.status} ${JSON.stringify(asked.error)}`);
  emit({
    step: "chat",
    status: asked.response.status,
    type: "ChatResponse",
    conversation: answer.conversation,
    role: answer.message.role,
    content: answer.message.content,
    citations: answer.message.citations.map((c) => ({ page: c.page, snippet: c.snippet })),
  });
  const read = await owner.GET("/api/v1/chat/{uuid}/history/", { params: { path: { uuid: pdf.uuid } } });
  const history: Schemas["HistoryResponse"] =
    read.data ?? fail(`history: ${read.response.status} ${JSON.stringify(read.error)}`);
  emit({
    step: "history",
    status: read.response.status,
    type: "HistoryResponse",
    messages: history.messages.map((m) => ({ conversation: m.conversation, role: m.role, content: m.content })),
  });

  // Typed errors: each status code's body as the spec declares it.
  const png = files.png;
  errorLine("400", await submitJob(owner, png.blob, png.name, { language: "xx" }));
  const stranger = ocrchatClient(env("OCRCHAT_BASE_URL"), "ocr_00000000000000000000000000000000_bad");
  const pngJob = finished.png ?? fail("no png job");
  errorLine("401", await stranger.GET("/api/v1/ocr/{uuid}/", { params: { path: { uuid: pngJob.uuid } } }));
  const poor = ocrchatClient(env("OCRCHAT_BASE_URL"), env("OCRCHAT_POOR_TOKEN"));
  errorLine("402", await submitJob(poor, files.pdf.blob, files.pdf.name, { language: "en" }));
  errorLine(
    "404",
    await owner.GET("/api/v1/ocr/{uuid}/", { params: { path: { uuid: "00000000-0000-0000-0000-000000000000" } } }),
  );
  const idle = ocrchatClient(env("OCRCHAT_IDLE_BASE_URL"), env("OCRCHAT_IDLE_TOKEN"));
  const queued = await submitJob(idle, png.blob, png.name);
  const waiting = queued.data ?? fail(`idle submit: ${queued.response.status} ${JSON.stringify(queued.error)}`);
  emit({ step: "submit", file: "idle", status: queued.response.status, type: "JobObject", uuid: waiting.uuid, job_status: waiting.status });
  errorLine("409-download", await downloadJob(idle, waiting.uuid, "txt"));
  errorLine(
    "409-chat",
    await idle.POST("/api/v1/chat/{uuid}/", { params: { path: { uuid: waiting.uuid } }, body: question }),
  );
  emit({ step: "end" });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
