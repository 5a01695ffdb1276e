"""The pages of two-factor sign-in: the code page, enrolment, and the account's own page.

Thin views over portal/twofactor.py; the gate that sends accounts here is
portal/twofactor_gate.py. Pages showing a secret (the seed being set up, recovery codes) are
never cached.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from facilities.roles import second_factor_required
from portal import twofactor
from portal.axes_hooks import lockout_response
from portal.models import RecoveryCodeSet


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "none",
                "spellcheck": "false",
                "size": 24,
            }
        ),
    )


def _next_url(request):
    """The page asked for before the code (only one of ours), else the landing page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _locked_out(request):
    """The lock-out page; the half-signed session ends, so the next try starts at the password
    (which django-axes refuses as well until the cool-off is over)."""
    logout(request)
    return lockout_response(request)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """The code page: the second step of signing in, after the password."""
    if twofactor.is_verified(request.session):
        return redirect(_next_url(request))
    user = request.user
    if not twofactor.has_second_factor(user):
        return redirect(f"{reverse('otp_setup')}?{request.GET.urlencode()}")
    if twofactor.locked_out(request, user):
        return _locked_out(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.check_code(request, form.cleaned_data["code"])
        if device is not None:
            if isinstance(device, RecoveryCodeSet):
                _warn_codes_left(request, device.codes_left())
            return redirect(_next_url(request))
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request)
        form.add_error(
            "code",
            gettext(
                "This code is not right. Type the code your app shows now, or one of your "
                "recovery codes."
            ),
        )
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


def _warn_codes_left(request, left):
    messages.warning(
        request,
        gettext(
            "You signed in with a recovery code, which now no longer works. Recovery codes "
            "left: %(left)d. Make new ones on your two-factor sign-in page if you run short."
        )
        % {"left": left},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Enrolment: scan the QR code (or type the key), confirm with a first code, and receive the
    recovery codes, shown once."""
    user = request.user
    if twofactor.has_second_factor(user):
        # A second app only after a national administrator's reset: a half-signed session must
        # not replace the app that protects the account.
        page = "otp_account" if twofactor.is_verified(request.session) else "otp_verify"
        return redirect(page)
    seed = twofactor.setup_seed(request)
    form = CodeForm(request.POST or None)
    if not form.is_bound:
        # The instructions come first: focusing the field would scroll them away.
        form.fields["code"].widget.attrs.pop("autofocus")
    if request.method == "POST" and form.is_valid():
        codes = twofactor.enrol(request, seed, form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "registration/otp_recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "first_time": True},
            )
        form.add_error(
            "code",
            gettext(
                "This code does not match the key. Check that the app shows the portal's new "
                "entry and type the code it shows now."
            ),
        )
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "qr": twofactor.qr_svg(twofactor.provisioning_uri(user, seed)),
            "secret": twofactor.grouped(twofactor.seed_base32(seed)),
            "required": second_factor_required(user),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


@never_cache
@login_required
def account(request):
    """The account's own two-factor page: whether it is set up, recovery codes left."""
    device = twofactor.app_of(request.user)
    return render(
        request,
        "registration/otp_account.html",
        {
            "device": device,
            "codes_left": twofactor.recovery_codes_left(request.user) if device else 0,
            "required": second_factor_required(request.user),
        },
    )


@never_cache
@login_required
@require_POST
def renew_recovery_codes(request):
    """New recovery codes (the old ones stop working), for a session that passed the code."""
    if not (
        twofactor.is_verified(request.session) and twofactor.has_second_factor(request.user)
    ):
        return redirect("otp_account")
    codes = twofactor.renew_recovery_codes(request)
    return render(
        request,
        "registration/otp_recovery_codes.html",
        {"codes": codes, "next": reverse("otp_account"), "first_time": False},
    )
