"""The delegation page: province admins give facility managers access; national admins give
province roles. Thin views over facilities/roles.py, which enforces every rule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from facilities import access, roles
from facilities.forms import FacilityGrantForm, FacilityManagerAccountForm, ProvinceRoleForm


def _may_delegate(user):
    return access.is_national_admin(user) or access.has_any_scope(user, access.MANAGE)


@login_required
def delegation(request):
    user = request.user
    if not _may_delegate(user):
        raise PermissionDenied
    national = access.is_national_admin(user)
    forms = {
        "grant": FacilityGrantForm(granter=user, prefix="grant"),
        "create": FacilityManagerAccountForm(granter=user, prefix="create"),
        "province": ProvinceRoleForm(granter=user, prefix="province") if national else None,
    }
    if request.method == "POST":
        action = request.POST.get("action")
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
            "facility_grants": roles.facility_grants_visible_to(user),
            "province_grants": roles.province_grants_visible_to(user),
        },
    )


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
            data = form.cleaned_data
            account = roles.create_facility_manager(
                user,
                username=data["username"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
            roles.grant_facility_manager(
                user, account, data["facility"], data["expires_on"], request=request
            )
            messages.success(request, _("Account created and access granted."))
            return True
    elif action == "revoke":
        roles.revoke_facility_grant(user, _int(request.POST.get("grant")), request=request)
        messages.success(request, _("Access revoked."))
        return True
    elif action == "grant_province" and forms["province"] is not None:
        form = forms["province"] = ProvinceRoleForm(request.POST, granter=user, prefix="province")
        if form.is_valid():
            data = form.cleaned_data
            roles.grant_province_role(
                user, data["user"], data["province"], data["role"], data["expires_on"],
                request=request,
            )
            messages.success(request, _("Role granted."))
            return True
    elif action == "revoke_province":
        roles.revoke_province_grant(user, _int(request.POST.get("grant")), request=request)
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
