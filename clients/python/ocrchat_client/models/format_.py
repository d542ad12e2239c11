from enum import StrEnum


class Format(StrEnum):
    ALTO = "alto"
    CSV = "csv"
    DOCX = "docx"
    HOCR = "hocr"
    JSON = "json"
    MD = "md"
    PDF = "pdf"
    TXT = "txt"

    def __str__(self) -> str:
        return str(self.value)
