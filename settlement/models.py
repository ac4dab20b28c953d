from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.Model):
    """A designated medical institution or pharmacy (定点医药机构), as spec/review-rules.md loads them.

    This milestone only needs providers as the unit of object-level access (a provider's users
    see its own data; an auditor sees assigned providers: core.providers). Agreements, claims and
    the rest of settlement come with its own issue.
    """

    class Area(models.TextChoices):
        LOCAL = "LOCAL", _("Local")
        OUT = "OUT", _("Out of area")

    code = models.CharField(_("provider code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.PositiveSmallIntegerField(_("level"), choices=[(1, "1"), (2, "2"), (3, "3")])
    area = models.CharField(_("area"), max_length=5, choices=Area.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["code"]
        permissions = [("access_provider", _("Can see and act on this provider's data"))]

    def __str__(self):
        return f"{self.code} {self.name}"
