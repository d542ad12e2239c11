// Submit a file to ocrchat, wait until it is read, print its text (Node 18 or later):
//     node submit.mjs page.png
import { readFile } from "node:fs/promises";
import { basename } from "node:path";

const base = process.env.OCRCHAT_URL ?? "http://127.0.0.1:8080";
const token = process.env.OCRCHAT_TOKEN; // unset: an anonymous call
const headers = token ? { Authorization: `Bearer ${token}` } : {};

async function call(path, init = {}) {
  const res = await fetch(`${base}${path}`, { headers, ...init });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return res;
}

const file = process.argv[2];
const form = new FormData();
form.append("file", new Blob([await readFile(file)]), basename(file));
form.append("language", "en");
let job = await (await call("/api/v1/ocr/", { method: "POST", body: form })).json();
while (job.status !== "done" && job.status !== "failed") { // files over 5 pages come back pending
  await new Promise((resolve) => setTimeout(resolve, 1000));
  job = await (await call(`/api/v1/ocr/${job.uuid}/`)).json();
}
if (job.status === "failed") throw new Error(`failed: ${job.error}`);

const text = await (await call(`/api/v1/ocr/${job.uuid}/download/?format=txt`)).text();
console.log(text);
