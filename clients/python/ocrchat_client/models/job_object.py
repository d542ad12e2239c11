from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status import Status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.page_object import PageObject


T = TypeVar("T", bound="JobObject")


@_attrs_define
class JobObject:
    """The job object of SPEC.md.

    Attributes:
        uuid (UUID): The job's id.
        status (Status): Lifecycle state of a job.
        tier (str): `cpu` or `vlm`.
        language (str): The language as requested (`auto`, `en`, `de+en`, …).
        page_count (int): Pages in the uploaded file.
        pages_done (int): Pages recognised so far (progress for long jobs).
        text (str): The text of all recognised pages, pages separated by form feeds.
        markdown (str): Markdown of all recognised pages, pages separated by horizontal rules.
        pages (list[PageObject]): Recognised pages in page order.
        created_at (datetime.datetime): When the job was submitted (RFC 3339).
        mean_confidence (float | None | Unset): Mean word confidence over the recognised pages, 0..1 (null before any
            page).
        error (None | str | Unset): Why the job failed (present only when `status` is `failed`).
        error_code (None | str | Unset): The failure's class, for programs: `bad_file`, `engine_error`,
            `attempts_exhausted`,
            `interrupted` or `unclassified` (present only when `status` is `failed`).
        webhook_status (None | str | Unset): Webhook delivery: `pending`, `delivered` or `abandoned` (present only with
            a
            `callback_url`).
        tool (None | str | Unset): The tool preset applied, if any.
        detected_language (None | str | Unset): With `language=auto`: the language detected on most of the recognised
            text (by
            characters), e.g. `deu`.
        translate_to (None | str | Unset): With a translation (`translate_to` or `tool=translate`): its language
            (Tesseract name,
            e.g. `eng`).
        translation (None | str | Unset): With a translation: the translation of all recognised pages, separated by form
            feeds
            like `text`.
        file_name (None | str | Unset): The uploaded file's name.
        finished_at (datetime.datetime | None | Unset): When the job reached `done` or `failed`.
    """

    uuid: UUID
    status: Status
    tier: str
    language: str
    page_count: int
    pages_done: int
    text: str
    markdown: str
    pages: list[PageObject]
    created_at: datetime.datetime
    mean_confidence: float | None | Unset = UNSET
    error: None | str | Unset = UNSET
    error_code: None | str | Unset = UNSET
    webhook_status: None | str | Unset = UNSET
    tool: None | str | Unset = UNSET
    detected_language: None | str | Unset = UNSET
    translate_to: None | str | Unset = UNSET
    translation: None | str | Unset = UNSET
    file_name: None | str | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        uuid = str(self.uuid)

        status = self.status.value

        tier = self.tier

        language = self.language

        page_count = self.page_count

        pages_done = self.pages_done

        text = self.text

        markdown = self.markdown

        pages = []
        for pages_item_data in self.pages:
            pages_item = pages_item_data.to_dict()
            pages.append(pages_item)

        created_at = self.created_at.isoformat()

        mean_confidence: float | None | Unset
        if isinstance(self.mean_confidence, Unset):
            mean_confidence = UNSET
        else:
            mean_confidence = self.mean_confidence

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        error_code: None | str | Unset
        if isinstance(self.error_code, Unset):
            error_code = UNSET
        else:
            error_code = self.error_code

        webhook_status: None | str | Unset
        if isinstance(self.webhook_status, Unset):
            webhook_status = UNSET
        else:
            webhook_status = self.webhook_status

        tool: None | str | Unset
        if isinstance(self.tool, Unset):
            tool = UNSET
        else:
            tool = self.tool

        detected_language: None | str | Unset
        if isinstance(self.detected_language, Unset):
            detected_language = UNSET
        else:
            detected_language = self.detected_language

        translate_to: None | str | Unset
        if isinstance(self.translate_to, Unset):
            translate_to = UNSET
        else:
            translate_to = self.translate_to

        translation: None | str | Unset
        if isinstance(self.translation, Unset):
            translation = UNSET
        else:
            translation = self.translation

        file_name: None | str | Unset
        if isinstance(self.file_name, Unset):
            file_name = UNSET
        else:
            file_name = self.file_name

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "uuid": uuid,
                "status": status,
                "tier": tier,
                "language": language,
                "page_count": page_count,
                "pages_done": pages_done,
                "text": text,
                "markdown": markdown,
                "pages": pages,
                "created_at": created_at,
            }
        )
        if mean_confidence is not UNSET:
            field_dict["mean_confidence"] = mean_confidence
        if error is not UNSET:
            field_dict["error"] = error
        if error_code is not UNSET:
            field_dict["error_code"] = error_code
        if webhook_status is not UNSET:
            field_dict["webhook_status"] = webhook_status
        if tool is not UNSET:
            field_dict["tool"] = tool
        if detected_language is not UNSET:
            field_dict["detected_language"] = detected_language
        if translate_to is not UNSET:
            field_dict["translate_to"] = translate_to
        if translation is not UNSET:
            field_dict["translation"] = translation
        if file_name is not UNSET:
            field_dict["file_name"] = file_name
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.page_object import PageObject  # noqa: PLC0415

        d = dict(src_dict)
        uuid = UUID(d.pop("uuid"))

        status = Status(d.pop("status"))

        tier = d.pop("tier")

        language = d.pop("language")

        page_count = d.pop("page_count")

        pages_done = d.pop("pages_done")

        text = d.pop("text")

        markdown = d.pop("markdown")

        pages = []
        _pages = d.pop("pages")
        for pages_item_data in _pages:
            pages_item = PageObject.from_dict(pages_item_data)

            pages.append(pages_item)

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_mean_confidence(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        mean_confidence = _parse_mean_confidence(d.pop("mean_confidence", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_error_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error_code = _parse_error_code(d.pop("error_code", UNSET))

        def _parse_webhook_status(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_status = _parse_webhook_status(d.pop("webhook_status", UNSET))

        def _parse_tool(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tool = _parse_tool(d.pop("tool", UNSET))

        def _parse_detected_language(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detected_language = _parse_detected_language(d.pop("detected_language", UNSET))

        def _parse_translate_to(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        translate_to = _parse_translate_to(d.pop("translate_to", UNSET))

        def _parse_translation(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        translation = _parse_translation(d.pop("translation", UNSET))

        def _parse_file_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        file_name = _parse_file_name(d.pop("file_name", UNSET))

        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        job_object = cls(
            uuid=uuid,
            status=status,
            tier=tier,
            language=language,
            page_count=page_count,
            pages_done=pages_done,
            text=text,
            markdown=markdown,
            pages=pages,
            created_at=created_at,
            mean_confidence=mean_confidence,
            error=error,
            error_code=error_code,
            webhook_status=webhook_status,
            tool=tool,
            detected_language=detected_language,
            translate_to=translate_to,
            translation=translation,
            file_name=file_name,
            finished_at=finished_at,
        )

        job_object.additional_properties = d
        return job_object

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
