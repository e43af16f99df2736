"""Who a request acts for, once its credentials have been checked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the user every command of the request acts as.

    A user's signed token proves one today; a service API key will prove one too (the
    user it acts for), so everything past authentication depends only on this.
    """

    user_id: uuid.UUID
