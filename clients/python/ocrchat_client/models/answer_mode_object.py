from enum import StrEnum


class AnswerModeObject(StrEnum):
    EXTRACTIVE = "extractive"
    MODEL = "model"
    NOT_FOUND = "not_found"

    def __str__(self) -> str:
        return str(self.value)
