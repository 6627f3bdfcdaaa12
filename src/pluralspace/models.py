"""Every ORM model, imported in one place so Alembic and `Base.metadata` see the whole schema."""

from .accounts.models import Invite, PasswordReset
from .audit.models import AuditEvent, SecurityEvent
from .events.models import Delivery, Event, Webhook
from .fields.models import Field, FieldValue
from .fronts.models import Front
from .groups.models import Group, GroupMember
from .identity.account import Account
from .identity.credential import Credential
from .identity.system import System
from .imports.models import ImportSource, ImportUndo
from .jobs.models import Job
from .journal.models import JournalAuthor, JournalEntry, JournalTag, JournalTerm
from .kit.db import Base
from .media.models import Media
from .members.models import Member
from .oauth.models import OAuthClient, OAuthCode, OAuthGrant
from .pk.models import PkAccount, PkMessage
from .polls.models import Poll, Vote
from .relationships.models import Relationship, RelationshipType
from .thoughts.models import Thought
from .wrapped.models import WrappedSnapshot

__all__ = ["Account", "AuditEvent", "Base", "Credential", "Delivery", "Event", "Field", "FieldValue", "Front",
           "Group", "GroupMember", "ImportSource", "ImportUndo", "Invite", "Job", "JournalAuthor", "JournalEntry",
           "JournalTag", "JournalTerm", "Media", "Member", "OAuthClient", "OAuthCode", "OAuthGrant", "PasswordReset",
           "PkAccount", "PkMessage", "Poll", "Relationship", "RelationshipType", "SecurityEvent", "System", "Thought",
           "Vote", "Webhook", "WrappedSnapshot"]
