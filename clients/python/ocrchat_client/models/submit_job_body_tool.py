from enum import StrEnum


class SubmitJobBodyTool(StrEnum):
    EXTRACT_TABLES = "extract-tables"
    HANDWRITING_TO_TEXT = "handwriting-to-text"
    TRANSLATE = "translate"

    def __str__(self) -> str:
        return str(self.value)
