"""The token page: an account's API tokens, a new one (shown once), revocation.

A token is created only from a session that passed the second factor (when the portal asks for
one): otherwise a stolen password would make a key that never asks for the code.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api import tokens
from api.forms import TokenForm
from api.models import ApiToken
from facilities import access


def _may_choose_owner(user):
    return access.is_national_admin(user)


@login_required
def tokens_page(request):
    user = request.user
    verified = tokens.second_factor_passed(request)
    may_choose_owner = _may_choose_owner(user)
    created = None
    if request.method == "POST":
        if not verified:
            raise PermissionDenied(
                _(
                    "Set up two-factor sign-in and sign in with its code before creating an API "
                    "token."
                )
            )
        form = TokenForm(request.POST, may_choose_owner=may_choose_owner)
        if form.is_valid():
            # The account itself, not the request's lazy wrapper of it (the event's target).
            owner = form.cleaned_data.get("owner") or get_user_model().objects.get(pk=user.pk)
            if owner != user and not (may_choose_owner and tokens.is_service_account(owner)):
                raise PermissionDenied(
                    _("Only national administrators create tokens for service accounts.")
                )
            token, key = tokens.issue(
                owner,
                name=form.cleaned_data["name"],
                access=form.cleaned_data["access"],
                days=form.cleaned_data["days"],
                allowed_networks=form.cleaned_data["allowed_networks"],
                created_by=user,
                request=request,
            )
            created = {"token": token, "key": key}
            form = TokenForm(may_choose_owner=may_choose_owner)
    else:
        form = TokenForm(may_choose_owner=may_choose_owner)
    listed = ApiToken.objects.restrict(user).select_related("owner").order_by("-created_at", "-pk")
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "verified": verified,
            "created": created,
            "tokens": listed,
            "now": timezone.now(),
            "show_owner": may_choose_owner,
        },
    )
    # The page that shows a new key is kept by no cache, and neither is the list.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.restrict(request.user).select_related("owner"),
                              pk=pk)
    tokens.revoke(token, by=request.user, request=request)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api:tokens")
