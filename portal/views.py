"""Landing page: sends each account where it belongs."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

SITE_HEADER = _("Quarantine facility camera connection portal")
SITE_TITLE = _("Camera portal")
INDEX_TITLE = _("Registry administration")


@login_required
def home(request):
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "portal/home.html")
