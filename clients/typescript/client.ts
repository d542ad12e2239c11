/**
 * A thin TypeScript client for the ocrchat API. The types are generated from
 * openapi/openapi.json by openapi-typescript (schema.d.ts, `just clients`); the calls are made
 * by openapi-fetch, so every path, parameter, body and each status code's answer is typed from
 * the spec: `data` is the success body, `error` the union of the declared error bodies.
 *
 *     const ocr = ocrchatClient("http://127.0.0.1:8080", process.env.OCRCHAT_TOKEN);
 *     const { data: job, error } = await submitJob(ocr, file, "page.png", { language: "en" });
 *     const { data } = await ocr.GET("/api/v1/ocr/{uuid}/", { params: { path: { uuid } } });
 *
 * Only what openapi-fetch cannot do from the types alone is written out here: the multipart
 * upload, polling, and downloads read as bytes.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
export type Job = Schemas["JobObject"];
export type Format = Schemas["Format"];
export type ErrorBody = Schemas["ErrorBody"];
export type QuotaBody = Schemas["QuotaBody"];
export type OcrchatClient = Client<paths>;

/** The submit form's fields besides the file, as the spec declares them. */
export type SubmitFields = Omit<
  operations["submit_job"]["requestBody"]["content"]["multipart/form-data"],
  "file"
>;

/** Every download format the spec lists, in its order. */
export const FORMATS = ["txt", "md", "docx", "pdf", "csv", "json", "hocr", "alto"] as const satisfies readonly Format[];
// A format the spec gains and FORMATS lacks fails to compile here, naming it.
type Unlisted = Exclude<Format, (typeof FORMATS)[number]>;
const everyFormatListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFormatListed;

/** A client for the service at `baseUrl` (no trailing slash), with a token or anonymous. */
export function ocrchatClient(baseUrl: string, token?: string): OcrchatClient {
  return createClient<paths>({
    baseUrl,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
}

/**
 * Submits a file (`POST /api/v1/ocr/`). openapi-typescript types a `format: binary` form field
 * as a string, so the typed body carries the file's name there while the form sent is built
 * here with the file itself.
 */
export function submitJob(
  client: OcrchatClient,
  file: Blob,
  fileName: string,
  fields: SubmitFields = {},
  idempotencyKey?: string,
) {
  return client.POST("/api/v1/ocr/", {
    params: { header: idempotencyKey === undefined ? {} : { "Idempotency-Key": idempotencyKey } },
    body: { ...fields, file: fileName },
    bodySerializer: () => {
      const form = new FormData();
      form.append("file", file, fileName);
      for (const [name, value] of Object.entries(fields)) {
        if (value !== undefined) form.append(name, String(value));
      }
      return form;
    },
  });
}

/** Polls a job until it is `done` or `failed`; throws on any other answer or after `timeoutMs`. */
export async function waitForJob(
  client: OcrchatClient,
  uuid: string,
  timeoutMs = 300_000,
  intervalMs = 500,
): Promise<{ job: Job; polls: number }> {
  const deadline = Date.now() + timeoutMs;
  for (let polls = 0; ; polls++) {
    const { data, error, response } = await client.GET("/api/v1/ocr/{uuid}/", {
      params: { path: { uuid } },
    });
    if (error !== undefined || data === undefined) {
      throw new Error(`polling ${uuid}: ${response.status} ${JSON.stringify(error)}`);
    }
    if (data.status === "done" || data.status === "failed") return { job: data, polls };
    if (Date.now() > deadline) throw new Error(`job ${uuid} still ${data.status}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Downloads a job in a format (`409` until it is done), as bytes whatever the format. */
export function downloadJob(client: OcrchatClient, uuid: string, format: Format) {
  return client.GET("/api/v1/ocr/{uuid}/download/", {
    params: { path: { uuid }, query: { format } },
    parseAs: "arrayBuffer",
  });
}
