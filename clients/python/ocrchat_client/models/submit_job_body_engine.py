from enum import StrEnum


class SubmitJobBodyEngine(StrEnum):
    AUTO = "auto"
    PPOCR = "ppocr"
    TESSERACT = "tesseract"

    def __str__(self) -> str:
        return str(self.value)
