"""The delegation page: national admins create accounts for every role and grant every role;
province admins create and grant facility managers. Thin views over facilities/roles.py, which
enforces every rule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from facilities import access, roles
from facilities.forms import (
    FacilityGrantForm,
    FacilityManagerAccountForm,
    RoleAccountForm,
    RoleForm,
)
from facilities.perms import Role
from portal import people
from portal.collation import collation_key

# What only national administrators do; anyone else gets a 403 page that says so.
NATIONAL_ACTIONS = {"create_account", "grant_province", "revoke_province", "revoke_official"}


@login_required
def delegation(request):
    user = request.user
    grantable = roles.grantable_roles(user)
    if not grantable:
        raise PermissionDenied
    national = access.is_national_admin(user)
    action = request.POST.get("action") if request.method == "POST" else None
    if action in NATIONAL_ACTIONS and not national:
        raise PermissionDenied(roles.NATIONAL_ONLY)
    forms = {
        "grant": FacilityGrantForm(granter=user, prefix="grant"),
        "create": FacilityManagerAccountForm(granter=user, prefix="create"),
        "account": RoleAccountForm(granter=user, prefix="account") if national else None,
        "province": RoleForm(granter=user, prefix="province") if national else None,
    }
    if action is not None:
        try:
            done = _handle(request, action, forms)
        except PermissionDenied as denied:
            messages.error(request, str(denied) or _("You are not allowed to do this."))
            done = False
        except roles.GrantGone as gone:
            # A stale page: say so and show the list as it is now.
            messages.warning(request, str(gone))
            done = True
        if done:
            return redirect("delegation")
    return render(
        request,
        "portal/delegation.html",
        {
            "forms": forms,
            "national": national,
            "grantable_roles": grantable,
            "facility_grants": _facility_grants(user),
            "province_grants": _province_grants(user),
            "national_officials": sorted(
                roles.national_officials_visible_to(user), key=people.sort_key
            ),
        },
    )


def _facility_grants(user):
    """By province, facility (in Vietnamese order), then person (Tên, Họ)."""
    grants = roles.facility_grants_visible_to(user)
    return sorted(
        grants,
        key=lambda grant: (
            grant.content_object.province.code,
            collation_key(grant.content_object.name),
            people.sort_key(grant.user),
        ),
    )


def _province_grants(user):
    """(grant, translated role name) by province, then person (Tên, Họ)."""
    grants = sorted(
        roles.province_grants_visible_to(user),
        key=lambda grant: (grant.content_object.code, people.sort_key(grant.user)),
    )
    return [(grant, roles.role_label(grant.permission.codename)) for grant in grants]


def _handle(request, action, forms):
    user = request.user
    if action == "grant":
        form = forms["grant"] = FacilityGrantForm(request.POST, granter=user, prefix="grant")
        if form.is_valid():
            data = form.cleaned_data
            roles.grant_facility_manager(
                user, data["user"], data["facility"], data["expires_on"], request=request
            )
            messages.success(request, _("Access granted."))
            return True
    elif action == "create":
        form = forms["create"] = FacilityManagerAccountForm(
            request.POST, granter=user, prefix="create"
        )
        if form.is_valid():
            roles.create_account(
                user,
                Role.FACILITY_MANAGER,
                **form.account_data(),
                place=form.cleaned_data["facility"],
                expires_on=form.cleaned_data["expires_on"],
                request=request,
            )
            messages.success(request, _("Account created and access granted."))
            return True
    elif action == "create_account":
        form = forms["account"] = RoleAccountForm(request.POST, granter=user, prefix="account")
        if form.is_valid():
            roles.create_account(
                user,
                form.cleaned_data["role"],
                **form.account_data(),
                place=form.place(),
                expires_on=form.cleaned_data["expires_on"],
                request=request,
            )
            messages.success(request, _("Account created and role granted."))
            return True
    elif action == "revoke":
        roles.revoke_facility_grant(user, _int(request.POST.get("grant")), request=request)
        messages.success(request, _("Access revoked."))
        return True
    elif action == "grant_province":
        form = forms["province"] = RoleForm(request.POST, granter=user, prefix="province")
        if form.is_valid():
            data = form.cleaned_data
            roles.grant_role(
                user, data["user"], data["role"], form.place(), data["expires_on"],
                request=request,
            )
            messages.success(request, _("Role granted."))
            return True
    elif action == "revoke_province":
        roles.revoke_province_grant(user, _int(request.POST.get("grant")), request=request)
        messages.success(request, _("Role revoked."))
        return True
    elif action == "revoke_official":
        roles.revoke_national_official(user, _int(request.POST.get("account")), request=request)
        messages.success(request, _("Role revoked."))
        return True
    else:
        raise PermissionDenied
    return False


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PermissionDenied from None
