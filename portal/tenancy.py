"""Tenant scope: one QuerySet mixin gives every model a customer can reach `visible_to(user)`.

A model names the path from its rows to their organization in `tenant_path` ("organization",
"ticket__organization", "pk" for the organization itself; None for rows every customer shares, such as
published articles). Staff see every row; a customer only their organization's; anyone else none.
Models with more to say (a note only staff read, a ledger only admins read) refine the hooks below.
"""

from django.db import models

from portal import roles


class VisibleToQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rows `user` may read: the one gate every customer-reachable read goes through."""
        if user is None or not user.is_authenticated:
            return self.for_anonymous()
        if roles.is_support_staff(user):
            return self.for_staff(user)
        organization_id = roles.organization_id(user)
        if organization_id is None:
            return self.for_unaffiliated(user)
        rows = self.for_customer(user)
        path = self.model.tenant_path
        return rows.filter(**{path: organization_id}) if path else rows

    # Hooks: what each kind of reader sees before the organization filter applies.

    def for_anonymous(self):
        return self.none()

    def for_unaffiliated(self, user):
        """A signed-in person who is neither staff nor in an organization (a removed member, say)."""
        return self.none()

    def for_staff(self, user):
        return self.all()

    def for_customer(self, user):
        return self.all()

    def for_customer_admins(self, user):
        """For rows only an organization's administrators read."""
        return self.all() if roles.is_organization_admin(user) else self.none()
