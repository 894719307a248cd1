"""The contracts' change stamp: a number PostgreSQL moves on every write to what entitlements are made of.

`contracts.entitlements` keeps each organization's entitlements of a support day in a process cache under this
stamp, so a page reads one row instead of six queries. The stamp is moved by triggers in the writing transaction
itself, whoever writes (services, the admin, a shell, a bulk `update()`), and takes its values from a sequence:
a rolled-back write never gives its number back, so no cached answer can be taken for a later, different state.
One row is updated by every writer, which makes concurrent contract writes commit one after the other: a reader
that sees a stamp sees every write before it. SQLite (the demo) keeps no stamp: entitlements are read each time.
"""

from django.db import migrations

TABLES = (
    "contracts_contract",
    "contracts_addon",
    "contracts_engagement",
    "contracts_contract_connectors",
    "contracts_slackchannel",
    "contracts_responsetarget",
)

CREATE = [
    "CREATE SEQUENCE contracts_entitlements_stamp_seq",
    """CREATE TABLE contracts_entitlements_stamp (
        id smallint PRIMARY KEY CHECK (id = 1),
        n bigint NOT NULL
    )""",
    "INSERT INTO contracts_entitlements_stamp (id, n) VALUES (1, nextval('contracts_entitlements_stamp_seq'))",
    """CREATE FUNCTION contracts_entitlements_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO contracts_entitlements_stamp (id, n) VALUES (1, nextval('contracts_entitlements_stamp_seq'))
        ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n;
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
    "DROP SEQUENCE IF EXISTS contracts_entitlements_stamp_seq",
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
