from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.layout_block_object import LayoutBlockObject


T = TypeVar("T", bound="PageLayoutObject")


@_attrs_define
class PageLayoutObject:
    """One recognised page down to its words: what `pages[]` of the job object shows, plus lines
    and words.

        Attributes:
            index (int): 0-based page index.
            width (int): Page image width in pixels (the frame of every bbox; the stored image's width).
            height (int): Page image height in pixels.
            engine (str): What read the page (`tesseract`, `ppocr`, `pdf-text`, or the vision model's name).
            text (str): The page's text in reading order.
            blocks (list[LayoutBlockObject]): Blocks in reading order, with lines and words.
            mean_confidence (float | None | Unset): Mean word confidence on the page, 0..1.
            translation (None | str | Unset): With a translation (`translate_to` or `tool=translate`): the page's text in
                that language.
    """

    index: int
    width: int
    height: int
    engine: str
    text: str
    blocks: list[LayoutBlockObject]
    mean_confidence: float | None | Unset = UNSET
    translation: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        index = self.index

        width = self.width

        height = self.height

        engine = self.engine

        text = self.text

        blocks = []
        for blocks_item_data in self.blocks:
            blocks_item = blocks_item_data.to_dict()
            blocks.append(blocks_item)

        mean_confidence: float | None | Unset
        if isinstance(self.mean_confidence, Unset):
            mean_confidence = UNSET
        else:
            mean_confidence = self.mean_confidence

        translation: None | str | Unset
        if isinstance(self.translation, Unset):
            translation = UNSET
        else:
            translation = self.translation

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "index": index,
                "width": width,
                "height": height,
                "engine": engine,
                "text": text,
                "blocks": blocks,
            }
        )
        if mean_confidence is not UNSET:
            field_dict["mean_confidence"] = mean_confidence
        if translation is not UNSET:
            field_dict["translation"] = translation

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.layout_block_object import LayoutBlockObject  # noqa: PLC0415

        d = dict(src_dict)
        index = d.pop("index")

        width = d.pop("width")

        height = d.pop("height")

        engine = d.pop("engine")

        text = d.pop("text")

        blocks = []
        _blocks = d.pop("blocks")
        for blocks_item_data in _blocks:
            blocks_item = LayoutBlockObject.from_dict(blocks_item_data)

            blocks.append(blocks_item)

        def _parse_mean_confidence(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        mean_confidence = _parse_mean_confidence(d.pop("mean_confidence", UNSET))

        def _parse_translation(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        translation = _parse_translation(d.pop("translation", UNSET))

        page_layout_object = cls(
            index=index,
            width=width,
            height=height,
            engine=engine,
            text=text,
            blocks=blocks,
            mean_confidence=mean_confidence,
            translation=translation,
        )

        page_layout_object.additional_properties = d
        return page_layout_object

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
