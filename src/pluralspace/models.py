"""Every ORM model, imported in one place so Alembic and `Base.metadata` see the whole schema."""

from .accounts.models import Account, SecurityEvent
from .fields.models import Field, FieldValue
from .groups.models import Group, GroupMember
from .kit.db import Base
from .members.models import Member
from .relationships.models import Relationship, RelationshipType
from .systems.models import System
from .tokens.models import Credential

__all__ = ["Account", "Base", "Credential", "Field", "FieldValue", "Group", "GroupMember", "Member",
           "Relationship", "RelationshipType", "SecurityEvent", "System"]
