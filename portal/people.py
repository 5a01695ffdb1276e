"""People's names as Vietnamese write and sort them.

A Vietnamese full name is Họ, tên đệm, Tên ("Nguyễn Thị Lan"). Accounts keep Django's two fields:
`last_name` holds the Họ (family name), `first_name` the tên đệm and the Tên ("Thị Lan"). The
portal shows "Họ Tên" and sorts lists of people by Tên ("Lan"), then Họ, then tên đệm, in
Vietnamese alphabetical order (portal/collation.py), as a Vietnamese register does.
"""

from portal.collation import collation_key


def full_name(user):
    """The account's name as Vietnamese write it, family name first ("" when it has none)."""
    return " ".join(f"{user.last_name} {user.first_name}".split())


def sort_key(user):
    """Sort key for lists of people: Tên, Họ, tên đệm; accounts without a name last, by name."""
    *middle, given = user.first_name.split() or [""]
    family = " ".join(user.last_name.split())
    return (
        not (given or family),
        collation_key(given),
        collation_key(family),
        collation_key(" ".join(middle)),
        collation_key(user.get_username()),
    )
