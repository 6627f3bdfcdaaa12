"""Every ORM model, imported in one place so Alembic and `Base.metadata` see the whole schema."""

from .accounts.models import Account, SecurityEvent
from .kit.db import Base
from .systems.models import System
from .tokens.models import Credential

__all__ = ["Account", "Base", "Credential", "SecurityEvent", "System"]
