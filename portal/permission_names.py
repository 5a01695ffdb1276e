"""A permission's name in the reader's language.

Django writes each permission's name into the database once, in English, when migrate creates it
("Can add log entry", "Can manage the facilities and cameras of the province"), and shows that
stored text wherever it lists permissions. `permission_label` names it again at display time: the
name the model declares in Meta.permissions (translated), or Django's default sentence for add,
change, delete and view rebuilt from the model's translated verbose name. The codename stays the
key; a permission of a model that is gone keeps its stored name.
"""

from django.utils.translation import gettext_lazy as _

# Django's default permissions, as it names them ("Can %(action)s %(verbose_name)s").
DEFAULT_NAMES = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission):
    """`permission`'s name in the active language (its content type is read: select it)."""
    model = permission.content_type.model_class()
    if model is None:
        return permission.name
    declared = dict(model._meta.permissions).get(permission.codename)
    if declared is not None:
        return str(declared)
    action, _sep, model_name = permission.codename.partition("_")
    if action in DEFAULT_NAMES and model_name == model._meta.model_name:
        return DEFAULT_NAMES[action] % {"model": model._meta.verbose_name}
    return permission.name


def permission_choice(permission):
    """A permission as Django's admin lists it, "app | model | name", with the name translated."""
    return f"{permission.content_type} | {permission_label(permission)}"
