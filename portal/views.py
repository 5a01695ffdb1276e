"""Landing page: sends each account where it belongs."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from facilities import access
from facilities.models import Facility


@login_required
def home(request):
    user = request.user
    if user.is_staff and access.has_any_scope(user, access.VIEW):
        return redirect("admin:index")
    if access.has_any_scope(user, access.VIEW):
        # National officials and province roles: the daily progress report is their work page.
        return redirect("reports:progress")
    if Facility.objects.restrict(user, access.VIEW).exists():
        return redirect("my_facilities")
    return render(request, "portal/home.html")
