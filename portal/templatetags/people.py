from django import template

from portal import people

register = template.Library()


@register.filter
def full_name(user):
    """`{{ user|full_name }}`: "Họ Tên" (portal/people.py)."""
    return people.full_name(user)
