"""The plan of a Configuration Support engagement: milestones kept in the portal, or synced from Asana."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts.models.contract import Engagement
from portal.tenancy import VisibleToQuerySet


class MilestoneQuerySet(VisibleToQuerySet):
    def in_plan_order(self):
        return self.order_by("position", "due_on", "pk")


class Milestone(models.Model):
    """One step of an engagement's plan: what, by when, who, and how far it is."""

    tenant_path = "engagement__contract__organization"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="milestones"
    )
    owner_name = models.CharField(max_length=200, blank=True, help_text="The Asana assignee, for a synced milestone.")
    section = models.CharField(max_length=300, blank=True, help_text="The phase of the plan (an Asana section).")
    position = models.PositiveIntegerField(default=0)
    asana_gid = models.CharField(max_length=40, blank=True, help_text="The Asana task it is synced from.")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["position", "due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "asana_gid"], condition=~Q(asana_gid=""), name="milestone_one_per_asana_task"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        return str(self.owner) if self.owner else self.owner_name

    @property
    def is_synced(self) -> bool:
        return bool(self.asana_gid)
