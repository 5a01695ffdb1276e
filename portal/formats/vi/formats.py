"""Vietnamese formats: dates as dd/mm/yyyy, time first as Vietnamese writes it (17:00 15/07/2021).

Django's own Vietnamese formats write dates in words ("Ngày 15 tháng 7 năm 2021") and read typed
dates with the global default list, which takes 05/07/2021 as May 7 (month first): here a typed
date is day first. ISO dates stay accepted: the browser's date inputs send 2021-07-15.
What is not set here (the time, month names) comes from Django's Vietnamese formats.
"""

DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "H:i d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
FIRST_DAY_OF_WEEK = 1  # Monday

# The first is how date fields show a date to edit (the admin's calendar writes it too).
DATE_INPUT_FORMATS = [
    "%d/%m/%Y",  # 15/07/2021
    "%d/%m/%y",  # 15/07/21
    "%Y-%m-%d",  # 2021-07-15
]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",  # 15/07/2021 17:00:59
    "%d/%m/%Y %H:%M",  # 15/07/2021 17:00
    "%d/%m/%Y",  # 15/07/2021
    "%Y-%m-%d %H:%M:%S",  # 2021-07-15 17:00:59
    "%Y-%m-%d %H:%M",  # 2021-07-15 17:00
    "%Y-%m-%d",  # 2021-07-15
]
# Django's Vietnamese formats have the separators but no grouping, which would turn them off.
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
