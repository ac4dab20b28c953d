from pathlib import Path

from django.conf import settings
from django.core.checks import Warning, register


@register()
def letter_font_check(app_configs, **kwargs):
    if Path(settings.LETTER_FONT_PATH).exists():
        return []
    return [
        Warning(
            f"The letter font {settings.LETTER_FONT_PATH} is missing: Chinese in PDF letters will not be embedded "
            "and may show as boxes.",
            hint="Install Debian's fonts-wqy-zenhei (apt-get install fonts-wqy-zenhei) or set LETTER_FONT_PATH "
            "to a TrueType font with CJK glyphs.",
            id="core.W001",
        )
    ]


@register(deploy=True)
def audit_key_check(app_configs, **kwargs):
    if settings.AUDIT_KEY or settings.AUDIT_KEY_FILE:
        return []
    return [
        Warning(
            "Neither AUDIT_KEY nor AUDIT_KEY_FILE is set: the audit trail's key is generated into "
            "DATA_DIR/audit_key, which a re-created container loses, and then no audit entry verifies.",
            hint="Set AUDIT_KEY_FILE to a secret file (docker-compose.yml does) and keep a copy of it apart "
            "from the database's backups.",
            id="core.W002",
        )
    ]
