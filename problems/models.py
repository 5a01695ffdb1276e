"""Problem reports ("phản ánh vướng mắc"): a province, facility or operator tells the
Telecommunications Department of a difficulty, and the Department answers in a thread.

A report is about a province, and optionally one of its facilities and one of that facility's
cameras; its scope is its province's and facility's (facilities/access.py), so a facility
manager sees the reports of its facilities and a province role those of its provinces.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from facilities import access
from problems.choices import ProblemCategory, ProblemStatus

# The permission of the Department's officials: answer, assign, set status and due date.
ANSWER_PROBLEMS = "answer_problems"


def may_answer(user):
    """National administrators, and national officials holding answer_problems (their group's).

    Only national accounts answer for the Department: a province account given the permission by
    mistake answers nothing. Asked only of national viewers, whose grants are already read
    (facilities/access.py `granted_codenames`), in one query cached on the user object: province
    accounts' pages pay no query for it.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    if not access.is_national_viewer(user):
        return False
    cached = getattr(user, "_problems_may_answer", None)
    if cached is None:
        from django.contrib.auth.models import Permission

        cached = (
            Permission.objects.filter(
                models.Q(user=user) | models.Q(group__user=user),
                codename=ANSWER_PROBLEMS,
                content_type__app_label="problems",
            )
            .order_by()
            .exists()
        )
        user._problems_may_answer = cached
    return cached


class ProblemReportQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW):
        """Reports `user` may do `action` on: by its province's grants or its facility's."""
        return access.restrict(
            self, user, action, province_field="province_id", facility_field="facility_id"
        )


class ProblemReport(models.Model):
    """A difficulty reported to the Telecommunications Department, with its handling."""

    province = models.ForeignKey(
        "facilities.Province",
        on_delete=models.PROTECT,
        related_name="problem_reports",
        verbose_name=_("province"),
    )
    facility = models.ForeignKey(
        "facilities.Facility",
        on_delete=models.PROTECT,
        related_name="problem_reports",
        null=True,
        blank=True,
        verbose_name=_("facility"),
    )
    camera = models.ForeignKey(
        "cameras.Camera",
        on_delete=models.SET_NULL,
        related_name="problem_reports",
        null=True,
        blank=True,
        verbose_name=_("camera"),
    )
    category = models.CharField(
        _("category"),
        max_length=32,
        choices=ProblemCategory.choices,
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"),
        help_text=_("Never paste a password or other credentials here."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProblemStatus.choices,
        default=ProblemStatus.OPEN,
        db_index=True,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="problem_reports",
        verbose_name=_("author"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="assigned_problem_reports",
        null=True,
        blank=True,
        verbose_name=_("assignee"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProblemReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        ordering = ["-created_at", "-pk"]
        permissions = [(ANSWER_PROBLEMS, _("Can answer, assign and close problem reports"))]
        indexes = [
            models.Index(fields=["province", "status"], name="problems_report_prov_status"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    def clean(self):
        super().clean()
        if self.facility_id and self.province_id and self.facility.province_id != self.province_id:
            raise ValidationError({"facility": _("Choose a facility of the report's province.")})
        if self.camera_id and self.facility_id and self.camera.facility_id != self.facility_id:
            raise ValidationError({"camera": _("Choose a camera of the report's facility.")})


class ProblemReply(models.Model):
    """One message in a report's thread: an answer of the Department or the reporter's reply."""

    report = models.ForeignKey(
        ProblemReport,
        on_delete=models.CASCADE,
        related_name="replies",
        verbose_name=_("problem report"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="problem_replies",
        verbose_name=_("author"),
    )
    body = models.TextField(
        _("message"),
        help_text=_("Never paste a password or other credentials here."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "pk"]

    def __str__(self):
        # Kept in the audit record as written: in the portal's language, whatever the writer's.
        with translation.override(settings.LANGUAGE_CODE):
            return str(_("Reply to #%(report)s") % {"report": self.report_id})


class ProblemAttachment(models.Model):
    """A file sent with a report or a reply: sealed under PROBLEM_FILES_DIR
    (problems/attachments.py), served only through the scoped view."""

    report = models.ForeignKey(
        ProblemReport,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("problem report"),
    )
    reply = models.ForeignKey(
        ProblemReply,
        on_delete=models.CASCADE,
        related_name="attachments",
        null=True,
        blank=True,
        verbose_name=_("reply"),
    )
    name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("file type"), max_length=8)
    size = models.PositiveIntegerField(_("size (bytes)"))
    file_name = models.CharField(max_length=64, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="problem_attachments",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name
