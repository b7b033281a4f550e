locals {
  scheduled_jobs = {
    drift-check = {
      function    = "drift-check"
      schedule    = var.schedules.drift_check
      description = "Drift check over the recent window."
      body        = { trigger = "schedule" }
    }
    retrain = {
      function    = "retrain"
      schedule    = var.schedules.retrain
      description = "Weekly retraining with the reviewed labels."
      body        = { reason = "schedule" }
    }
    batch = {
      function    = "batch"
      schedule    = var.schedules.batch
      description = "Nightly export of the previous day."
      body        = { job = "nightly-export" }
    }
    batch-sweep = {
      function    = "batch"
      schedule    = var.batch_schedules.sweep
      description = "Hourly sweep: re-triggers uploads without a record and invoices stuck past the deadline; lists FAILED ones."
      body        = { job = "sweep" }
    }
    batch-summary = {
      function    = "batch"
      schedule    = var.batch_schedules.summary
      description = "Daily summary of the previous day (JSON + HTML in the exports bucket)."
      body        = { job = "summary" }
    }
  }
}

resource "google_cloud_scheduler_job" "job" {
  for_each = local.scheduled_jobs

  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = var.scheduler_time_zone
  # The longest Cloud Scheduler allows; the scheduled functions time out at the same bound.
  attempt_deadline = "1800s"

  # A failed run is retried a few times with backoff; the functions are idempotent per window / snapshot.
  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
    max_doublings        = 3
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.http[each.value.function].url
    body        = base64encode(jsonencode(each.value.body))
    headers = {
      "Content-Type" = "application/json"
    }

    # OIDC (not OAuth): Cloud Run functions verify an ID token whose audience is the function URL.
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.http[each.value.function].url
    }
  }

  # The scheduler's run.invoker grants (iam.tf, run_service_grants) before the first scheduled call.
  depends_on = [google_cloud_run_v2_service_iam_member.grant]
}
