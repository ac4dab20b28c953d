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
