"""A choice of several rows refuses a number no key can be before it asks the database: SQLite cannot even bind
an integer past 64 bits (it raised OverflowError, a 500, on the demo's forms for the people copied)."""

import pytest
from django.core.exceptions import ValidationError

from portal.forms import RowsChoiceField
from portal.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value", ["99999999999999999999", str(2**63), f"-{2**63 + 1}", " +9_223_372_036_854_775_808 ", 2**64]
)
def test_a_number_past_any_key_is_refused_without_a_query(value, django_assert_num_queries):
    field = RowsChoiceField(queryset=User.objects.all())
    with django_assert_num_queries(0), pytest.raises(ValidationError) as refused:
        field.clean(["1", value])
    assert refused.value.code == "invalid_choice"


def test_keys_in_range_are_still_chosen_and_unknown_ones_refused(make_user):
    people = [make_user(f"r{i}@rows.test") for i in range(2)]
    field = RowsChoiceField(queryset=User.objects.all())
    assert sorted(field.clean([str(p.pk) for p in people]).values_list("pk", flat=True)) == [p.pk for p in people]
    with pytest.raises(ValidationError) as refused:
        field.clean([str(2**63 - 1)])  # the largest key there can be: asked, and not found
    assert refused.value.code == "invalid_choice"
    with pytest.raises(ValidationError) as refused:
        field.clean(["ten"])
    assert refused.value.code == "invalid_pk_value"
    # Rows given as instances (a disabled field's initial value, say) are read by their keys.
    assert list(field.clean(people[:1])) == people[:1]
