from django.db import models


class ScheduledRun(models.Model):
    """One periodic job's turn: a job is queued for a slot only by the scheduler whose row
    for that slot went in, so schedulers on several hosts never queue a turn twice."""

    job = models.CharField(max_length=100)
    slot = models.DateTimeField(help_text="The start of the interval this run is for.")
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-slot", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_job_slot")]

    def __str__(self):
        return f"{self.job} at {self.slot:%Y-%m-%d %H:%M}"
