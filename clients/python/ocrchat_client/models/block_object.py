from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BlockObject")


@_attrs_define
class BlockObject:
    """A paragraph-level block of a page.

    Attributes:
        text (str): The block's text.
        bbox (list[int]): `[x0, y0, x1, y1]` in pixels of the page image.
        confidence (float): Engine confidence, 0..1.
    """

    text: str
    bbox: list[int]
    confidence: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        text = self.text

        bbox = self.bbox

        confidence = self.confidence

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "text": text,
                "bbox": bbox,
                "confidence": confidence,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        text = d.pop("text")

        bbox = cast(list[int], d.pop("bbox"))

        confidence = d.pop("confidence")

        block_object = cls(
            text=text,
            bbox=bbox,
            confidence=confidence,
        )

        block_object.additional_properties = d
        return block_object

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
