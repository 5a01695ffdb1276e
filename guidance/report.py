"""Who has and has not acknowledged the current guidance, per province and operator.

The provinces are the viewer's (`Province.objects.restrict`): national readers see every
province, a province admin its own. In each, the accounts holding a role of GUIDANCE_ACK_ROLES
there by a grant in force (on the province, or on one of its facilities for facility managers),
directly or through a group. A fixed number of queries whatever the number of provinces and
accounts.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model

from facilities import access
from facilities.grants import FacilityGroupObjectPermission, FacilityUserObjectPermission
from facilities.models import Province
from facilities.perms import Role
from facilities.roles import PROVINCE_ROLES, province_role_holders, role_label
from guidance.documents import current_versions
from guidance.models import Acknowledgement


def report_provinces(user):
    """The provinces whose report `user` may read: every one for national readers, those it
    administers for a province admin; none for anyone else."""
    if access.is_national_viewer(user):
        return Province.objects.restrict(user, access.VIEW)
    return Province.objects.restrict(user, access.MANAGE)


@dataclass
class Person:
    user: object
    roles: set = field(default_factory=set)
    missing: list = field(default_factory=list)

    @property
    def acknowledged(self):
        return not self.missing

    @property
    def role_labels(self):
        return sorted(str(role_label(code)) for code in self.roles)


@dataclass
class ProvinceRow:
    province: object
    people: list

    @property
    def done(self):
        return sum(1 for person in self.people if person.acknowledged)

    @property
    def pending(self):
        return len(self.people) - self.done


def _facility_managers(province_ids):
    """{province id: set of user ids} of the facility managers of the provinces' facilities."""
    live = access.in_force()
    holders = defaultdict(set)
    direct = FacilityUserObjectPermission.objects.filter(
        live,
        permission__codename=Role.FACILITY_MANAGER,
        content_object__province_id__in=province_ids,
        user__is_active=True,
    ).values_list("content_object__province_id", "user_id")
    via_group = FacilityGroupObjectPermission.objects.filter(
        live,
        permission__codename=Role.FACILITY_MANAGER,
        content_object__province_id__in=province_ids,
        group__user__is_active=True,
    ).values_list("content_object__province_id", "group__user")
    for province_id, user_id in [*direct, *via_group]:
        holders[province_id].add(user_id)
    return holders


def build(user, provinces=None):
    """(current versions, [ProvinceRow] in the order of the operator then the province code)."""
    documents = list(current_versions())
    provinces = list(
        (provinces if provinces is not None else report_provinces(user)).order_by(
            "operator", "code"
        )
    )
    province_ids = [province.pk for province in provinces]
    roles = set(settings.GUIDANCE_ACK_ROLES)
    # {province id: {user id: set of role codenames}}
    held = defaultdict(lambda: defaultdict(set))
    users = {}
    for role in sorted(roles & set(PROVINCE_ROLES)):
        for province_id, holders in province_role_holders(role, province_ids).items():
            for holder in holders:
                users[holder.pk] = holder
                held[province_id][holder.pk].add(role)
    if Role.FACILITY_MANAGER in roles:
        managers = _facility_managers(province_ids)
        wanted = {uid for ids in managers.values() for uid in ids} - set(users)
        if wanted:
            users.update(get_user_model()._default_manager.in_bulk(wanted))
        for province_id, ids in managers.items():
            for uid in ids:
                held[province_id][uid].add(Role.FACILITY_MANAGER)
    done = defaultdict(set)
    if documents and users:
        for uid, document_id in Acknowledgement.objects.filter(
            user_id__in=list(users), document__in=documents
        ).values_list("user_id", "document_id"):
            done[uid].add(document_id)
    rows = []
    for province in provinces:
        people = [
            Person(
                users[uid],
                codes,
                [doc for doc in documents if doc.pk not in done[uid]],
            )
            for uid, codes in held.get(province.pk, {}).items()
        ]
        people.sort(key=lambda person: (person.acknowledged, person.user.username))
        rows.append(ProvinceRow(province, people))
    return documents, rows


def not_acknowledged(rows):
    """The distinct accounts of `rows` that have not acknowledged every current version."""
    seen = {}
    for row in rows:
        for person in row.people:
            if not person.acknowledged:
                seen.setdefault(person.user.pk, person)
    return list(seen.values())
