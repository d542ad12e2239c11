# Submit a file to ocrchat, wait until it is read, print its text:
#     pip install requests && python3 submit.py page.png
import os
import sys
import time

import requests

BASE = os.environ.get("OCRCHAT_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("OCRCHAT_TOKEN")  # unset: an anonymous call
headers = {"Authorization": f"Bearer {TOKEN}"} if TOKEN else {}

with open(sys.argv[1], "rb") as f:
    r = requests.post(f"{BASE}/api/v1/ocr/", headers=headers, files={"file": f}, data={"language": "en"})
r.raise_for_status()
job = r.json()
while job["status"] not in ("done", "failed"):  # files over 5 pages come back pending
    time.sleep(1)
    r = requests.get(f"{BASE}/api/v1/ocr/{job['uuid']}/", headers=headers)
    r.raise_for_status()
    job = r.json()
if job["status"] == "failed":
    sys.exit(f"failed: {job['error']}")

r = requests.get(f"{BASE}/api/v1/ocr/{job['uuid']}/download/", params={"format": "txt"}, headers=headers)
r.raise_for_status()
print(r.text)
