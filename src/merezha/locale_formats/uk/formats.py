"""How pages and printed documents show dates and numbers in Ukrainian: the one place they are set.

Django reads this module before its own `django.conf.locale.uk.formats` (settings.FORMAT_MODULE_PATH),
so `{{ day }}`, `{{ day|date }}` and the `date_ua` filter show `07.12.2026`, not `7 грудня 2026 р.`
or `2026-12-07`. Files, the API and the command line never go through it: they keep ISO dates.
"""

DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
YEAR_MONTH_FORMAT = "m.Y"
#: amounts and counts: `1 234,56` with a narrow no-break space, as `Money.display`
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
