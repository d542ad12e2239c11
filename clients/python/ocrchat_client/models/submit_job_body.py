from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, TypeVar

from attrs import define as _attrs_define

from .. import types
from ..models.submit_job_body_engine import SubmitJobBodyEngine
from ..models.submit_job_body_tier import SubmitJobBodyTier
from ..models.submit_job_body_tool import SubmitJobBodyTool
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="SubmitJobBody")


@_attrs_define
class SubmitJobBody:
    """
    Attributes:
        file (File): The document: PNG, JPG, WEBP, GIF (first frame), BMP, TIFF (every page) or PDF (every
            page). The type is decided from the content, not the name.
        tier (SubmitJobBodyTier | Unset): `cpu` (default, Tesseract: fast, printed documents) or `vlm` (a vision-
            language model:
            handwriting, complex layouts, math; its text is placed on the page with Tesseract's word
            boxes). `vlm` is `400` on a server without a vision model (see `GET /api/v1/tools/`).
        language (str | Unset): `auto` (default: script, orientation and language detected per page) or a language
            code: `en`, `de`, `ch`, `ja`, `ar`, ISO 639-1/639-3 codes or Tesseract names; several
            joined with `+` (`de+en`). `GET /api/v1/languages/` lists what this server reads.
        tool (SubmitJobBodyTool | Unset): Optional tool preset (`GET /api/v1/tools/`): `extract-tables`, `handwriting-
            to-text`
            (forces `tier=vlm`) or `translate` (translates into `translate_to`, English when it is
            not set). Any other slug is `400`.
        translate_to (str | Unset): Translate each page's text into this language: a language code as for `language`
            (`en`, `fr`, `de`, `zh`, …). With any tool or none: `tool=extract-tables` with
            `translate_to=de` extracts the tables and translates the text into German. Without it,
            `tool=translate` translates into English. The translation is returned beside the
            original (`pages[].translation`); it needs a chat model (`400` on a server without one,
            see `GET /api/v1/tools/`).
        callback_url (str | Unset): Optional http(s) URL that receives the job summary (POST, JSON) when the job ends,
            signed with the account's webhook secret (`X-Ocrchat-Signature: sha256=HMAC(secret,
            "<X-Ocrchat-Timestamp>.<body>")`). Requires an account token; loopback and private
            addresses are refused. The pattern gives the form every server takes (a host name, an
            optional port, path and query); a literal public IP address is taken too.
        force_ocr (bool | Unset): PDFs only: `true` recognises every page, even born-digital pages whose own text layer
            is otherwise taken as it is (`pages[].engine` is then `pdf-text`, confidence 1.0). Scans
            with an invisible OCR layer are always recognised again. Default `false`.
        engine (SubmitJobBodyEngine | Unset): `auto` (default), `tesseract` or `ppocr`: which engine reads page images.
            `auto` reads
            each page with Tesseract and, where its confidence is low (receipts, photos, handwriting),
            with PP-OCR (PP-OCRv6) too, keeping the more confident reading. `ppocr` reads Latin,
            Greek, Chinese and Japanese text; pages in another script, named in `language` or found
            on the page, are read by Tesseract. `pages[].engine` says what read each page
            (`tesseract`, `ppocr`, `pdf-text`). `400` on a server without the PP-OCR models. With
            `tier=vlm` the vision model's text is placed on Tesseract's boxes.
    """

    file: File
    tier: SubmitJobBodyTier | Unset = UNSET
    language: str | Unset = UNSET
    tool: SubmitJobBodyTool | Unset = UNSET
    translate_to: str | Unset = UNSET
    callback_url: str | Unset = UNSET
    force_ocr: bool | Unset = UNSET
    engine: SubmitJobBodyEngine | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        file = self.file.to_tuple()

        tier: str | Unset = UNSET
        if not isinstance(self.tier, Unset):
            tier = self.tier.value

        language = self.language

        tool: str | Unset = UNSET
        if not isinstance(self.tool, Unset):
            tool = self.tool.value

        translate_to = self.translate_to

        callback_url = self.callback_url

        force_ocr = self.force_ocr

        engine: str | Unset = UNSET
        if not isinstance(self.engine, Unset):
            engine = self.engine.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "file": file,
            }
        )
        if tier is not UNSET:
            field_dict["tier"] = tier
        if language is not UNSET:
            field_dict["language"] = language
        if tool is not UNSET:
            field_dict["tool"] = tool
        if translate_to is not UNSET:
            field_dict["translate_to"] = translate_to
        if callback_url is not UNSET:
            field_dict["callback_url"] = callback_url
        if force_ocr is not UNSET:
            field_dict["force_ocr"] = force_ocr
        if engine is not UNSET:
            field_dict["engine"] = engine

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))

        if not isinstance(self.tier, Unset):
            files.append(("tier", (None, str(self.tier.value).encode(), "text/plain")))

        if not isinstance(self.language, Unset):
            files.append(("language", (None, str(self.language).encode(), "text/plain")))

        if not isinstance(self.tool, Unset):
            files.append(("tool", (None, str(self.tool.value).encode(), "text/plain")))

        if not isinstance(self.translate_to, Unset):
            files.append(("translate_to", (None, str(self.translate_to).encode(), "text/plain")))

        if not isinstance(self.callback_url, Unset):
            files.append(("callback_url", (None, str(self.callback_url).encode(), "text/plain")))

        if not isinstance(self.force_ocr, Unset):
            files.append(("force_ocr", (None, str(self.force_ocr).encode(), "text/plain")))

        if not isinstance(self.engine, Unset):
            files.append(("engine", (None, str(self.engine.value).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        file = File(payload=BytesIO(d.pop("file")))

        _tier = d.pop("tier", UNSET)
        tier: SubmitJobBodyTier | Unset
        if isinstance(_tier, Unset):
            tier = UNSET
        else:
            tier = SubmitJobBodyTier(_tier)

        language = d.pop("language", UNSET)

        _tool = d.pop("tool", UNSET)
        tool: SubmitJobBodyTool | Unset
        if isinstance(_tool, Unset):
            tool = UNSET
        else:
            tool = SubmitJobBodyTool(_tool)

        translate_to = d.pop("translate_to", UNSET)

        callback_url = d.pop("callback_url", UNSET)

        force_ocr = d.pop("force_ocr", UNSET)

        _engine = d.pop("engine", UNSET)
        engine: SubmitJobBodyEngine | Unset
        if isinstance(_engine, Unset):
            engine = UNSET
        else:
            engine = SubmitJobBodyEngine(_engine)

        submit_job_body = cls(
            file=file,
            tier=tier,
            language=language,
            tool=tool,
            translate_to=translate_to,
            callback_url=callback_url,
            force_ocr=force_ocr,
            engine=engine,
        )

        return submit_job_body
