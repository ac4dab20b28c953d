"""Messages of Django's admin, django-axes and django-celery-beat that their own Simplified Chinese
catalogues lack (django-axes has none). Named here so that `make messages` extracts them into ours:
the project's catalogue (LOCALE_PATHS) comes first when Django looks a message up, so the admin's
labels read in Chinese. Nothing imports this module; its strings are never shown from here.

Checked by rendering the admin in zh-hans (tests/core/test_admin_language.py).
"""

from django.utils.translation import gettext_noop

MESSAGES = (
    # django.contrib.admin's app list (column headings read by screen readers)
    gettext_noop("Model name"), gettext_noop("Add link"), gettext_noop("Change or view list link"),
    # django-axes: its models, fields and admin
    gettext_noop("access attempt"), gettext_noop("access attempts"), gettext_noop("access failure"),
    gettext_noop("access failures"), gettext_noop("access log"), gettext_noop("access logs"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("Username"), gettext_noop("HTTP Accept"),
    gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("Access lock out"), gettext_noop("GET Data"),
    gettext_noop("POST Data"), gettext_noop("Failed Logins"), gettext_noop("Access Attempt"),
    gettext_noop("Expires At"), gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"), gettext_noop("Session key hash (sha256)"), gettext_noop("Locked Out"),
    gettext_noop("Form Data"), gettext_noop("Meta Data"), gettext_noop("Not set"), gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    # django-celery-beat: its admin's sections and help
    gettext_noop("Schedule"), gettext_noop("Arguments"), gettext_noop("Execution Options"),
    gettext_noop("Periodic Tasks Using This Schedule"),
    gettext_noop('Cron Months (1-12) Of The Year to Run. Use "*" for "all". (Example: "1,12")'),
    gettext_noop('Cron Days Of The Week to Run. Use "*" for "all", Sunday is 0 or 7, Monday is 1. (Example: "0,5")'),
)
