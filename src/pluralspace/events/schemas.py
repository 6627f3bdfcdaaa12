from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from ..kit.timeutil import Timestamp
from ..kit.validators import Model, OutModel, Stated, WebUrl
from .service import TYPE_NAMES, expand_types


def _event_types(value: list[str]) -> list[str]:
    return sorted(expand_types(value))


EventTypes = Annotated[list[Annotated[str, Field(max_length=40), Stated(enum=TYPE_NAMES)]],
                       Field(min_length=1, max_length=64),
                       AfterValidator(_event_types)]


class WebhookCreate(Model):
    url: WebUrl = Field(description="Where events are POSTed (https; http and private addresses only where the "
                                    "server allows them).")
    event_types: EventTypes = Field(description="Event types (`member.updated`) or areas (`member.*`).")
    active: bool = True


class WebhookPatch(Model):
    url: WebUrl | None = None
    event_types: EventTypes | None = None
    active: bool | None = Field(None, description="true also re-enables a webhook the server disabled.")


class WebhookOut(OutModel):
    id: str
    url: str
    event_types: list[str]
    active: bool
    disabled_reason: str | None = Field(description="Why the server disabled the webhook; null when it did not.")
    failing_since: Timestamp | None = Field(description="Deliveries have failed since then without a success.")
    created_at: Timestamp
    updated_at: Timestamp


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret (`whsec_...`), shown this once.")


class DeliveryOut(OutModel):
    id: str
    event_id: str
    event_type: str
    status: str = Field(description="pending, succeeded or failed.")
    attempts: int
    response_status: int | None
    error: str | None
    latency_ms: int | None = Field(description="How long the last attempt took.")
    created_at: Timestamp
    last_attempt_at: Timestamp | None
    next_attempt_at: Timestamp | None
