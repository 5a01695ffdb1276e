"""The permission codenames behind the roles, defined once.

Province.Meta declares the custom ones; the scope (facilities/access.py), the grants
(facilities/roles.py), the audit readers and the camera notices all name them from here. No
imports, so a model's Meta can use them.
"""

# Global, never granted on an object: national officials read everything (normally through the
# "National officials" group).
VIEW_ALL = "view_all"


class Role:
    """The codename of the object grant that makes each role."""

    # On a province.
    PROVINCE_ADMIN = "manage_province"
    OPERATOR = "connect_province"
    # Django's own view permission of Province, granted on one province.
    PROVINCE_VIEWER = "view_province"
    # On a facility: Django's own view permission of Facility.
    FACILITY_MANAGER = "view_facility"
