from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status import Status
from ..types import UNSET, Unset

T = TypeVar("T", bound="JobSummaryObject")


@_attrs_define
class JobSummaryObject:
    """One job of a listing.

    Attributes:
        uuid (UUID): The job's id.
        status (Status): Lifecycle state of a job.
        file_kind (str): The uploaded file's format (`png`, `jpeg`, `pdf`, …).
        page_count (int): Pages in the file.
        pages_done (int): Pages recognised so far.
        tier (str): `cpu` or `vlm`.
        created_at (datetime.datetime): When the job was submitted (RFC 3339).
        file_name (None | str | Unset): The uploaded file's name.
        tool (None | str | Unset): The tool preset applied, if any.
        finished_at (datetime.datetime | None | Unset): When the job reached `done` or `failed`.
        error (None | str | Unset): Why the job failed (only when `status` is `failed`).
    """

    uuid: UUID
    status: Status
    file_kind: str
    page_count: int
    pages_done: int
    tier: str
    created_at: datetime.datetime
    file_name: None | str | Unset = UNSET
    tool: None | str | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        uuid = str(self.uuid)

        status = self.status.value

        file_kind = self.file_kind

        page_count = self.page_count

        pages_done = self.pages_done

        tier = self.tier

        created_at = self.created_at.isoformat()

        file_name: None | str | Unset
        if isinstance(self.file_name, Unset):
            file_name = UNSET
        else:
            file_name = self.file_name

        tool: None | str | Unset
        if isinstance(self.tool, Unset):
            tool = UNSET
        else:
            tool = self.tool

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "uuid": uuid,
                "status": status,
                "file_kind": file_kind,
                "page_count": page_count,
                "pages_done": pages_done,
                "tier": tier,
                "created_at": created_at,
            }
        )
        if file_name is not UNSET:
            field_dict["file_name"] = file_name
        if tool is not UNSET:
            field_dict["tool"] = tool
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        uuid = UUID(d.pop("uuid"))

        status = Status(d.pop("status"))

        file_kind = d.pop("file_kind")

        page_count = d.pop("page_count")

        pages_done = d.pop("pages_done")

        tier = d.pop("tier")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_file_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        file_name = _parse_file_name(d.pop("file_name", UNSET))

        def _parse_tool(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tool = _parse_tool(d.pop("tool", UNSET))

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

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        job_summary_object = cls(
            uuid=uuid,
            status=status,
            file_kind=file_kind,
            page_count=page_count,
            pages_done=pages_done,
            tier=tier,
            created_at=created_at,
            file_name=file_name,
            tool=tool,
            finished_at=finished_at,
            error=error,
        )

        job_summary_object.additional_properties = d
        return job_summary_object

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
