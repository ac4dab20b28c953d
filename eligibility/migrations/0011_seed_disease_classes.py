from django.db import migrations

# spec/review-rules.md, Disease classes: the defaults (category_from, category_to, class, name).
DEFAULTS = [
    ("B15", "B19", "SPECIFIED", "病毒性肝炎"),
    ("A15", "A16", "SPECIFIED", "肺结核"),
    ("F20", "F39", "SPECIFIED", "精神病"),
    ("C00", "C97", "SPECIFIED", "恶性肿瘤"),
    ("E10", "E14", "SPECIFIED", "糖尿病"),
    ("I20", "I25", "SPECIFIED", "冠心病"),
    ("I10", "I15", "CHRONIC", "高血压"),
    ("J44", "J45", "CHRONIC", "慢性阻塞性肺疾病、哮喘"),
    ("N18", "N18", "CHRONIC", "慢性肾脏病"),
    ("G40", "G40", "CHRONIC", "癫痫"),
    ("E03", "E03", "CHRONIC", "甲状腺功能减退"),
    ("M05", "M06", "CHRONIC", "类风湿关节炎"),
]


def seed(apps, schema_editor):
    """The disease classes are there after `migrate`, with no command run (an administrator edits
    them, or load_diseases replaces them). Only an empty table is seeded."""
    DiseaseClass = apps.get_model("eligibility", "DiseaseClass")
    if not DiseaseClass.objects.exists():
        DiseaseClass.objects.bulk_create([
            DiseaseClass(category_from=f, category_to=t, disease_class=c, name=n) for f, t, c, n in DEFAULTS])


def unseed(apps, schema_editor):
    apps.get_model("eligibility", "DiseaseClass").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("eligibility", "0010_catalogue")]
    operations = [migrations.RunPython(seed, unseed)]
