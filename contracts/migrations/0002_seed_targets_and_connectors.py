from django.db import migrations

H = 60
DAY = 24 * H
# SPEC's response targets: (source, priority) -> (minutes, calendar)
TARGETS = {
    ("standard", "urgent"): (6 * H, "business"),
    ("standard", "high"): (10 * H, "business"),
    ("standard", "normal"): (16 * H, "business"),
    ("standard", "low"): (24 * H, "business"),
    ("enterprise", "urgent"): (4 * H, "business"),
    ("enterprise", "high"): (8 * H, "business"),
    ("enterprise", "normal"): (12 * H, "business"),
    ("enterprise", "low"): (24 * H, "business"),
    ("premium", "urgent"): (30, "24/7"),
    ("premium", "high"): (12 * H, "24/7"),
    ("premium", "normal"): (3 * DAY, "24/7"),
    ("premium", "low"): (3 * DAY, "24/7"),
}
CONNECTORS = ["Amazon", "BigCommerce", "Magento", "NetSuite", "ShipBob", "Shopify", "WooCommerce"]


def seed(apps, schema_editor):
    ResponseTarget = apps.get_model("contracts", "ResponseTarget")
    Connector = apps.get_model("contracts", "Connector")
    for (source, priority), (minutes, calendar) in TARGETS.items():
        ResponseTarget.objects.update_or_create(
            source=source, priority=priority, defaults={"target_minutes": minutes, "calendar": calendar}
        )
    for name in CONNECTORS:
        Connector.objects.get_or_create(slug=name.lower(), defaults={"name": name})


def unseed(apps, schema_editor):
    apps.get_model("contracts", "ResponseTarget").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
