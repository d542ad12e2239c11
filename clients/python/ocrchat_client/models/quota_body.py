from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QuotaBody")


@_attrs_define
class QuotaBody:
    """The body of a `402`: what ran out, with the numbers that apply.

    Attributes:
        error (str): What ran out, in words.
        used (int): For an allowance: credits used in the current period (a `cpu` page is 1 credit). For a
            paid balance: credits this file needs. For the per-file page cap: the file's pages.
        cap (int): For an allowance: the period's allowance in credits. For a paid balance: credits left.
            For the per-file page cap: the plan's most pages per file.
    """

    error: str
    used: int
    cap: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error = self.error

        used = self.used

        cap = self.cap

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error": error,
                "used": used,
                "cap": cap,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        error = d.pop("error")

        used = d.pop("used")

        cap = d.pop("cap")

        quota_body = cls(
            error=error,
            used=used,
            cap=cap,
        )

        quota_body.additional_properties = d
        return quota_body

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
