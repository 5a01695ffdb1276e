from django import template

from portal.badges import badge

register = template.Library()


@register.simple_tag
def status_badge(value, label):
    return badge(value, label)


@register.simple_tag
def may_delegate(user):
    from facilities import access

    return access.is_national_admin(user) or access.has_any_scope(user, access.MANAGE)
