from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="EventObject")


@_attrs_define
class EventObject:
    """One event of a job's history.

    Attributes:
        seq (int): 1-based position in the job's stream.
        kind (str): `submitted`, `processing_started`, `page_recognized`, `attempt_failed`, `done`, `failed`,
            `webhook_attempted`, `webhook_abandoned`, `erased`.
        recorded_at (datetime.datetime): When it was recorded (RFC 3339).
        schema_version (int): Payload shape version it was written with.
        payload (Any): The event's content. Page text and layout are summarised (length, SHA-256, counts)
            unless `full=true`.
        attempt (int | None | Unset): Queue delivery attempt it was written in, where relevant.
        worker (None | str | Unset): The worker (host:pid) or actor that wrote it, where relevant.
    """

    seq: int
    kind: str
    recorded_at: datetime.datetime
    schema_version: int
    payload: Any
    attempt: int | None | Unset = UNSET
    worker: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        seq = self.seq

        kind = self.kind

        recorded_at = self.recorded_at.isoformat()

        schema_version = self.schema_version

        payload = self.payload

        attempt: int | None | Unset
        if isinstance(self.attempt, Unset):
            attempt = UNSET
        else:
            attempt = self.attempt

        worker: None | str | Unset
        if isinstance(self.worker, Unset):
            worker = UNSET
        else:
            worker = self.worker

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "seq": seq,
                "kind": kind,
                "recorded_at": recorded_at,
                "schema_version": schema_version,
                "payload": payload,
            }
        )
        if attempt is not UNSET:
            field_dict["attempt"] = attempt
        if worker is not UNSET:
            field_dict["worker"] = worker

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        seq = d.pop("seq")

        kind = d.pop("kind")

        recorded_at = datetime.datetime.fromisoformat(d.pop("recorded_at"))

        schema_version = d.pop("schema_version")

        payload = d.pop("payload")

        def _parse_attempt(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        attempt = _parse_attempt(d.pop("attempt", UNSET))

        def _parse_worker(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        worker = _parse_worker(d.pop("worker", UNSET))

        event_object = cls(
            seq=seq,
            kind=kind,
            recorded_at=recorded_at,
            schema_version=schema_version,
            payload=payload,
            attempt=attempt,
            worker=worker,
        )

        event_object.additional_properties = d
        return event_object

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
