"""Contains all the data models used in inputs/outputs"""

from .account_object import AccountObject
from .answer_mode_object import AnswerModeObject
from .block_object import BlockObject
from .cell_object import CellObject
from .chat_request import ChatRequest
from .chat_response import ChatResponse
from .citation_object import CitationObject
from .error_body import ErrorBody
from .event_list import EventList
from .event_object import EventObject
from .fallback_reason_object import FallbackReasonObject
from .format_ import Format
from .health import Health
from .history_message import HistoryMessage
from .history_response import HistoryResponse
from .job_list_object import JobListObject
from .job_object import JobObject
from .job_summary_object import JobSummaryObject
from .language_list import LanguageList
from .language_object import LanguageObject
from .layout_block_object import LayoutBlockObject
from .line_object import LineObject
from .message_metadata import MessageMetadata
from .message_object import MessageObject
from .message_role import MessageRole
from .page_layout_object import PageLayoutObject
from .page_object import PageObject
from .page_prices import PagePrices
from .quota_body import QuotaBody
from .status import Status
from .stream_job_events_response_200 import StreamJobEventsResponse200
from .submit_job_body import SubmitJobBody
from .submit_job_body_engine import SubmitJobBodyEngine
from .submit_job_body_tier import SubmitJobBodyTier
from .submit_job_body_tool import SubmitJobBodyTool
from .table_object import TableObject
from .tool_list import ToolList
from .tool_object import ToolObject
from .usage_object import UsageObject
from .word_object import WordObject

__all__ = (
    "AccountObject",
    "AnswerModeObject",
    "BlockObject",
    "CellObject",
    "ChatRequest",
    "ChatResponse",
    "CitationObject",
    "ErrorBody",
    "EventList",
    "EventObject",
    "FallbackReasonObject",
    "Format",
    "Health",
    "HistoryMessage",
    "HistoryResponse",
    "JobListObject",
    "JobObject",
    "JobSummaryObject",
    "LanguageList",
    "LanguageObject",
    "LayoutBlockObject",
    "LineObject",
    "MessageMetadata",
    "MessageObject",
    "MessageRole",
    "PageLayoutObject",
    "PageObject",
    "PagePrices",
    "QuotaBody",
    "Status",
    "StreamJobEventsResponse200",
    "SubmitJobBody",
    "SubmitJobBodyEngine",
    "SubmitJobBodyTier",
    "SubmitJobBodyTool",
    "TableObject",
    "ToolList",
    "ToolObject",
    "UsageObject",
    "WordObject",
)
