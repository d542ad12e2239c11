from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ToolObject")


@_attrs_define
class ToolObject:
    """One tool preset.

    Attributes:
        slug (str): The slug to send as `tool`.
        description (str): What it does.
        requires (list[str]): Form fields it needs besides `file` (none today: `translate` without `translate_to`
            translates into English).
        available (bool): Whether this server can run it now: `handwriting-to-text` needs a vision model,
            `translate` a chat model. Naming an unavailable tool is `400`.
        tier (None | str | Unset): The tier it forces, if any (`vlm` for `handwriting-to-text`).
    """

    slug: str
    description: str
    requires: list[str]
    available: bool
    tier: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        slug = self.slug

        description = self.description

        requires = self.requires

        available = self.available

        tier: None | str | Unset
        if isinstance(self.tier, Unset):
            tier = UNSET
        else:
            tier = self.tier

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "slug": slug,
                "description": description,
                "requires": requires,
                "available": available,
            }
        )
        if tier is not UNSET:
            field_dict["tier"] = tier

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        slug = d.pop("slug")

        description = d.pop("description")

        requires = cast(list[str], d.pop("requires"))

        available = d.pop("available")

        def _parse_tier(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tier = _parse_tier(d.pop("tier", UNSET))

        tool_object = cls(
            slug=slug,
            description=description,
            requires=requires,
            available=available,
            tier=tier,
        )

        tool_object.additional_properties = d
        return tool_object

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
