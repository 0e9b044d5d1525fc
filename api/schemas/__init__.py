"""HTTP schemas: what hotel systems and agents send and get back. Separate from the ORM.

One module per resource (beside `api.routes`'s); every schema is importable from here.
"""

from api.schemas.admin import AuditEventRead, AuditPage, ErasureCreate, ErasureRead
from api.schemas.common import Input, ProblemRead, UtcDatetime
from api.schemas.ops import Health, Readiness
from api.schemas.queue import ClaimRequest, QueuePage, VerdictCreate
from api.schemas.reviews import (
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    MAX_METADATA_KEYS,
    MAX_TEXT,
    BatchCreate,
    BatchItemResult,
    BatchResult,
    GuestContext,
    Probabilities,
    QueueState,
    Rating,
    ReasonRead,
    ReviewCreate,
    ReviewPage,
    ReviewRead,
    Segment,
    SentenceRead,
    SentimentRead,
    SpanRead,
    TouchpointRead,
    to_new_review,
)
from api.schemas.thresholds import (
    PropertyId,
    ThresholdKey,
    ThresholdLanguage,
    ThresholdList,
    ThresholdPinCreate,
    ThresholdRead,
)

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_METADATA_DEPTH",
    "MAX_METADATA_KEYS",
    "MAX_TEXT",
    "AuditEventRead",
    "AuditPage",
    "BatchCreate",
    "BatchItemResult",
    "BatchResult",
    "ClaimRequest",
    "ErasureCreate",
    "ErasureRead",
    "GuestContext",
    "Health",
    "Input",
    "Probabilities",
    "ProblemRead",
    "PropertyId",
    "QueuePage",
    "QueueState",
    "Rating",
    "Readiness",
    "ReasonRead",
    "ReviewCreate",
    "ReviewPage",
    "ReviewRead",
    "Segment",
    "SentenceRead",
    "SentimentRead",
    "SpanRead",
    "ThresholdKey",
    "ThresholdLanguage",
    "ThresholdList",
    "ThresholdPinCreate",
    "ThresholdRead",
    "TouchpointRead",
    "UtcDatetime",
    "VerdictCreate",
    "to_new_review",
]
