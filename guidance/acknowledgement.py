"""Who must acknowledge the guidance, what is still to acknowledge, and the acknowledging.

The roles come from GUIDANCE_ACK_ROLES (permission codenames of facilities/perms.py `Role`:
province admins, operator engineers and facility managers by default). An account that holds
one of them through a grant in force must acknowledge each current version (documents.py)
it has not acknowledged yet. Each acknowledgement is stored once and is an account event.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from facilities import access
from guidance.documents import current_versions
from guidance.models import Acknowledgement
from portal.account_events import record_event
from portal.models import AccountEventKind


def must_acknowledge(user):
    """Whether `user`'s roles oblige it to acknowledge the guidance (one cached query)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(set(settings.GUIDANCE_ACK_ROLES) & access.granted_codenames(user))


def pending_documents(user):
    """The current versions `user` has not acknowledged yet (one query)."""
    return list(current_versions().exclude(acknowledgements__user=user))


def acknowledge(user, documents, request=None):
    """Record that `user` acknowledges `documents`; those already acknowledged are left as they
    are (a second click records nothing). Returns the new Acknowledgements."""
    now = timezone.now()
    with transaction.atomic():
        done = set(
            Acknowledgement.objects.filter(user=user, document__in=documents).values_list(
                "document_id", flat=True
            )
        )
        created = []
        for document in documents:
            if document.pk in done:
                continue
            # One by one, not in bulk: each is an audit entry of its own.
            created.append(
                Acknowledgement.objects.create(user=user, document=document, acknowledged_at=now)
            )
            record_event(
                AccountEventKind.ACKNOWLEDGED,
                request,
                actor=user,
                target=document,
                detail={"kind": document.kind, "number": document.number},
            )
    return created
