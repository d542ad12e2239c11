from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.block_object import BlockObject
    from ..models.table_object import TableObject


T = TypeVar("T", bound="PageObject")


@_attrs_define
class PageObject:
    """One recognised page.

    Attributes:
        index (int): 0-based page index.
        text (str): The page's text in reading order.
        blocks (list[BlockObject]): Paragraph blocks in reading order.
        width (int): Page image width in pixels (the frame of every bbox).
        height (int): Page image height in pixels.
        engine (str): What read the page: `tesseract`, `pdf-text` (a born-digital PDF page's own text layer,
            confidence 1.0) or the vision model's name (`vlm` tier).
        mean_confidence (float | None | Unset): Mean word confidence on the page, 0..1.
        tables (list[TableObject] | None | Unset): Tables found on the page (only with the `extract-tables` tool), top
            to bottom.
            Left out when there are none (`default`: so the schema does not require it).
        rotation (int | None | Unset): Clockwise degrees (90, 180, 270) the page was turned before recognition because
            it was
            sideways or upside down; bboxes are in the turned (upright) page. Absent when 0.
        detected_language (None | str | Unset): With `language=auto`: the language detected on the page (ISO 639-3 /
            Tesseract name,
            e.g. `deu`); absent when detection was unsure (the page was then read with its script's
            model).
        script (None | str | Unset): With `language=auto`: the page's writing system as detected (`Latin`, `Cyrillic`,
            `Han`,
            `Arabic`, `Devanagari`, …).
        detection_confidence (float | None | Unset): With `language=auto`: the language detector's confidence, 0..1.
        translation (None | str | Unset): With a translation (`translate_to` or `tool=translate`): the page's text in
            that language.
    """

    index: int
    text: str
    blocks: list[BlockObject]
    width: int
    height: int
    engine: str
    mean_confidence: float | None | Unset = UNSET
    tables: list[TableObject] | None | Unset = UNSET
    rotation: int | None | Unset = UNSET
    detected_language: None | str | Unset = UNSET
    script: None | str | Unset = UNSET
    detection_confidence: float | None | Unset = UNSET
    translation: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        index = self.index

        text = self.text

        blocks = []
        for blocks_item_data in self.blocks:
            blocks_item = blocks_item_data.to_dict()
            blocks.append(blocks_item)

        width = self.width

        height = self.height

        engine = self.engine

        mean_confidence: float | None | Unset
        if isinstance(self.mean_confidence, Unset):
            mean_confidence = UNSET
        else:
            mean_confidence = self.mean_confidence

        tables: list[dict[str, Any]] | None | Unset
        if isinstance(self.tables, Unset):
            tables = UNSET
        elif isinstance(self.tables, list):
            tables = []
            for tables_type_0_item_data in self.tables:
                tables_type_0_item = tables_type_0_item_data.to_dict()
                tables.append(tables_type_0_item)

        else:
            tables = self.tables

        rotation: int | None | Unset
        if isinstance(self.rotation, Unset):
            rotation = UNSET
        else:
            rotation = self.rotation

        detected_language: None | str | Unset
        if isinstance(self.detected_language, Unset):
            detected_language = UNSET
        else:
            detected_language = self.detected_language

        script: None | str | Unset
        if isinstance(self.script, Unset):
            script = UNSET
        else:
            script = self.script

        detection_confidence: float | None | Unset
        if isinstance(self.detection_confidence, Unset):
            detection_confidence = UNSET
        else:
            detection_confidence = self.detection_confidence

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
                "text": text,
                "blocks": blocks,
                "width": width,
                "height": height,
                "engine": engine,
            }
        )
        if mean_confidence is not UNSET:
            field_dict["mean_confidence"] = mean_confidence
        if tables is not UNSET:
            field_dict["tables"] = tables
        if rotation is not UNSET:
            field_dict["rotation"] = rotation
        if detected_language is not UNSET:
            field_dict["detected_language"] = detected_language
        if script is not UNSET:
            field_dict["script"] = script
        if detection_confidence is not UNSET:
            field_dict["detection_confidence"] = detection_confidence
        if translation is not UNSET:
            field_dict["translation"] = translation

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.block_object import BlockObject  # noqa: PLC0415
        from ..models.table_object import TableObject  # noqa: PLC0415

        d = dict(src_dict)
        index = d.pop("index")

        text = d.pop("text")

        blocks = []
        _blocks = d.pop("blocks")
        for blocks_item_data in _blocks:
            blocks_item = BlockObject.from_dict(blocks_item_data)

            blocks.append(blocks_item)

        width = d.pop("width")

        height = d.pop("height")

        engine = d.pop("engine")

        def _parse_mean_confidence(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        mean_confidence = _parse_mean_confidence(d.pop("mean_confidence", UNSET))

        def _parse_tables(data: object) -> list[TableObject] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                tables_type_0 = []
                _tables_type_0 = data
                for tables_type_0_item_data in _tables_type_0:
                    tables_type_0_item = TableObject.from_dict(tables_type_0_item_data)

                    tables_type_0.append(tables_type_0_item)

                return tables_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[TableObject] | None | Unset, data)

        tables = _parse_tables(d.pop("tables", UNSET))

        def _parse_rotation(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rotation = _parse_rotation(d.pop("rotation", UNSET))

        def _parse_detected_language(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detected_language = _parse_detected_language(d.pop("detected_language", UNSET))

        def _parse_script(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        script = _parse_script(d.pop("script", UNSET))

        def _parse_detection_confidence(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        detection_confidence = _parse_detection_confidence(d.pop("detection_confidence", UNSET))

        def _parse_translation(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        translation = _parse_translation(d.pop("translation", UNSET))

        page_object = cls(
            index=index,
            text=text,
            blocks=blocks,
            width=width,
            height=height,
            engine=engine,
            mean_confidence=mean_confidence,
            tables=tables,
            rotation=rotation,
            detected_language=detected_language,
            script=script,
            detection_confidence=detection_confidence,
            translation=translation,
        )

        page_object.additional_properties = d
        return page_object

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
