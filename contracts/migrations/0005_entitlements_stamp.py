"""The contracts' change stamp: a value PostgreSQL replaces on every write to what entitlements are made of.

`contracts.entitlements` keeps each organization's entitlements of a support day in a process cache under this
stamp, so a page reads one row instead of six queries. The stamp is replaced by triggers in the writing transaction
itself, whoever writes (services, the admin, a shell, a bulk `update()`), with a random UUID: no value is ever
given again, not after a rolled-back write, a migration undone and done again, nor a restored backup (whose stamp
is the one its data had). One row is updated by every writer, which makes concurrent contract writes commit one
after the other. SQLite (the demo) keeps no stamp: entitlements are read each time.
"""

from django.db import migrations

TABLES = (
    "contracts_contract",
    "contracts_addon",
    "contracts_engagement",
    "contracts_contract_connectors",
    "contracts_connector",
    "contracts_slackchannel",
    "contracts_responsetarget",
)

CREATE = [
    """CREATE TABLE contracts_entitlements_stamp (
        id smallint PRIMARY KEY CHECK (id = 1),
        stamp uuid NOT NULL
    )""",
    "INSERT INTO contracts_entitlements_stamp (id, stamp) VALUES (1, gen_random_uuid())",
    """CREATE FUNCTION contracts_entitlements_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO contracts_entitlements_stamp (id, stamp) VALUES (1, gen_random_uuid())
        ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
        RETURN NULL;
    END
    $$""",
    *(
        f"""CREATE TRIGGER entitlements_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION contracts_entitlements_changed()"""
        for table in TABLES
    ),
]

DROP = [
    *(f"DROP TRIGGER IF EXISTS entitlements_changed ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS contracts_entitlements_changed()",
    "DROP TABLE IF EXISTS contracts_entitlements_stamp",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("contracts", "0004_change_requests_quotes_and_plans")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
