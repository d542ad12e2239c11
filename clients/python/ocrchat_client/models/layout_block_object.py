from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.line_object import LineObject


T = TypeVar("T", bound="LayoutBlockObject")


@_attrs_define
class LayoutBlockObject:
    """A block with its lines.

    Attributes:
        text (str): The block's text.
        bbox (list[int]): `[x0, y0, x1, y1]` in pixels of the page image.
        confidence (float): Engine confidence, 0..1.
        lines (list[LineObject]): Its lines in reading order.
    """

    text: str
    bbox: list[int]
    confidence: float
    lines: list[LineObject]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        text = self.text

        bbox = self.bbox

        confidence = self.confidence

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "text": text,
                "bbox": bbox,
                "confidence": confidence,
                "lines": lines,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.line_object import LineObject  # noqa: PLC0415

        d = dict(src_dict)
        text = d.pop("text")

        bbox = cast(list[int], d.pop("bbox"))

        confidence = d.pop("confidence")

        lines = []
        _lines = d.pop("lines")
        for lines_item_data in _lines:
            lines_item = LineObject.from_dict(lines_item_data)

            lines.append(lines_item)

        layout_block_object = cls(
            text=text,
            bbox=bbox,
            confidence=confidence,
            lines=lines,
        )

        layout_block_object.additional_properties = d
        return layout_block_object

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
